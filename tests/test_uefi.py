"""Keel on UEFI firmware (DESIGN.md "Boot chain", docs/hardware.md): the
same build/disk.img under QEMU with OVMF (Debian's ovmf), which boots
\\EFI\\BOOT\\BOOTX64.EFI from partition 1 as from any removable disk. The
EFI loader reads KEEL.CFG and the files through the firmware, shows the
menu, hands off the same Multiboot structure (the map converted from the
UEFI map, the RSDP from the EFI configuration table) and enters Keel.

Covered here: every kind of test guest (flat in all three modes,
Multiboot, Linux to its marker), the APs, the hand-off, the menu, the
bad-input twins of stage 2's messages, booting from a USB stick on xHCI,
the refusal of BIOS guests, and the isolation tests that do not need a
BIOS (tests/test_security.py's, run with firmware="ovmf"). OVMF takes
about 3 s to reach the loader under TCG; `make test` runs a sample and
the tests marked `full` complete the matrices (docs/testing.md).
"""

import re

import pytest

import keel
from keel import (GUESTS, QEMU_EXIT_HV_FATAL, QEMU_EXIT_POWEROFF, QEMU_EXIT_STAGE2_FATAL,
                  Guest, assemble, assert_fatal, assert_line, assert_lines_in_order,
                  assert_no_line, assert_status, guests_config, make_image, run_qemu)
import test_bad_input
import test_multiboot
import test_security
from test_linux import INITRD, BZIMAGE, MARKER, missing_files

UEFI_TIMEOUT = 40               # OVMF's start alone is 3-4 s under TCG, more when busy
LINUX_TIMEOUT = 150

pytestmark = [pytest.mark.usefixtures("disk_img"), pytest.mark.uefi]

LOADER_LINE = "keel: efi loader on UEFI firmware"
HELLO = Guest("hello_real.asm", "HELLO.BIN", label="hello")
HELLO_TEXT = "hello from a real-mode guest"


def boot(img, **kw):
    kw.setdefault("timeout", UEFI_TIMEOUT)
    return run_qemu(img, firmware="ovmf", **kw)


def image_with(tmp_path, guests, after="poweroff", files=None):
    bins = tmp_path / "bin"
    bins.mkdir(exist_ok=True)
    files = dict(files or {})
    for g in guests:
        if g.file not in files and g.asm and g.file != "HELLO.BIN":
            files[g.file] = assemble(g, bins)
    return make_image(tmp_path, cfg_text=guests_config(guests, "UEFI", after), files=files)


# ---- the way in, the hand-off, every flat mode, the APs --------------------------

FLAT = [HELLO,
        Guest("hello_protected.asm", "HELLOPM.BIN", 0x100000, "protected"),
        Guest("hello_long.asm", "HELLOLM.BIN", 0x100000, "long")]
RSDP_RE = re.compile(r"keel: acpi rsdp at (0x[0-9a-f]+) \(EFI configuration table, ACPI 2\.0\)")
FW_RE = re.compile(r"keel: firmware uefi \(EFI loader\): acpi rsdp at (0x[0-9a-f]+)$")
MEMORY_RE = re.compile(r"keel: memory 0x([0-9a-f]+)-0x([0-9a-f]+) (\w+)$")
REGION_RE = re.compile(r"keel: region base=0x([0-9a-f]+) size=(\d+) MiB")


@pytest.fixture(scope="module")
def flat_boot(tmp_path_factory):
    """One OVMF boot with two CPUs: the flat guests in real, protected and
    long mode, then power-off."""
    tmp = tmp_path_factory.mktemp("uefi-flat")
    return boot(image_with(tmp, FLAT), extra=("-smp", "2"))


def test_uefi_boots_through_the_efi_loader(flat_boot):
    r = flat_boot
    assert_lines_in_order(r, [LOADER_LINE,
                              "keel: memory map from uefi: ",
                              'keel: menu: starting entry 1 "UEFI"',
                              "keel: region 0x",
                              "keel: loaded HELLO.BIN at 0x",
                              "keel: acpi rsdp at 0x",
                              "keel: entering long mode",
                              "hypervisor in long mode",
                              "keel: firmware uefi (EFI loader)",
                              "keel: cpu vendor=AMD backend=svm",
                              'keel: guest 1 "HELLO.BIN" start kind=flat',
                              "keel: poweroff code=0"])
    assert_no_line(r, "keel: stage2")
    assert_no_line(r, "keel: FATAL:")
    assert_status(r, QEMU_EXIT_POWEROFF)


