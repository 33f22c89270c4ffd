"""Machines shaped like real ones (issue 15, items 1-3): RAM above 4 GiB,
device memory above the top of RAM, and Keel's own caching.

- Linux with 8 and 16 GiB (QEMU): it boots, and it sees all the RAM it
  was given (its BIOS-e820 usable ranges add up to the machine's RAM less
  Keel's region; MemTotal from a /keel-hook step is most of that).
- A long-mode guest whose page tables and code lie above 4 GiB writes the
  local APIC from there (tests/guests/high_memory.asm): Keel fetches and
  decodes that instruction by walking those tables (hv/lapic.c, hv/gva.c).
  On AMD-V the APIC page stays write-protected, so the walk happens there
  whatever VT-x does with the APIC; the test counts the nested-page fault.
- INT 13h AH=42h/43h with a 64-bit flat buffer above 4 GiB from a BIOS
  guest (tests/guests/edd_high.asm).
- A 2 GiB 64-bit BAR (ivshmem-plain on a memory-backend-file the test
  fills with a pattern) that the firmware puts above RAM: Linux reads it
  with busybox devmem.
- A guest that leaves CR0.CD and NW set: under VT-x Keel turns caching
  back on (the line in docs/log.md); under AMD-V #VMEXIT restores Keel's
  CR0 and nothing needs doing.

QEMU with -m 16G is fine on this 24 GiB machine (TCG allocates guest
memory as it is touched); Bochs holds guest memory above 2 GiB in a 2 GiB
buffer and swaps (tests/keel.py run_bochs).
"""

import re
import struct
from pathlib import Path

import pytest

import keel
from keel import (QEMU_EXIT_POWEROFF, Guest, assemble, assert_line, assert_no_line,
                  assert_status, guests_config, make_image, run_bochs, run_qemu)
from linux_hook import hook_initrd
from test_linux import BZIMAGE, INITRD, MARKER, missing_files

pytestmark = pytest.mark.usefixtures("disk_img")

GUESTS = keel.GUESTS
HIGH = 0x140000000              # 5 GiB: RAM with QEMU -m 8G and Bochs 6144 MiB
NOT_RAM = 0x1000000000          # 64 GiB: no RAM with -m 8G
LINUX_TIMEOUT = 120
QEMU_TIMEOUT = 30
BOCHS_TIMEOUT = 300
BOCHS_MEGS = 6144

MEM_RE = re.compile(r"keel: memory 0x([0-9a-f]+)-0x([0-9a-f]+) ram$")
REGION_RE = re.compile(r"keel: region base=0x[0-9a-f]+ size=(\d+) MiB")
E820_RE = re.compile(r"BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] usable")
STOP_RE = re.compile(r'keel: guest (\d+) "([^"]+)" stop reason=(\S+)(?: code=(\d+))? exits=(\d+)')


def stops(r):
    """[(index, name, reason, code)] of every guest stop line."""
    out = []
    for ln in r.log.splitlines():
        m = STOP_RE.search(ln)
        if m:
            out.append((int(m.group(1)), m.group(2), m.group(3),
                        None if m.group(4) is None else int(m.group(4))))
    return out


def exits_after(r, index):
    """The exit counts logged after guest INDEX's stop line."""
    lines = r.log.splitlines()
    for i, ln in enumerate(lines):
        if STOP_RE.search(ln) and f"keel: guest {index} " in ln:
            counts = lines[i + 1].split("keel: exits ", 1)[1]
            return {k: int(v) for k, v in (kv.split("=") for kv in counts.split())}
    raise AssertionError(f"no stop line for guest {index}\n{r.describe()}")


def no_fatal(r):
    assert not r.fatal_lines(), f"Keel stopped: {r.fatal_lines()[0]!r}\n{r.describe()}"
    assert not r.timed_out, f"the run hit its time limit\n{r.describe()}"


# ---- Linux with 8 and 16 GiB ---------------------------------------------------

MEMTOTAL_HOOK = """#!/bin/sh
echo "KEEL-MEMTOTAL: $(sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo)"
"""


def linux_image(tmp_path, initrd=INITRD, kernel=BZIMAGE, cmdline="console=ttyS0 keeltest=1"):
    why = missing_files()
    if why:
        pytest.skip(why)
    cfg = ("timeout 0\ndefault 1\n\nentry \"Linux\"\n"
           f'  guest linux kernel=BZIMAGE initrd=INITRD cmdline="{cmdline}"\n'
           "  after poweroff\n")
    return make_image(tmp_path, cfg_text=cfg, files={"BZIMAGE": kernel, "INITRD": initrd})


def ram_less_region(r):
    """The machine's RAM (Keel's `memory` lines) less Keel's region."""
    ram = sum(int(m.group(2), 16) - int(m.group(1), 16)
              for m in map(MEM_RE.search, r.log.splitlines()) if m)
    region = int(REGION_RE.search(assert_line(r, "keel: region base=")).group(1)) << 20
    return ram - region


