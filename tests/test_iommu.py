"""Device DMA and the IOMMU (docs/security.md "Device DMA", iommu/).

QEMU's q35 machine with `-device intel-iommu` (VT-d, tested under Keel's
SVM backend: TCG's CPU is AMD) or `-device amd-iommu` (AMD-Vi), and
without either. Bochs has no IOMMU.

- The attack: tests/guests/dma_edu.asm drives QEMU's `edu` PCI device,
  whose DMA engine copies between memory and a buffer in the device, to
  read 16 bytes of Keel's region and to write a pattern there. The target
  is the message inside the next guest's file, which Keel keeps in its
  region (its address comes from a first boot of the same layout): when
  the write lands, the next guest prints the pattern instead of its
  greeting. With an IOMMU the read returns nothing of Keel's, the write
  does not land, Keel logs the blocked accesses and runs the next guests,
  which touch the IOMMU's registers and are stopped. Without one, the
  same guest reads Keel's bytes and overwrites them: the hole Keel's
  warning names.
- Linux (Debian's cloud kernel) boots on q35 with each IOMMU, finds no
  DMAR or IVRS among its ACPI tables and reads an NVMe disk with its
  driver's DMA (the cloud kernel has no AHCI driver: CONFIG_SATA_AHCI is
  not set; docs/linux.md).
- FreeDOS boots from a partition of the boot disk on q35 with each IOMMU:
  the BIOS's AHCI driver reads it with DMA into guest memory.
"""

import hashlib
import re
from pathlib import Path

import pytest

from keel import (QEMU_EXIT_POWEROFF, Guest, assemble, assert_line, assert_lines_in_order,
                  assert_no_line, assert_status, guests_config, make_image, run_qemu)

ROOT = Path(__file__).resolve().parent.parent
BUILD_LINUX = ROOT / "build" / "linux"

QEMU_TIMEOUT = 30
LINUX_TIMEOUT = 90
IOMMUS = {"intel-iommu": "vt-d", "amd-iommu": "amd-vi"}
# edu's DMA engine masks addresses to 28 bits unless told otherwise, and
# Keel's region lies higher.
EDU = ["-device", "edu,dma_mask=0xffffffffffffffff"]
GREETING = b"hello from a long-mode guest"
PATTERN = b"DMA-WROTE-KEEL!!"
FILL = b"edu-buffer-fill!"

CLOSED = "iommu: {}, 1 units, Keel's region closed to device DMA"
NONE_FOUND = "keel: iommu: none found: device DMA can reach Keel's region"
UNIT_RE = re.compile(r"keel: iommu: \S+ unit 1: registers (0x[0-9a-f]+)-(0x[0-9a-f]+), "
                     r"not mapped for guests")
MODULE_RE = re.compile(r"keel: module (\S+) at (0x[0-9a-f]+) size=(\d+)")
BLOCKED_RE = re.compile(r"keel: iommu: blocked DMA (read|write) by "
                        r"([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) at (0x[0-9a-f]+) \(([^)]*)\)")

pytestmark = pytest.mark.usefixtures("disk_img")


def machine(iommu):
    return ["-machine", "q35"] + (["-device", iommu] if iommu else [])


# ---- the attack -------------------------------------------------------------------

def attack_guests(target, registers):
    """The attacker, the guest whose message it aims at and, when there is
    an IOMMU, two guests that read and write its first register page."""
    guests = [
        Guest("dma_edu.asm", "DMAEDU.BIN", load=0x100000, mode="long",
              defines={"TARGET": hex(target)}, label="device DMA into Keel's region"),
        Guest("hello_long.asm", "HELLO64.BIN", load=0x100000, mode="long",
              label="the guest whose file the DMA aims at"),
    ]
    if registers is not None:
        for access, name in ((1, "REGREAD.BIN"), (2, "REGWRITE.BIN")):
            guests.append(Guest("isolation_long.asm", name, load=0x100000, mode="long",
                                defines={"TARGET": hex(registers), "ACCESS": access},
                                label="the IOMMU's registers"))
    guests.append(Guest("hello_long.asm", "HELLO64.BIN", load=0x100000, mode="long"))
    return guests


def attack_image(tmp_path, guests):
    bins = Path(tmp_path) / "bin"
    bins.mkdir(parents=True, exist_ok=True)
    files = {g.file: assemble(g, bins) for g in guests}
    return make_image(tmp_path, cfg_text=guests_config(guests, "DMA attack"), files=files), bins


def hex_bytes(result, label):
    """The bytes dma_edu.asm printed after LABEL ("read:" or "read back:")."""
    line = assert_line(result, f"keel: [DMAEDU.BIN] {label} ")
    return bytes(int(b, 16) for b in line.split(f"{label} ", 1)[1].split())