def test_uefi_flat_guests_in_every_mode(flat_boot):
    r = flat_boot
    for i, g in enumerate(FLAT, 1):
        assert_line(r, f'keel: guest {i} "{g.file}" start kind=flat')
        assert_line(r, f'keel: guest {i} "{g.file}" stop reason=exit-code code=0 ')
    assert_line(r, f"keel: [HELLO.BIN] {HELLO_TEXT}")


def test_uefi_rsdp_handed_over(flat_boot):
    """The loader's RSDP from the EFI configuration table is the one Keel
    uses (R8 at its entry), and with it Keel finds the MADT."""
    r = flat_boot
    loader = RSDP_RE.search(assert_line(r, "keel: acpi rsdp at "))
    keel_side = FW_RE.search(assert_line(r, "keel: firmware uefi"))
    assert loader and keel_side and loader.group(1) == keel_side.group(1), r.describe()
    assert_no_line(r, "no ACPI MADT")


def test_uefi_aps_started(flat_boot):
    """The AP start-up code goes to a free page of the converted map: the
    AP becomes a vCPU waiting for a guest's INIT-SIPI (docs/cpus.md)."""
    assert_line(flat_boot, "keel: cpus: 1 AP ready, waiting for the guest's INIT-SIPI "
                           "(in Keel with GIF set")
    assert_line(flat_boot, "keel: cpus: 2 CPUs for guests")


def test_uefi_memory_map_handed_over(flat_boot):
    """The converted UEFI map: sorted, not overlapping, RAM from 0 (boot
    services memory is RAM again), ACPI tables and NVS kept apart, the
    region inside one RAM range."""
    r = flat_boot
    ranges = [(int(m.group(1), 16), int(m.group(2), 16), m.group(3))
              for m in map(MEMORY_RE.search, r.lines) if m]
    assert ranges, r.describe()
    assert ranges[0][0] == 0 and ranges[0][2] == "ram", r.describe()
    for (a0, a1, _), (b0, _, _) in zip(ranges, ranges[1:]):
        assert a1 <= b0, f"memory lines overlap or are unsorted\n{r.describe()}"
    kinds = {t for _, _, t in ranges}
    assert {"ram", "acpi", "nvs", "reserved"} <= kinds, r.describe()
    m = REGION_RE.search(assert_line(r, "keel: region base="))
    base, end = int(m.group(1), 16), int(m.group(1), 16) + (int(m.group(2)) << 20)
    assert any(a0 <= base and end <= a1 and t == "ram" for a0, a1, t in ranges), r.describe()
    ram = sum(a1 - a0 for a0, a1, t in ranges if t == "ram")
    assert 480 << 20 <= ram <= 512 << 20, f"{ram >> 20} MiB of RAM with -m 512\n{r.describe()}"


# ---- Multiboot kernels and Linux -----------------------------------------------

def test_uefi_multiboot_kernels(tmp_path):
    img = make_image(tmp_path, cfg_text=test_multiboot.CFG,
                     files=test_multiboot.build_kernels(tmp_path))
    test_multiboot.check(boot(img))


def test_uefi_linux_boots_with_acpi(tmp_path):
    """Debian's kernel through Keel's own loader: the e820 map and the
    RSDP in the zero page (no EFI tables for the guest), to the marker,
    then ACPI power-off through Keel."""
    why = missing_files()
    if why:
        pytest.skip(why)
    cfg = ('timeout 0\nentry "Linux"\n'
           '  guest linux kernel=BZIMAGE initrd=INITRD cmdline="console=ttyS0 keeltest=1"\n'
           "  after poweroff\n")
    img = make_image(tmp_path, cfg_text=cfg, files={"BZIMAGE": BZIMAGE, "INITRD": INITRD})
    r = boot(img, mem="1024", timeout=LINUX_TIMEOUT)
    assert_line(r, MARKER, where="serial")
    rsdp = RSDP_RE.search(assert_line(r, "keel: acpi rsdp at ")).group(1)
    line = assert_line(r, "ACPI: RSDP 0x", where="serial")
    assert f"ACPI: RSDP 0x{int(rsdp, 16):016X}" in line, r.describe()
    assert_no_line(r, "EFI v", where="serial")      # the kernel saw no EFI system table
    assert_lines_in_order(r, ["keel: guest asked for ACPI sleep state SLP_TYP=",
                              'keel: guest 1 "BZIMAGE" stop reason=poweroff exits=',
                              "keel: poweroff code=0"])
    assert_status(r, QEMU_EXIT_POWEROFF)


