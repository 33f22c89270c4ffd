"""The boot chain on good input: MBR, stage 2 and its menu, the hand-off,
and the hypervisor's start under QEMU (AMD SVM) and Bochs (Intel VMX and
AMD SVM CPU models). Bad input is in test_bad_input.py."""

import re

import pytest

import keel
from keel import (assert_line, assert_lines_in_order, assert_no_line,
                  run_bochs, run_qemu)

MiB = 1 << 20
GiB = 1 << 30

# Two entries that need only HELLO.BIN, the real-mode test guest the build
# always puts on partition 1.
TWO_ENTRIES = """\
entry "First"
  guest flat file=HELLO.BIN load=0x10000
entry "Second"
  guest flat file=HELLO.BIN load=0x10000
"""

ENTERING_LONG_MODE = "keel: entering long mode"
ENTRY_LINE = 'keel: entry "'   # the hypervisor's first line after the hand-off report


def hex_int(s):
    return int(s, 16)


# The default configuration's first entry starts with a guest; which one
# depends on what the build found (FreeDOS when the shared image is there).
FIRST_GUEST_STARTS = 'keel: guest 1 "'


@pytest.fixture(scope="module")
def default_boot(disk_img, tmp_path_factory):
    """build/disk.img as it is (default KEEL.CFG, 5 s menu), under QEMU,
    until its first guest starts (FreeDOS then waits at its prompt)."""
    img = keel.make_image(tmp_path_factory.mktemp("default"), src=disk_img)
    return run_qemu(img, timeout=15, stop_at=FIRST_GUEST_STARTS)


# ---- (a) QEMU: the whole chain --------------------------------------------

def test_qemu_default_image_reaches_hypervisor(default_boot):
    r = default_boot
    assert_lines_in_order(r, ["keel: stage2 boot drive 0x80",
                              "keel: menu: starting entry 1",
                              ENTERING_LONG_MODE,
                              "hypervisor in long mode",
                              "keel: cpu vendor=AMD backend=svm",
                              FIRST_GUEST_STARTS])
    line = assert_line(r, "keel: Keel ")
    assert re.fullmatch(r"keel: Keel \S+ hypervisor in long mode", line), \
        f"unexpected version line {line!r}\n{r.describe()}"
    assert_no_line(r, "keel: FATAL:")


def test_qemu_com1_repeats_the_log(default_boot):
    """Until a guest owns COM1, every log line also goes to COM1."""
    r = default_boot
    log = r.keel_lines()
    end = next((i for i, line in enumerate(log) if "keel: cpu vendor=" in line), None)
    assert end is not None, r.describe()
    serial = [line.rstrip("\r") for line in r.serial.splitlines()]
    assert serial[:end + 1] == log[:end + 1], \
        f"COM1 differs from the debug-port log up to the cpu line\n{r.describe()}"


# ---- (b), (c) the boot menu -------------------------------------------------

def test_menu_on_serial_and_default_after_timeout(image):
    img = image(cfg_text="timeout 1\n" + TWO_ENTRIES)
    r = run_qemu(img, timeout=10, stop_at=ENTERING_LONG_MODE)
    for text in ["keel: menu: 1) First", "keel: menu: 2) Second",
                 "keel: menu: entry 1 starts in 1 s"]:
        assert_line(r, text, where="serial")
        assert_line(r, text)
    assert_line(r, 'keel: menu: starting entry 1 "First"')
    assert_line(r, ENTERING_LONG_MODE)
    # The countdown runs on the BIOS timer (18.2 Hz): about a second.
    waited = r.time_of("keel: menu: starting entry 1") - r.time_of("keel: menu: entry 1 starts in")
    assert 0.5 <= waited <= 4, f"the 1 s countdown took {waited:.2f} s\n{r.describe()}"


def test_timeout_0_starts_default_without_menu(image):
    img = image(cfg_text="timeout 0\ndefault 2\n" + TWO_ENTRIES)
    r = run_qemu(img, timeout=10, stop_at=ENTERING_LONG_MODE)
    assert_line(r, 'keel: menu: starting entry 2 "Second"')
    for where in ("log", "serial"):
        assert_no_line(r, "keel: menu: 1)", where=where)
        assert_no_line(r, "starts in", where=where)


def test_digit_on_serial_picks_entry(image):
    img = image(cfg_text="timeout 10\n" + TWO_ENTRIES)
    r = run_qemu(img, timeout=12, serial_input="2", stop_at=ENTERING_LONG_MODE)
    assert r.input_sent_at is not None, f"the menu never appeared\n{r.describe()}"
    assert_line(r, 'keel: menu: starting entry 2 "Second"')
    assert_no_line(r, "keel: menu: starting entry 1")
    took = r.time_of("keel: menu: starting entry 2") - r.input_sent_at
    assert took < 2, f"entry 2 started {took:.2f} s after the key\n{r.describe()}"
    assert r.elapsed < 6, f"run took {r.elapsed:.1f} s, the menu waits 10 s\n{r.describe()}"