def run_attack(tmp_path, iommu):
    """Boots the layout once to learn where the victim's file and the
    IOMMU's registers are, then the attack itself. Returns the result, the
    target address and the victim's bytes there."""
    extra = machine(iommu) + EDU
    layout = attack_guests(0, 0xFED00000 if iommu else None)
    img, bins = attack_image(tmp_path / "layout", layout)
    r = run_qemu(img, timeout=QEMU_TIMEOUT, extra=extra, stop_at="start kind=")
    modules = {m.group(1): int(m.group(2), 16) for m in MODULE_RE.finditer(r.log)}
    assert "HELLO64.BIN" in modules, f"no module line for HELLO64.BIN\n{r.describe()}"
    victim = (bins / "HELLO64.BIN").read_bytes()
    offset = victim.index(GREETING)
    target = modules["HELLO64.BIN"] + offset
    registers = None
    if iommu:
        registers = int(UNIT_RE.search(assert_line(r, "unit 1: registers")).group(1), 16)
    img, _ = attack_image(tmp_path / "attack", attack_guests(target, registers))
    r = run_qemu(img, timeout=QEMU_TIMEOUT, extra=extra)
    assert not r.timed_out and not r.fatal_lines(), f"the run did not end cleanly\n{r.describe()}"
    assert_status(r, QEMU_EXIT_POWEROFF)
    assert_line(r, 'keel: guest 1 "DMAEDU.BIN" stop reason=exit-code code=0 exits=')
    return r, target, victim[offset:offset + len(PATTERN)], registers


def guest_block(result, index):
    """Keel's lines from guest INDEX's start line to its stop line."""
    lines = result.lines
    start = next(i for i, ln in enumerate(lines) if f"keel: guest {index} " in ln and
                 " start kind=" in ln)
    stop = next(i for i in range(start, len(lines)) if f"keel: guest {index} " in lines[i] and
                " stop reason=" in lines[i])
    return lines[start:stop + 1]


@pytest.mark.parametrize("iommu", list(IOMMUS))
def test_dma_into_keel_is_blocked(tmp_path, iommu):
    name = IOMMUS[iommu]
    r, target, keel_bytes, registers = run_attack(tmp_path, iommu)
    assert_line(r, "keel: " + CLOSED.format(name))
    read, back = hex_bytes(r, "read:"), hex_bytes(r, "read back:")
    print(f"{name}: DMA read at {target:#x} returned {read.hex(' ')} (Keel has "
          f"{keel_bytes.hex(' ')}), read back {back.hex(' ')}")
    assert read != keel_bytes and back != keel_bytes, \
        f"device DMA read Keel's bytes at {target:#x}\n{r.describe()}"
    assert back != PATTERN, f"the DMA write reached Keel's region at {target:#x}\n{r.describe()}"
    # The write did not land in the next guest's file: it greets as ever.
    assert_lines_in_order(r, ['keel: guest 2 "HELLO64.BIN" start kind=flat',
                              f"keel: [HELLO64.BIN] {GREETING.decode()}",
                              'keel: guest 2 "HELLO64.BIN" stop reason=exit-code code=0'])
    assert_no_line(r, f"keel: [HELLO64.BIN] {PATTERN.decode()}")
    # Every blocked access is on Keel's log, within the attacker's run.
    faults = [ln for ln in guest_block(r, 1) if "keel: iommu: " in ln]
    for ln in faults:
        print(ln)
    assert faults, f"no blocked DMA on Keel's log\n{r.describe()}"
    dev = assert_line(r, "keel: [DMAEDU.BIN] edu at ").rsplit(" ", 1)[1]
    precise = [BLOCKED_RE.search(ln) for ln in faults if BLOCKED_RE.search(ln)]
    if name == "vt-d":
        # VT-d records the requester and the page.
        page = hex(target & ~0xFFF)
        assert {(m.group(1), m.group(2), m.group(3), m.group(4)) for m in precise} >= {
            ("read", dev, page, "Keel's region"), ("write", dev, page, "Keel's region")}, \
            f"expected a blocked read and write by {dev} at {page}\n{r.describe()}"
    else:
        # QEMU 7.2's AMD-Vi writes no event log (docs/emulators.md): Keel
        # sees the target abort the IOMMU signals and says so.
        assert precise or any("amd-vi signalled a target abort" in ln for ln in faults), \
            f"no line for the blocked DMA\n{r.describe()}"
    # Guests that reach for the IOMMU's registers are stopped.
    for index, access, guest in ((3, "read", "REGREAD.BIN"), (4, "write", "REGWRITE.BIN")):
        block = guest_block(r, index)
        assert f"keel: guest {access} at {registers:#x} (IOMMU registers)" in "\n".join(block), \
            f"guest {index} ({access} at {registers:#x}): no fault line\n{r.describe()}"
        assert f'keel: guest {index} "{guest}" stop reason=fault exits=' in block[-1], \
            f"guest {index} was not stopped by its fault\n{r.describe()}"
    assert_line(r, 'keel: guest 5 "HELLO64.BIN" stop reason=exit-code code=0')