# ---- BIOS guests -----------------------------------------------------------------

def test_uefi_refuses_bios_guests(tmp_path):
    """An entry with a BIOS guest stops with one line before any of its
    guests runs: UEFI firmware has no BIOS for the boot sector to call."""
    cfg = ('timeout 0\nentry "FreeDOS, then hello"\n'
           "  guest bios image=HELLO.BIN\n"
           "  guest flat file=HELLO.BIN load=0x10000\n")
    r = boot(make_image(tmp_path, cfg_text=cfg))
    assert_fatal(r, 'entry "FreeDOS, then hello", guest 1:',
                 "BIOS guests need a legacy BIOS (CSM)", status=QEMU_EXIT_HV_FATAL)
    assert_no_line(r, 'keel: guest 1 "')
    assert_no_line(r, 'keel: guest 2 "')


# ---- the menu ---------------------------------------------------------------------

def test_uefi_menu_and_digit_on_serial(tmp_path):
    """The same menu lines on port 0xE9 and the firmware's console (OVMF
    mirrors it to COM1); a digit typed on COM1 starts its entry."""
    img = make_image(tmp_path, cfg_text="timeout 10\n" + test_bad_input.GOOD_ENTRY +
                     'entry "Second"\n  guest flat file=HELLO.BIN load=0x10000\n')
    r = boot(img, serial_input="2", stop_at="keel: entering long mode")
    assert r.input_sent_at is not None, f"the menu never appeared\n{r.describe()}"
    for text in ["keel: menu: 1) Test", "keel: menu: 2) Second",
                 "keel: menu: entry 1 starts in 10 s"]:
        assert_line(r, text)
        assert_line(r, text, where="serial")
    assert_line(r, 'keel: menu: starting entry 2 "Second"')
    took = r.time_of("keel: menu: starting entry 2") - r.input_sent_at
    assert took < 3, f"entry 2 started {took:.2f} s after the key\n{r.describe()}"


@pytest.mark.full
def test_uefi_menu_countdown(tmp_path):
    img = make_image(tmp_path, cfg_text="timeout 2\n" + test_bad_input.GOOD_ENTRY)
    r = boot(img, stop_at="keel: entering long mode")
    assert_line(r, 'keel: menu: starting entry 1 "Test"')
    waited = r.time_of("keel: menu: starting entry 1") - r.time_of("keel: menu: entry 1 starts in")
    assert 1.5 <= waited <= 5, f"the 2 s countdown took {waited:.2f} s\n{r.describe()}"


# ---- bad input: the twins of stage 2's messages ------------------------------

QUICK_CFG = test_bad_input.QUICK_CFG


def test_uefi_missing_config(image):
    r = boot(image(remove=["KEEL.CFG"]))
    assert_fatal(r, "KEEL.CFG: file not found", status=QEMU_EXIT_STAGE2_FATAL)


SAMPLED_CONFIGS = {"unknown-keyword", "missing-required-key", "no-entry"}


@pytest.mark.parametrize("cfg,line,reason", [
    pytest.param(*c[1:], id=c[0], marks=() if c[0] in SAMPLED_CONFIGS else pytest.mark.full)
    for c in test_bad_input.BAD_CONFIGS])
def test_uefi_bad_config_line(image, cfg, line, reason):
    r = boot(image(cfg_text=cfg))
    where = f"KEEL.CFG:{line}: {reason}" if line else reason
    fatal = assert_fatal(r, where, status=QEMU_EXIT_STAGE2_FATAL)
    assert fatal.startswith("keel: FATAL: KEEL.CFG"), fatal
    assert_no_line(r, "keel: menu:")
    assert_no_line(r, "keel: entering long mode")