# ---- (f) the hand-off ----------------------------------------------------------

MEMORY_RE = re.compile(r"keel: memory 0x([0-9a-f]+)-0x([0-9a-f]+) (\w+)$")
REGION_HV_RE = re.compile(r"keel: region base=0x([0-9a-f]+) size=(\d+) MiB")
REGION_S2_RE = re.compile(r"keel: region 0x([0-9a-f]+)-0x([0-9a-f]+) \((\d+) MiB\)")
MODULE_RE = re.compile(r"keel: module (\S+) at 0x([0-9a-f]+) size=(\d+)$")
LOADED_RE = re.compile(r"keel: loaded (\S+) at 0x([0-9a-f]+) \((\d+) bytes\)")
MAP_RE = re.compile(r"keel: memory map from \w+: (\d+) entries, (\d+) MiB of RAM")


def matches(r, rx):
    return [m for m in map(rx.search, r.lines) if m]


@pytest.fixture(scope="module")
def handoff(disk_img, tmp_path_factory):
    """An entry naming three files (one twice, one in lower case, one of an
    odd size), booted with -m 512 up to the hypervisor's entry line."""
    part1 = keel.list_part1(disk_img)
    odd = bytes(range(256)) * 16 + b"\xf4"      # 4097 bytes
    guests = ["guest flat file=HELLO.BIN load=0x10000",
              "guest flat file=odd.bin load=0x20000",
              "guest flat file=HELLO.BIN load=0x30000 mode=real"]
    expect = {"HELLO.BIN": len(keel.read_part1_file(disk_img, "HELLO.BIN")),
              "ODD.BIN": len(odd)}
    if "FDOS.IMG" in part1:
        guests.insert(1, "guest bios image=FDOS.IMG")
        expect["FDOS.IMG"] = len(keel.read_part1_file(disk_img, "FDOS.IMG"))
    cfg = "timeout 0\nentry \"Hand-off\"\n" + "".join(f"  {g}\n" for g in guests)
    img = keel.make_image(tmp_path_factory.mktemp("handoff"), src=disk_img,
                          cfg_text=cfg, files={"ODD.BIN": odd})
    r = run_qemu(img, timeout=15, mem="512", stop_at=ENTRY_LINE)
    assert_line(r, ENTRY_LINE)
    return r, expect


def test_handoff_modules(handoff):
    r, expect = handoff
    mods = [(m[1], hex_int(m[2]), int(m[3])) for m in matches(r, MODULE_RE)]
    got = {name: size for name, _, size in mods}
    assert len(mods) == len(got), f"a file is listed twice: {mods}\n{r.describe()}"
    assert got == expect, f"modules {got}, expected {expect}\n{r.describe()}"
    loaded = {m[1]: (hex_int(m[2]), int(m[3])) for m in matches(r, LOADED_RE)}
    base, size = region(r)
    ranges = []
    for name, addr, n in mods:
        assert loaded.get(name) == (addr, n), \
            f"stage 2 loaded {name} at {loaded.get(name)}, the hypervisor sees {(addr, n)}"
        assert addr % 4096 == 0, f"{name} at {addr:#x} is not 4 KiB aligned"
        assert base <= addr and addr + n <= base + size, \
            f"{name} at {addr:#x}+{n} is outside Keel's region\n{r.describe()}"
        ranges.append((addr, addr + n))
    ranges.sort()
    for (a0, a1), (b0, b1) in zip(ranges, ranges[1:]):
        assert a1 <= b0, f"modules overlap: {ranges}\n{r.describe()}"


def memory_map(r):
    return [(hex_int(m[1]), hex_int(m[2]), m[3]) for m in matches(r, MEMORY_RE)]


def test_handoff_memory_map_of_qemu_512m(handoff):
    r, _ = handoff
    mem = memory_map(r)
    assert mem, f"no memory lines\n{r.describe()}"
    for (b0, e0, _), (b1, _, _) in zip(mem, mem[1:]):
        assert e0 <= b1, f"memory ranges unsorted or overlapping: {mem}\n{r.describe()}"
    n, mib = map(int, MAP_RE.search(assert_line(r, "keel: memory map from")).groups())
    assert len(mem) == n, f"stage 2 counted {n} ranges, the hypervisor lists {len(mem)}"
    ram = [(b, e) for b, e, t in mem if t == "ram"]
    total = sum(e - b for b, e in ram)
    assert total >> 20 == mib, f"{total} bytes of ram listed, stage 2 said {mib} MiB"
    # QEMU -m 512 (SeaBIOS): low memory up to the EBDA, then 1 MiB to just
    # under 512 MiB; nothing above 4 GiB; the BIOS flash below 4 GiB reserved.
    assert ram[0][0] == 0 and 0x9f000 <= ram[0][1] <= 0xa0000, f"low memory: {mem}"
    assert (0x100000, ram[1][1]) == ram[1] and 511 * MiB <= ram[1][1] <= 512 * MiB, \
        f"extended memory: {mem}\n{r.describe()}"
    assert len(ram) == 2, f"expected two ram ranges: {mem}"
    assert 510 * MiB <= total <= 512 * MiB, f"{total} bytes of ram for -m 512"
    assert any(t != "ram" and b <= 0xfffc0000 and e >= GiB * 4 for b, e, t in mem), \
        f"the BIOS flash below 4 GiB is not reserved: {mem}"