def test_dma_into_keel_without_an_iommu(tmp_path):
    """The hole Keel's warning names, shown by the same guest."""
    r, target, keel_bytes, _ = run_attack(tmp_path, None)
    assert_line(r, NONE_FOUND)
    read, back = hex_bytes(r, "read:"), hex_bytes(r, "read back:")
    assert read == keel_bytes, f"expected Keel's bytes {keel_bytes!r}, read {read!r}\n" \
                               f"{r.describe()}"
    assert back == PATTERN, f"expected the pattern back, read {back!r}\n{r.describe()}"
    assert_line(r, f"keel: [HELLO64.BIN] {PATTERN.decode()}")
    assert_no_line(r, "keel: iommu: blocked")


# ---- guests' own DMA --------------------------------------------------------------

def linux_files():
    kernel, initrd = BUILD_LINUX / "vmlinuz", BUILD_LINUX / "initrd.gz"
    missing = [str(p) for p in (kernel, initrd) if not p.exists()]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: run `make linux`")
    return {"BZIMAGE": kernel, "INITRD": initrd}


def boot_linux_q35(tmp_path, iommu):
    disk = tmp_path / "nvme.img"
    data = hashlib.sha256(b"keel nvme").digest() * (1 << 15)
    disk.write_bytes(data)
    cfg = ("timeout 0\ndefault 1\n\nentry \"Linux\"\n"
           '  guest linux kernel=BZIMAGE initrd=INITRD '
           'cmdline="console=ttyS0 keeltest=1 keeldisk=nvme0n1"\n  after poweroff\n')
    image = make_image(tmp_path, cfg_text=cfg, files=linux_files())
    r = run_qemu(image, timeout=LINUX_TIMEOUT, mem="1024",
                 extra=machine(iommu) + ["-drive", f"if=none,id=nv,file={disk},format=raw",
                                         "-device", "nvme,drive=nv,serial=keel"])
    assert_line(r, "KEEL-LINUX-MARKER", where="serial")
    assert_status(r, QEMU_EXIT_POWEROFF)
    # The disk's first MiB, as the NVMe driver read it into guest memory.
    assert_line(r, f"KEEL-DISK: nvme0n1 {hashlib.md5(data).hexdigest()}", where="serial")
    tables = assert_line(r, "KEEL-ACPI-TABLES:", where="serial").split(":", 1)[1].split()
    uptime = assert_line(r, "KEEL-UPTIME:", where="serial")
    print(f"q35 {iommu or 'without an IOMMU'}: QEMU ran {r.elapsed:.1f} s, Linux's {uptime}; "
          f"tables {' '.join(tables)}")
    assert "APIC" in tables and "FACP" in tables, f"tables: {tables}\n{r.describe()}"
    return r, tables


@pytest.mark.parametrize("iommu", list(IOMMUS))
def test_linux_on_q35_with_iommu(tmp_path, iommu):
    r, tables = boot_linux_q35(tmp_path, iommu)
    assert_line(r, "keel: " + CLOSED.format(IOMMUS[iommu]))
    assert "DMAR" not in tables and "IVRS" not in tables, \
        f"Linux found the IOMMU's table: {tables}\n{r.describe()}"
    assert_no_line(r, "keel: iommu: blocked")


@pytest.mark.full
def test_linux_on_q35_without_iommu(tmp_path):
    """The same boot without an IOMMU, for the time it takes."""
    r, _ = boot_linux_q35(tmp_path, None)
    assert_line(r, NONE_FOUND)


@pytest.mark.parametrize("iommu", list(IOMMUS) + [pytest.param(None, marks=pytest.mark.full)])
def test_freedos_partition_on_q35(tmp_path, iommu):
    """FreeDOS on partition 2 of the boot disk: the BIOS reads it through
    q35's AHCI controller, whose DMA goes through the IOMMU."""
    import test_bios as tb

    files = tb.freedos_files(tmp_path, tb.nasm(ROOT / "guest" / "keelnext.asm",
                                                tmp_path / "KEELNEXT.COM"))
    size = 8 * 2048

    def patch(image):
        start = tb.extend_disk(image, size)
        part = tb.freedos_fat16(tmp_path / "p2.img", start, size, files)
        tb.write_partition(image, 2, 0x0E, start, size, part.read_bytes())

    on_c = {n: files[n] for n in ("COMMAND.COM", "AUTOEXEC.BAT", "CONFIG.SYS", "KEELNEXT.COM")}
    cfg = tb.entry("  guest bios partition=2", tb.HELLO_CFG)
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files=on_c, patch=patch),
                 timeout=QEMU_TIMEOUT, mem=tb.MEM_MIB, extra=machine(iommu))
    assert_line(r, "keel: " + CLOSED.format(IOMMUS[iommu]) if iommu else NONE_FOUND)
    tb.expect_freedos_next(r, 1, "partition 2")
    assert_no_line(r, "keel: iommu: blocked")