@pytest.mark.parametrize("mem", ["8G", "16G"])
def test_linux_sees_all_its_ram(tmp_path, mem):
    """Debian's cloud kernel with 8 and 16 GiB: it boots to its marker,
    Keel does not fault on the page tables Linux puts near the top of
    RAM, and Linux uses all the RAM it was given."""
    initrd = hook_initrd(tmp_path, MEMTOTAL_HOOK, INITRD)
    r = run_qemu(linux_image(tmp_path, initrd), timeout=LINUX_TIMEOUT, mem=mem)
    no_fatal(r)
    assert_status(r, QEMU_EXIT_POWEROFF)
    assert_line(r, MARKER, where="serial")
    block = r.serial.split("KEEL-E820-BEGIN", 1)[-1].split("KEEL-E820-END", 1)[0]
    usable = sum(int(b, 16) + 1 - int(a, 16) for a, b in E820_RE.findall(block))
    want = ram_less_region(r)
    assert usable == want, (f"Linux's e820 has {usable:#x} bytes usable, the machine "
                            f"{want:#x} of RAM besides Keel's region\n{r.describe()}")
    total = int(assert_line(r, "KEEL-MEMTOTAL:", where="serial").split()[-1]) << 10
    assert total > want * 9 // 10, \
        f"MemTotal {total:#x} is not most of {want:#x}\n{r.describe()}"
    print(f"-m {mem}: {r.elapsed:.1f} s, MemTotal {total >> 20} MiB of {want >> 20} MiB")


# ---- page tables and code above 4 GiB ---------------------------------------------

def high_guest():
    return Guest("high_memory.asm", "HIGH.BIN", 0x100000, "long", {"HIGH": hex(HIGH)},
                 "page tables and code above 4 GiB")


HELLO = Guest("hello_real.asm", "HELLO.BIN", label="hello")


def guests_image(tmp_path, guests):
    bins = Path(tmp_path) / "bin"
    bins.mkdir(exist_ok=True)
    files = {g.file: assemble(g, bins) for g in guests}
    return make_image(tmp_path, cfg_text=guests_config(guests, "Memory"), files=files)


def check_high(r, apic_intercepted):
    no_fatal(r)
    assert_line(r, "keel: [HIGH.BIN] APIC write from code and page tables above 4 GiB done")
    assert stops(r)[:2] == [(1, "HIGH.BIN", "exit-code", 0), (2, "HELLO.BIN", "exit-code", 0)], \
        r.describe()
    if apic_intercepted:
        # Two APIC writes (from above 4 GiB, then back below): each one a
        # nested-page fault Keel decoded by walking the guest's tables.
        assert exits_after(r, 1)["npf"] == 2, r.describe()


def test_apic_write_from_above_4g_qemu(tmp_path):
    """QEMU (AMD-V), -m 8G."""
    r = run_qemu(guests_image(tmp_path, [high_guest(), HELLO]), timeout=QEMU_TIMEOUT, mem="8G")
    check_high(r, apic_intercepted=True)


@pytest.mark.bochs
@pytest.mark.full
@pytest.mark.parametrize("model,intercepted", [("zambezi", True), ("corei7_skylake_x", False)],
                         ids=["amd", "vmx"])
def test_apic_write_from_above_4g_bochs(tmp_path, model, intercepted):
    """Bochs with 6 GiB, AMD-V (the APIC page write-protected) and VT-x
    (where issue 14 may let the guest write its APIC itself, so only the
    result is checked)."""
    r = run_bochs(guests_image(tmp_path, [high_guest(), HELLO]), cpu_model=model,
                  timeout=BOCHS_TIMEOUT, megs=BOCHS_MEGS)
    check_high(r, apic_intercepted=intercepted)


# ---- INT 13h with a buffer above 4 GiB ------------------------------------------------

def edd_disk(tmp_path, sectors=1024):
    """edd_high.asm as the boot sector of a hard-disk image whose sector
    N starts with the dword N."""
    out = Path(tmp_path) / "bin"
    out.mkdir(exist_ok=True)
    g = Guest("edd_high.asm", "EDDBOOT.BIN", defines={"HIGH": hex(HIGH), "NOT_RAM": hex(NOT_RAM)})
    img = bytearray(sectors * 512)
    for n in range(1, sectors):
        img[n * 512:n * 512 + 4] = struct.pack("<I", n)
    img[:512] = assemble(g, out).read_bytes()
    return bytes(img)