def region(r):
    m = REGION_HV_RE.search(assert_line(r, "keel: region base="))
    return hex_int(m[1]), int(m[2]) * MiB


def test_handoff_region(handoff):
    r, _ = handoff
    base, size = region(r)
    s2 = REGION_S2_RE.search(assert_line(r, "keel: region 0x"))
    assert (hex_int(s2[1]), hex_int(s2[2]) - hex_int(s2[1])) == (base, size), \
        f"stage 2 and the hypervisor disagree on the region\n{r.describe()}"
    assert base % (2 * MiB) == 0 and size % (2 * MiB) == 0, f"region {base:#x}+{size:#x}"
    assert 16 * MiB <= base and base + size <= 4 * GiB, f"region {base:#x}+{size:#x}"
    ram = [(b, e) for b, e, t in memory_map(r) if t == "ram"]
    assert any(b <= base and base + size <= e for b, e in ram), \
        f"region {base:#x}+{size:#x} is not inside one ram range: {ram}"
    # DESIGN.md: at the top of usable RAM below 4 GiB.
    top = max(e for b, e in ram if e <= 4 * GiB) & ~(2 * MiB - 1)
    assert base + size == top, f"region ends at {base + size:#x}, top of RAM is {top:#x}"


# ---- (d), (e) Bochs ------------------------------------------------------------

# With a menu (timeout 1: a second of emulated time, well under one here),
# so that Bochs runs the whole of stage 2.
BOCHS_CFG = "timeout 1\n" + TWO_ENTRIES


@pytest.fixture(scope="module")
def bochs_boot(disk_img, tmp_path_factory):
    """One Bochs run per CPU model, shared by the tests below."""
    runs = {}

    def boot(model):
        if model not in runs:
            why = keel.bochs_missing()
            if why:
                pytest.skip(why)
            img = keel.make_image(tmp_path_factory.mktemp(model), src=disk_img,
                                  cfg_text=BOCHS_CFG)
            runs[model] = run_bochs(img, cpu_model=model, timeout=60, stop_at=ENTRY_LINE)
        return runs[model]
    return boot


@pytest.mark.bochs
def test_bochs_vmx_model(bochs_boot):
    r = bochs_boot("corei7_skylake_x")
    assert_lines_in_order(r, [ENTERING_LONG_MODE, "hypervisor in long mode",
                              "keel: cpu vendor=Intel backend=vmx"])


@pytest.mark.bochs
def test_bochs_amd_model(bochs_boot):
    r = bochs_boot("zambezi")
    assert_lines_in_order(r, [ENTERING_LONG_MODE, "hypervisor in long mode",
                              "keel: cpu vendor=AMD backend=svm"])


@pytest.mark.bochs
def test_bochs_exits_through_shutdown_port(image):
    """A fatal error ends Bochs by itself ("Shutdown" to port 0x8900)."""
    if keel.bochs_missing():
        pytest.skip(keel.bochs_missing())
    img = image(cfg_text="timeout 0\nentry Broken\n  guest flat file=HELLO.BIN\n")
    r = run_bochs(img, cpu_model="corei7_skylake_x", timeout=60)
    keel.assert_fatal(r, "KEEL.CFG:3:", "missing load= for guest flat")


@pytest.mark.bochs
def test_bochs_com1_repeats_the_log(bochs_boot):
    r = bochs_boot("corei7_skylake_x")
    log = r.keel_lines()
    end = next((i for i, line in enumerate(log) if "keel: cpu vendor=" in line), None)
    assert end is not None, r.describe()
    serial = [line.rstrip("\r") for line in r.serial.splitlines()]
    assert serial[:end + 1] == log[:end + 1], \
        f"COM1 differs from the debug-port log up to the cpu line\n{r.describe()}"


def test_acpi_poweroff_without_debug_exit(image):
    """Without QEMU's isa-debug-exit device (a real machine's case), Keel
    powers off through ACPI S5 from the FADT: QEMU ends by itself with
    status 0 well before the time limit."""
    img = image(cfg_text='timeout 0\nentry "hello"\n'
                         '  guest flat file=HELLO.BIN load=0x10000 mode=real\n')
    r = keel.run_qemu(img, timeout=15, debug_exit=False)
    assert not r.timed_out, f"QEMU did not power off through ACPI\n{r.describe()}"
    keel.assert_line(r, "keel: poweroff code=0")
    keel.assert_no_line(r, "did not power off")
    assert r.status == 0, f"expected QEMU's own power-off status 0\n{r.describe()}"