def test_uefi_missing_guest_file(image):
    cfg = ("timeout 0\nentry \"Absent\"\n  guest flat file=HELLO.BIN load=0x10000\n"
           "  guest flat file=MISSING.BIN load=0x20000\n")
    r = boot(image(cfg_text=cfg))
    assert_fatal(r, 'MISSING.BIN (named by entry "Absent", KEEL.CFG line 2): file not found',
                 status=QEMU_EXIT_STAGE2_FATAL)
    assert_no_line(r, "keel: entering long mode")


def test_uefi_keel_bin_corrupt(image, disk_img):
    data = test_bad_input.keel_bin(disk_img)
    data[len(data) // 2] ^= 0xFF
    r = boot(image(cfg_text=QUICK_CFG, files={"KEEL.BIN": data}))
    assert_fatal(r, "KEEL.BIN: checksum mismatch: the file is corrupt",
                 status=QEMU_EXIT_STAGE2_FATAL)
    assert_no_line(r, "keel: entering long mode")


@pytest.mark.full
@pytest.mark.parametrize("how,words", [
    ("magic", "KEEL.BIN: not a Keel hypervisor image (bad magic)"),
    ("truncated", "KEEL.BIN: corrupt header"),
    ("missing", "KEEL.BIN: file not found")])
def test_uefi_keel_bin_bad(image, disk_img, how, words):
    data = test_bad_input.keel_bin(disk_img)
    if how == "magic":
        data[:16] = b"This is no Keel!"
        img = image(cfg_text=QUICK_CFG, files={"KEEL.BIN": data})
    elif how == "truncated":
        img = image(cfg_text=QUICK_CFG, files={"KEEL.BIN": data[:len(data) // 2 & ~3]})
    else:
        img = image(cfg_text=QUICK_CFG, remove=["KEEL.BIN"])
    assert_fatal(boot(img), words, status=QEMU_EXIT_STAGE2_FATAL)


def test_uefi_too_little_memory(image):
    """OVMF starts with 48 MiB (not with 40) and keeps its own data at the
    top of RAM: even Keel's 2 MiB region for a small entry then finds no
    free place above 16 MiB."""
    r = boot(image(cfg_text=QUICK_CFG), mem="48")
    assert_fatal(r, "not enough memory: Keel needs 2 MiB of RAM in one piece",
                 status=QEMU_EXIT_STAGE2_FATAL)


# ---- a USB stick -------------------------------------------------------------------

@pytest.mark.parametrize("disk", ["usb-xhci", pytest.param("usb-ehci", marks=pytest.mark.full)])
def test_uefi_usb_stick(tmp_path, disk):
    """The image as the only disk, a USB mass-storage device: OVMF finds
    the loader on its FAT partition (the removable-media path)."""
    img = image_with(tmp_path, [HELLO])
    r = boot(img, disk=disk)
    assert_lines_in_order(r, [LOADER_LINE, "keel: loaded HELLO.BIN",
                              f"keel: [HELLO.BIN] {HELLO_TEXT}", "keel: poweroff code=0"])
    assert_status(r, QEMU_EXIT_POWEROFF)


# ---- isolation (tests/test_security.py under OVMF) ----------------------------------

def test_uefi_isolation_sample(tmp_path):
    """Keel's first page read, written and run from every mode, and the
    CPU's own accesses: nested-page faults under UEFI too (the full matrix
    of page classes is test_uefi_isolation_full). Above RAM is device
    space, where the control boots' accesses complete."""
    n = test_security.run_attacks(tmp_path, test_security.qemu(firmware="ovmf",
                                                               timeout=UEFI_TIMEOUT),
                                  "svm", test_security.attack_matrix(("image",)))
    assert n == 1 * 3 * 3 + 6


@pytest.mark.full
def test_uefi_isolation_full(tmp_path):
    n = test_security.run_attacks(tmp_path, test_security.qemu(firmware="ovmf",
                                                               timeout=UEFI_TIMEOUT),
                                  "svm", test_security.attack_matrix(test_security.ALL_TARGETS))
    assert n == 8 * 3 * 3 + 6


def test_uefi_hostile_guests(tmp_path):
    """VMX/SVM instructions #UD, the VM MSRs refused, XSETBV checked, log
    forging filtered; the last guest still runs."""
    s = test_security
    guests = [s.INSN, s.MSRS, s.FORGE, s.XSETBV, s.HELLO]
    r = boot(s.build(tmp_path, guests))
    s.expect_poweroff(r)
    reason, code, _ = s.stop_of(r, 1, s.INSN)
    bad = [n for i, n in enumerate(s.INSN_NAMES) if code & (1 << i)]
    assert reason == "exit-code" and not bad, f"no #UD for {bad}\n{r.describe()}"
    assert s.stop_of(r, 2, s.MSRS)[:2] == ("exit-code", 0), r.describe()
    assert s.stop_of(r, 4, s.XSETBV)[:2] == ("exit-code", 0), r.describe()
    assert s.stop_of(r, 5, s.HELLO)[:2] == ("exit-code", 0), r.describe()
    forged = next(ln for ln in s.log_lines(r) if ln.startswith("keel: [FORGE.BIN]"))
    assert not [c for c in forged if ord(c) < 0x20], forged


# ---- Bochs 2.7 with OVMF: VT-x ------------------------------------------------------
# Bochs runs the 2 MiB OVMF build (OVMF_CODE.fd; the 4 MiB one is more than
# Bochs maps as a BIOS ROM) and the EFI loader boots Keel on its VMX model.
# OVMF installs no ACPI tables there: it takes them from QEMU's fw_cfg
# device, which Bochs does not have (docs/emulators.md). So Keel sees no
# RSDP and no MADT, starts no AP, and powers off through Bochs' port.

BOCHS_TIMEOUT = 180


def boot_bochs(img, **kw):
    kw.setdefault("timeout", BOCHS_TIMEOUT)
    return keel.run_bochs(img, cpu_model=test_security.BOCHS_VMX, firmware="ovmf", **kw)


@pytest.mark.bochs
def test_uefi_bochs_vmx_flat_guests(tmp_path):
    r = boot_bochs(image_with(tmp_path, FLAT))
    assert_lines_in_order(r, [LOADER_LINE, "keel: acpi rsdp: none in the EFI configuration table",
                              "keel: entering long mode", "keel: cpu vendor=Intel backend=vmx",
                              "keel: vmx on: ", "keel: cpus: no ACPI MADT"])
    for i, g in enumerate(FLAT, 1):
        assert_line(r, f'keel: guest {i} "{g.file}" stop reason=exit-code code=0 ')
    assert_line(r, "keel: poweroff code=0")
    assert not r.timed_out, r.describe()


@pytest.mark.bochs
@pytest.mark.full
def test_uefi_bochs_vmx_multiboot(tmp_path):
    img = make_image(tmp_path, cfg_text=test_multiboot.CFG,
                     files=test_multiboot.build_kernels(tmp_path))
    test_multiboot.check(boot_bochs(img))


@pytest.mark.bochs
@pytest.mark.full
def test_uefi_bochs_vmx_refuses_bios_guests(tmp_path):
    cfg = 'timeout 0\nentry "DOS"\n  guest bios image=HELLO.BIN\n'
    r = boot_bochs(make_image(tmp_path, cfg_text=cfg))
    assert_fatal(r, 'entry "DOS", guest 1:', "BIOS guests need a legacy BIOS (CSM)")


@pytest.mark.bochs
@pytest.mark.full
def test_uefi_bochs_vmx_linux(tmp_path):
    """Linux without ACPI (OVMF has none under Bochs) to its marker."""
    why = missing_files()
    if why:
        pytest.skip(why)
    cfg = ('timeout 0\nentry "Linux"\n'
           '  guest linux kernel=BZIMAGE initrd=INITRD cmdline="console=ttyS0 keeltest=1"\n')
    img = make_image(tmp_path, cfg_text=cfg, files={"BZIMAGE": BZIMAGE, "INITRD": INITRD})
    r = boot_bochs(img, megs=1024, timeout=300, stop_at="keel: guest 1 \"BZIMAGE\" stop")
    assert_line(r, MARKER, where="serial")


# ---- hostile guests that need no BIOS: stops, resets, the APs, the fuzz guest ------

def test_uefi_faulting_guests_hand_over(tmp_path):
    """A triple fault, HLT with interrupts off and a 0xCF9 reset stop their
    guests with their own reasons under UEFI too; the last guest runs."""
    s = test_security
    guests = [s.TRIPLE, s.HLT_CLI, s.RESET_CF9, s.HELLO]
    r = boot(s.build(tmp_path, guests))
    s.expect_poweroff(r)
    assert [s.stop_of(r, i, g)[0] for i, g in enumerate(guests, 1)] == \
        ["triple-fault", "hlt", "reset", "exit-code"], r.describe()


_uefi_region = {}


def uefi_region(tmp_path_factory):
    """Keel's region under OVMF for an entry of two small guests."""
    if not _uefi_region:
        s = test_security
        r = boot(s.build(tmp_path_factory.mktemp("uefi-probe"), [s.HELLO, s.HELLO]))
        s.expect_poweroff(r)
        _uefi_region["base"] = s.region_of(r)[0]
    return _uefi_region["base"]


@pytest.mark.full
def test_uefi_guest_sipi_starts_aps_under_keel(tmp_path, tmp_path_factory):
    """test_security's: the AP the guest starts runs under Keel, where its
    read of Keel's region is a fault."""
    s = test_security
    base = uefi_region(tmp_path_factory)
    g = s.sipi_guest(base)
    s.check_sipi(boot(s.build(tmp_path, [g, s.HELLO]), extra=("-smp", "2"),
                      timeout=UEFI_TIMEOUT + 40), g, base)


@pytest.mark.full
def test_uefi_nmi_cannot_reach_an_ap(tmp_path, tmp_path_factory):
    """test_security's: an AP waiting for its start-up IPI waits in Keel."""
    s = test_security
    g = s.nmi_ap_guest(uefi_region(tmp_path_factory))
    s.check_nmi_ap(boot(s.build(tmp_path, [g, s.HELLO]), extra=("-smp", "2"),
                        timeout=UEFI_TIMEOUT + 40), g, "in Keel with GIF set")


@pytest.mark.full
def test_uefi_self_init_and_lapic_writes(tmp_path):
    s = test_security
    s.check_init_self(boot(s.build(tmp_path / "init", [s.INIT_SELF, s.HELLO])))
    s.check_lapic(boot(s.build(tmp_path / "lapic", [s.LAPIC, s.HELLO])))


@pytest.mark.full
def test_uefi_fuzz_guest(tmp_path):
    s = test_security
    guests = s.fuzz_guests()
    r = boot(s.build(tmp_path, guests + [s.HELLO]),
             timeout=UEFI_TIMEOUT + s.FUZZ_QEMU_TIMEOUT)
    s.check_fuzz(r, guests, s.FUZZ_COUNT)


@pytest.mark.bochs
@pytest.mark.full
def test_uefi_bochs_vmx_missing_guest_file(image):
    cfg = 'timeout 0\nentry "Absent"\n  guest flat file=MISSING.BIN load=0x20000\n'
    r = boot_bochs(image(cfg_text=cfg))
    assert_fatal(r, 'MISSING.BIN (named by entry "Absent", KEEL.CFG line 2): file not found')


@pytest.mark.bochs
@pytest.mark.full
def test_uefi_bochs_vmx_isolation(tmp_path):
    """Keel's first page from every mode under EPT, reached through OVMF."""
    n = test_security.run_attacks(tmp_path, lambda img: boot_bochs(img), "vmx",
                                  test_security.attack_matrix(("image",)))
    assert n == 1 * 3 * 3 + 6


@pytest.mark.bochs
@pytest.mark.full
def test_uefi_bochs_svm_flat_guests(tmp_path):
    """Bochs' AMD model (zambezi) from OVMF: the SVM backend."""
    r = keel.run_bochs(image_with(tmp_path, FLAT), cpu_model=test_security.BOCHS_SVM,
                       firmware="ovmf", timeout=BOCHS_TIMEOUT)
    assert_lines_in_order(r, [LOADER_LINE, "keel: cpu vendor=AMD backend=svm", "keel: svm on: "])
    for i, g in enumerate(FLAT, 1):
        assert_line(r, f'keel: guest {i} "{g.file}" stop reason=exit-code code=0 ')
    assert_line(r, "keel: poweroff code=0")
