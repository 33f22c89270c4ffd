"""Bad input: each test boots its own edited copy of build/disk.img and
expects exactly one `keel: FATAL:` line with the right words and a prompt
exit (isa-debug-exit: status 5 from stage 2, 7 from the hypervisor), never
the time limit. The one exception, a missing stage 2, is explained there."""

import pytest

import keel
from keel import (MBR_PART1_TYPE, QEMU_EXIT_HV_FATAL, QEMU_EXIT_STAGE2_FATAL, SECTOR,
                  assert_fatal, assert_line, assert_no_line, run_qemu, write_at)

# Limits for runs that should end by themselves within a second or two.
QUICK = 10

GOOD_ENTRY = 'entry "Test"\n  guest flat file=HELLO.BIN load=0x10000\n'


def boot(img, **kw):
    kw.setdefault("timeout", QUICK)
    return run_qemu(img, **kw)


# ---- KEEL.CFG ------------------------------------------------------------------

def test_missing_config(image):
    r = boot(image(remove=["KEEL.CFG"]))
    assert_fatal(r, "KEEL.CFG: file not found", status=QEMU_EXIT_STAGE2_FATAL)


# Each case: (id, KEEL.CFG text, line of the error, words of the reason).
# Comments and blank lines come first so that the line numbers are not
# trivially 1.
HEAD = "# a test configuration\n\ntimeout 0\n"          # lines 1-3
BAD_CONFIGS = [
    ("unknown-keyword",
     HEAD + GOOD_ENTRY + "  colour blue\n", 6, "unknown keyword 'colour'"),
    ("unknown-guest-kind",
     HEAD + 'entry "Test"\n  guest vm file=HELLO.BIN\n', 5, "unknown guest kind 'vm'"),
    ("bad-number",
     HEAD + 'entry "Test"\n  guest flat file=HELLO.BIN load=0x1z000\n', 5,
     "bad number '0x1z000' for load"),
    ("bad-timeout",
     "# comment\ntimeout soon\n" + GOOD_ENTRY, 2, "bad number 'soon' for timeout"),
    ("guest-outside-entry",
     HEAD + "guest flat file=HELLO.BIN load=0x10000\n" + GOOD_ENTRY, 4,
     "guest line outside an entry"),
    ("guest-after-global-line",
     "# comment\n" + GOOD_ENTRY + "default 1\n  guest flat file=HELLO.BIN load=0x10000\n", 5,
     "guest line outside an entry"),
    ("missing-required-key",
     HEAD + GOOD_ENTRY + 'entry "Second"\n  guest flat file=HELLO.BIN\n', 7,
     "missing load= for guest flat"),
    ("missing-kernel",
     HEAD + GOOD_ENTRY + "entry Linux\n  guest linux initrd=INITRD\n", 7,
     "missing kernel= for guest linux"),
    ("unterminated-quote",
     HEAD + GOOD_ENTRY + 'entry "No end\n  guest flat file=HELLO.BIN load=0x10000\n', 6,
     "unterminated quote"),
    ("not-8.3-name",
     HEAD + 'entry "Test"\n  guest flat file=TOOLONGNAME.BIN load=0x10000\n', 5,
     "'TOOLONGNAME.BIN' is not an 8.3 file name"),
    ("path-not-8.3",
     HEAD + 'entry "Test"\n  guest bios image=DIR/FDOS.IMG\n', 5,
     "'DIR/FDOS.IMG' is not an 8.3 file name"),
    ("entry-without-guest",
     HEAD + 'entry "Empty"\n' + GOOD_ENTRY, 4, "entry 'Empty' has no guest line"),
    ("default-out-of-range",
     "timeout 0\ndefault 3\n" + GOOD_ENTRY, 2, "default '3' out of range (1..1)"),
    ("no-entry",
     "timeout 0\n", 0, "KEEL.CFG: no entry"),
]