def test_edd_buffer_above_4g(tmp_path):
    """A BIOS guest reads to and writes from a 64-bit flat buffer at 5 GiB
    (QEMU -m 8G); a buffer at 64 GiB, where there is no RAM, fails with
    Keel's line and the guest goes on."""
    cfg = ("timeout 0\ndefault 1\n\nentry \"EDD\"\n  guest bios image=DISK.IMG drive=0x80\n"
           f"{HELLO.cfg_line()}\n  after poweroff\n")
    img = make_image(tmp_path, cfg_text=cfg, files={"DISK.IMG": edd_disk(tmp_path),
                                                    "HELLO.BIN": assemble(HELLO, tmp_path)})
    r = run_qemu(img, timeout=QEMU_TIMEOUT, mem="8G")
    no_fatal(r)
    assert stops(r)[0] == (1, "DISK.IMG", "exit-code", 0), \
        f"see the exit codes in tests/guests/edd_high.asm\n{r.describe()}"
    assert_line(r, f"keel: bios: INT 13h buffer {NOT_RAM:#x}+0x200 is not guest RAM")
    assert stops(r)[1] == (2, "HELLO.BIN", "exit-code", 0), r.describe()


# ---- a 64-bit BAR above RAM -----------------------------------------------------------

BAR_SIZE = 2 << 30
BAR_OFFSETS = (0, 0x1000, BAR_SIZE // 2, BAR_SIZE - 4)

BAR_HOOK = """#!/bin/sh
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = "0x1af4:0x1110" ] || continue
	set -- $(sed -n 3p $d/resource)
	echo "KEEL-BAR2: $1 $2"
	for off in OFFSETS; do
		echo "KEEL-BAR2-READ: $off $(devmem $(($1 + off)) 32)"
	done
done
"""


def pattern(offset):
    """The dword the test writes at OFFSET of the shared-memory file."""
    return (0x4B450000 | (offset >> 12)) & 0xFFFFFFFF if offset else 0x4C45454B


def test_linux_reads_a_bar_above_ram(tmp_path):
    """ivshmem-plain with a 2 GiB memory-backend-file: the firmware puts
    its 64-bit BAR 2 above RAM (-m 1024); Linux reads the pattern the test
    wrote into the file, through the EPT/NPT map that now reaches the
    CPU's physical-address width."""
    shm = tmp_path / "ivshmem.bin"
    with open(shm, "wb") as f:
        f.truncate(BAR_SIZE)
        for off in BAR_OFFSETS:
            f.seek(off)
            f.write(struct.pack("<I", pattern(off)))
    hook = BAR_HOOK.replace("OFFSETS", " ".join(hex(o) for o in BAR_OFFSETS))
    initrd = hook_initrd(tmp_path, hook, INITRD)
    extra = ["-object", f"memory-backend-file,id=shm,mem-path={shm},size={BAR_SIZE},share=on",
             "-device", "ivshmem-plain,memdev=shm"]
    r = run_qemu(linux_image(tmp_path, initrd), timeout=LINUX_TIMEOUT, mem="1024", extra=extra)
    no_fatal(r)
    assert_line(r, MARKER, where="serial")
    bar = assert_line(r, "KEEL-BAR2:", where="serial").split()
    start, end = int(bar[1], 16), int(bar[2], 16)
    assert end + 1 - start == BAR_SIZE and start >= 1 << 32, \
        f"BAR 2 at {start:#x}-{end:#x}: expected 2 GiB above 4 GiB\n{r.describe()}"
    assert_no_line(r, "no memory there")
    for off in BAR_OFFSETS:
        line = assert_line(r, f"KEEL-BAR2-READ: {off:#x} ", where="serial")
        got = int(line.split()[-1], 16)
        assert got == pattern(off), \
            f"BAR 2 + {off:#x}: read {got:#x}, wrote {pattern(off):#x}\n{r.describe()}"
    print(f"BAR 2 at {start:#x}; the guest map: {assert_line(r, 'keel: npt:')}")


# ---- caching left off by a guest ----------------------------------------------------

CACHE_OFF = Guest("cache_off.asm", "CACHEOFF.BIN", label="CR0.CD and NW left set")
CACHE_LINE = 'keel: caches: guest 1 "CACHEOFF.BIN" left caching off on Keel\'s CPU'


def test_cache_off_guest_qemu(tmp_path):
    """AMD-V: #VMEXIT reloads Keel's CR0 from the host save area, so there
    is nothing to turn back on; the next guest runs."""
    r = run_qemu(guests_image(tmp_path, [CACHE_OFF, HELLO]), timeout=QEMU_TIMEOUT)
    no_fatal(r)
    assert stops(r) == [(1, "CACHEOFF.BIN", "exit-code", 0), (2, "HELLO.BIN", "exit-code", 0)], \
        r.describe()
    assert_no_line(r, "keel: caches: guest")


@pytest.mark.bochs
def test_cache_off_guest_bochs_vmx(tmp_path):
    """VT-x keeps the guest's CR0.CD and NW across the VM exit (SDM vol. 3C
    28.5.1): Keel turns caching back on and says so; the next guest runs."""
    r = run_bochs(guests_image(tmp_path, [CACHE_OFF, HELLO]), timeout=BOCHS_TIMEOUT)
    no_fatal(r)
    assert stops(r) == [(1, "CACHEOFF.BIN", "exit-code", 0), (2, "HELLO.BIN", "exit-code", 0)], \
        r.describe()
    assert_line(r, CACHE_LINE)