@pytest.mark.parametrize("cfg,line,reason", [c[1:] for c in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_line(image, cfg, line, reason):
    r = boot(image(cfg_text=cfg))
    if line:
        fatal = assert_fatal(r, f"KEEL.CFG:{line}: {reason}", status=QEMU_EXIT_STAGE2_FATAL)
    else:
        fatal = assert_fatal(r, reason, status=QEMU_EXIT_STAGE2_FATAL)
    assert fatal.startswith("keel: FATAL: KEEL.CFG"), fatal
    # Nothing is started: no menu, no entry, no hypervisor.
    assert_no_line(r, "keel: menu:")
    assert_no_line(r, "keel: entering long mode")


def test_missing_guest_file(image):
    cfg = ("timeout 0\n"
           "entry \"Present\"\n  guest flat file=HELLO.BIN load=0x10000\n"
           "entry \"Absent\"\n  guest flat file=HELLO.BIN load=0x10000\n"
           "  guest flat file=MISSING.BIN load=0x20000\n"
           "default 2\n")
    r = boot(image(cfg_text=cfg))
    # The message names the entry and its line (the `entry` line, 4).
    assert_fatal(r, 'MISSING.BIN (named by entry "Absent", KEEL.CFG line 4): file not found',
                 status=QEMU_EXIT_STAGE2_FATAL)
    assert_no_line(r, "keel: entering long mode")


def test_missing_file_of_other_entry_is_fine(image):
    """Only the chosen entry's files are loaded: a missing file elsewhere
    does not stop the boot."""
    cfg = ("timeout 0\n" + GOOD_ENTRY +
           "entry \"Absent\"\n  guest flat file=MISSING.BIN load=0x20000\n")
    r = boot(image(cfg_text=cfg), stop_at="keel: entering long mode")
    assert_line(r, "keel: entering long mode")
    assert_no_line(r, "keel: FATAL:")


# ---- KEEL.BIN ------------------------------------------------------------------

QUICK_CFG = "timeout 0\n" + GOOD_ENTRY


def keel_bin(disk_img):
    return bytearray(keel.read_part1_file(disk_img, "KEEL.BIN"))


def test_keel_bin_flipped_byte(image, disk_img):
    data = keel_bin(disk_img)
    data[len(data) // 2] ^= 0xFF
    r = boot(image(cfg_text=QUICK_CFG, files={"KEEL.BIN": data}))
    assert_fatal(r, "KEEL.BIN: checksum mismatch: the file is corrupt",
                 status=QEMU_EXIT_STAGE2_FATAL)
    assert_no_line(r, "keel: entering long mode")


def test_keel_bin_overwritten_start(image, disk_img):
    data = keel_bin(disk_img)
    data[:16] = b"This is no Keel!"
    r = boot(image(cfg_text=QUICK_CFG, files={"KEEL.BIN": data}))
    assert_fatal(r, "KEEL.BIN: not a Keel hypervisor image (bad magic)",
                 status=QEMU_EXIT_STAGE2_FATAL)


def test_keel_bin_truncated(image, disk_img):
    data = keel_bin(disk_img)
    r = boot(image(cfg_text=QUICK_CFG, files={"KEEL.BIN": data[:len(data) // 2 & ~3]}))
    assert_fatal(r, "KEEL.BIN: corrupt header", status=QEMU_EXIT_STAGE2_FATAL)


def test_keel_bin_missing(image):
    r = boot(image(cfg_text=QUICK_CFG, remove=["KEEL.BIN"]))
    assert_fatal(r, "KEEL.BIN: file not found", status=QEMU_EXIT_STAGE2_FATAL)


# ---- the disk ------------------------------------------------------------------

def test_partition_not_fat(image):
    r = boot(image(cfg_text=QUICK_CFG, patch=lambda p: write_at(p, MBR_PART1_TYPE, b"\x83")))
    assert_fatal(r, "partition 1 is not a FAT partition", "0x83",
                 status=QEMU_EXIT_STAGE2_FATAL)


def test_partition_not_formatted(image):
    """A FAT partition type over a volume that is not FAT (boot sector
    zeroed)."""
    r = boot(image(cfg_text=QUICK_CFG,
                   patch=lambda p: write_at(p, keel.PART1_OFFSET, bytes(SECTOR))))
    assert_fatal(r, f"partition 1 (LBA {keel.PART1_LBA}): not a FAT16/FAT32 volume",
                 status=QEMU_EXIT_STAGE2_FATAL)


def test_stage2_missing(image):
    # The MBR prints its message and halts (DESIGN.md: "prints a short
    # message and halts"): there is no exit device call, so this run ends by
    # the time limit, kept short. The message appears within a second.
    img = image(patch=lambda p: write_at(p, SECTOR, bytes(SECTOR)))   # zero LBA 1
    r = run_qemu(img, timeout=4)
    assert r.timed_out, f"expected the MBR to halt, not exit\n{r.describe()}"
    fatal = r.fatal_lines()
    assert len(fatal) == 1 and "keel: FATAL: MBR: no stage 2" in fatal[0], r.describe()
    assert_no_line(r, "keel: stage2")


# ---- the machine ---------------------------------------------------------------

def test_cpu_without_svm(image):
    # QEMU's qemu64 model reports AuthenticAMD; -svm hides AMD-V.
    r = boot(image(cfg_text=QUICK_CFG), cpu="qemu64,-svm")
    assert_line(r, "keel: cpu vendor=AMD backend=none")
    assert_fatal(r, "this AMD CPU has no AMD-V (CPUID 80000001h:ECX.SVM = 0), or it is hidden",
                 status=QEMU_EXIT_HV_FATAL)
    assert_line(r, "hypervisor in long mode")   # the check is the hypervisor's


def test_cpu_with_svm_but_no_npt(image):
    r = boot(image(cfg_text=QUICK_CFG), cpu="qemu64,+svm,-npt")
    assert_fatal(r, "this AMD CPU has AMD-V without nested paging", status=QEMU_EXIT_HV_FATAL)


@pytest.mark.parametrize("cpu", ["qemu32", "qemu64,-lm"])
def test_cpu_without_long_mode(image, cpu):
    r = boot(image(cfg_text=QUICK_CFG), cpu=cpu)
    if not r.keel_lines():
        pytest.skip(f"-cpu {cpu} did not boot to Keel's MBR under this QEMU "
                    f"(status {r.status}, timed out: {r.timed_out})")
    assert_fatal(r, "this CPU has no long mode", "Keel needs x86-64",
                 status=QEMU_EXIT_STAGE2_FATAL)


def test_too_little_memory(image):
    # With -m 18 stage 2 boots (the BIOS needs far less) but Keel's region
    # (lib/region.h: image, hand-off, tables, per-CPU state, a margin and
    # the entry's files, in 2 MiB steps, at or above 16 MiB) cannot fit:
    # RAM ends 128 KiB short of 18 MiB.
    r = boot(image(cfg_text=QUICK_CFG), mem="18")
    assert_line(r, "keel: memory map from")
    assert_fatal(r, "not enough memory: Keel needs", "MiB of RAM in one piece",
                 status=QEMU_EXIT_STAGE2_FATAL)
    assert_no_line(r, "keel: entering long mode")


@pytest.mark.bochs
@pytest.mark.parametrize("model, words", [
    ("core2_penryn_t9600", "lacks secondary processor-based controls 0x82 that Keel needs (EPT) "
                           "(unrestricted guest"),
    ("corei5_lynnfield_750", "lacks secondary processor-based controls 0x80 that Keel needs "
                             "(unrestricted guest"),
])
def test_old_intel_cpu_named_reason(image, model, words):
    """Bochs' older Intel models have VMX without EPT or without
    unrestricted guest: one FATAL line that names what is missing, never an
    exception inside Keel."""
    if keel.bochs_missing():
        pytest.skip(keel.bochs_missing())
    img = image(cfg_text='timeout 0\nentry "hello"\n'
                         '  guest flat file=HELLO.BIN load=0x10000 mode=real\n')
    r = keel.run_bochs(img, cpu_model=model, timeout=60)
    keel.assert_fatal(r, words)
    keel.assert_no_line(r, "exception 13")
