"""The Linux guest under Keel (docs/linux.md): Debian's cloud kernel and
the busybox initramfs from tools/mkinitramfs.sh, booted through Keel's
bzImage loader on QEMU (SVM emulation).

With keeltest=1 on the kernel command line, the initramfs's /init prints
KEEL-LINUX-MARKER, the CPU flags, /proc/iomem and the kernel's e820 lines
on COM1, then powers off; keeltest=reboot ends with a reboot instead,
which Keel turns into the guest's stop. The tests check that Linux came
up, that the CPU it sees is virtualized and hides SVM/VMX, that no memory
map it was given or built touches Keel's region, and that both ways of
ending work.

Needs build/linux/vmlinuz and build/linux/initrd.gz (`make linux`, or
LINUX_BZIMAGE= / LINUX_INITRD= for your own); skipped without them.
"""

import os
import re
from pathlib import Path

import pytest

from keel import (QEMU_EXIT_POWEROFF, assert_line, assert_lines_in_order, assert_no_line,
                  assert_status, make_image, run_qemu)

ROOT = Path(__file__).resolve().parent.parent


def _path(var, default):
    """$VAR (relative to the project root) or build/linux/DEFAULT."""
    return ROOT / (os.environ.get(var) or f"build/linux/{default}")


BZIMAGE = _path("LINUX_BZIMAGE", "vmlinuz")
INITRD = _path("LINUX_INITRD", "initrd.gz")

LINUX_TIMEOUT = 60
MARKER = "KEEL-LINUX-MARKER"

XLOADFLAGS = 0x236              # boot.rst: the setup header's xloadflags
XLF_KERNEL_64 = 0x1

REGION_RE = re.compile(r"keel: region base=(0x[0-9a-f]+) size=(\d+) MiB")
IOMEM_RE = re.compile(r"^\s*([0-9a-f]+)-([0-9a-f]+) : (.*)$")
E820_RE = re.compile(r"BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] (.*)$")


def missing_files():
    missing = [str(p) for p in (BZIMAGE, INITRD) if not p.exists()]
    if missing:
        return f"{', '.join(missing)} missing: run `make linux` (or set LINUX_BZIMAGE/LINUX_INITRD)"
    return None


def linux_cfg(cmdline, after="poweroff"):
    return ("timeout 0\ndefault 1\n\n"
            'entry "Linux"\n'
            f'  guest linux kernel=BZIMAGE initrd=INITRD cmdline="{cmdline}"\n'
            f"  after {after}\n")


def boot_linux(tmp_path, cmdline, kernel=None):
    why = missing_files()
    if why:
        pytest.skip(why)
    image = make_image(tmp_path, cfg_text=linux_cfg(cmdline),
                       files={"BZIMAGE": kernel or BZIMAGE, "INITRD": INITRD})
    return run_qemu(image, timeout=LINUX_TIMEOUT, cpu="max", mem="1024")


@pytest.fixture(scope="module")
def keeltest(tmp_path_factory):
    """One boot with keeltest=1, shared by the tests that read its output."""
    return boot_linux(tmp_path_factory.mktemp("linux"), "console=ttyS0 keeltest=1")


def keel_region(result):
    line = assert_line(result, "keel: region base=")
    m = REGION_RE.search(line)
    assert m, f"cannot read Keel's region from {line!r}"
    base = int(m.group(1), 16)
    return base, base + (int(m.group(2)) << 20)


def serial_block(result, begin, end):
    lines = result.serial.replace("\r", "").splitlines()
    try:
        i, j = lines.index(begin), lines.index(end)
    except ValueError:
        raise AssertionError(f"expected serial lines {begin!r} ... {end!r}.\n"
                             f"{result.describe()}")
    return lines[i + 1:j]


def overlaps(a0, a1, b0, b1):
    """Do [a0, a1) and [b0, b1) share a byte?"""
    return a0 < b1 and b0 < a1


def test_linux_boots_to_busybox_and_powers_off(keeltest):
    r = keeltest
    assert_line(r, 'keel: guest 1 "BZIMAGE" start kind=linux')
    assert_line(r, "keel: linux: protocol 2.")
    assert_line(r, MARKER, where="serial")
    assert_no_line(r, "keel: FATAL:")
    assert_line(r, "KEEL-POWEROFF", where="serial")
    # poweroff -f writes S5 to the FADT's PM1 control port, which Keel
    # intercepts: the guest stops, its exits are logged, Keel powers off.
    assert_lines_in_order(r, ["keel: guest asked for ACPI sleep state SLP_TYP=",
                              'keel: guest 1 "BZIMAGE" stop reason=poweroff exits=',
                              "keel: exits cpuid=",
                              "keel: poweroff code=0"])
    assert_status(r, QEMU_EXIT_POWEROFF)
    print(f"QEMU ran {r.elapsed:.1f} s (limit {LINUX_TIMEOUT} s); Linux's "
          f"{assert_line(r, 'KEEL-UPTIME', where='serial')}")


def test_linux_sees_a_hypervisor_and_no_svm_or_vmx(keeltest):
    r = keeltest
    line = assert_line(r, "KEEL-CPU-FLAGS:", where="serial")
    flags = set(line.split(":", 1)[1].split())
    assert "hypervisor" in flags, f"no 'hypervisor' flag in {sorted(flags)}"
    assert not flags & {"svm", "vmx"}, f"the guest sees {sorted(flags & {'svm', 'vmx'})}"


def test_linux_memory_maps_leave_keels_region_out(keeltest):
    r = keeltest
    base, end = keel_region(r)
    e820 = [E820_RE.search(l) for l in serial_block(r, "KEEL-E820-BEGIN", "KEEL-E820-END")]
    table = [(int(m.group(1), 16), int(m.group(2), 16) + 1, m.group(3)) for m in e820 if m]
    assert table, f"no BIOS-e820 lines in the kernel log.\n{r.describe()}"
    bad = [t for t in table if overlaps(t[0], t[1], base, end)]
    assert not bad, (f"e820 entries overlap Keel's region {base:#x}-{end:#x}: "
                     f"{[(hex(a), hex(b), k) for a, b, k in bad]}")
    ram = [t for t in table if t[2] == "usable"]
    assert any(t[1] <= base for t in ram), "no usable RAM below Keel's region"

    iomem = [IOMEM_RE.match(l) for l in serial_block(r, "KEEL-IOMEM-BEGIN", "KEEL-IOMEM-END")]
    res = [(int(m.group(1), 16), int(m.group(2), 16) + 1, m.group(3)) for m in iomem if m]
    assert any(t[2] == "System RAM" for t in res), f"no System RAM in /proc/iomem.\n{r.describe()}"
    # "RAM buffer" is Linux's own padding after the end of RAM, reserved
    # so that no device is put there: it may cover the hole Keel left.
    bad = [t for t in res if overlaps(t[0], t[1], base, end) and t[2] != "RAM buffer"]
    assert not bad, (f"/proc/iomem resources overlap Keel's region {base:#x}-{end:#x}: "
                     f"{[(hex(a), hex(b), k) for a, b, k in bad]}")


def test_linux_reboot_stops_the_guest(tmp_path):
    r = boot_linux(tmp_path, "console=ttyS0 keeltest=reboot")
    assert_line(r, MARKER, where="serial")
    assert_line(r, "KEEL-REBOOT", where="serial")
    assert_line(r, 'keel: guest 1 "BZIMAGE" stop reason=reset')
    print(assert_line(r, "keel: exits "))
    assert_line(r, "keel: poweroff code=0")
    assert_status(r, QEMU_EXIT_POWEROFF)


def test_linux_32bit_entry(tmp_path):
    """A kernel without XLF_KERNEL_64 is entered through the 32-bit boot
    protocol: the same kernel with that bit cleared boots too (its
    startup_32 enters long mode by itself)."""
    why = missing_files()
    if why:
        pytest.skip(why)
    data = bytearray(BZIMAGE.read_bytes())
    data[XLOADFLAGS] &= ~XLF_KERNEL_64 & 0xFF
    kernel = tmp_path / "vmlinuz32"
    kernel.write_bytes(data)
    r = boot_linux(tmp_path, "console=ttyS0 keeltest=reboot", kernel=kernel)
    assert_line(r, "keel: linux: protocol 2.")
    assert_line(r, "32-bit entry at 0x")
    assert_line(r, MARKER, where="serial")
    assert_line(r, 'keel: guest 1 "BZIMAGE" stop reason=reset')
    assert_status(r, QEMU_EXIT_POWEROFF)


def test_linux_refuses_a_file_that_is_not_a_bzimage(tmp_path):
    image = make_image(tmp_path, cfg_text=linux_cfg("console=ttyS0"),
                       files={"BZIMAGE": b"\x90" * 4096, "INITRD": b"initrd"})
    r = run_qemu(image, timeout=15)
    assert_line(r, 'keel: guest 1 "BZIMAGE": linux: not a bzImage: no "HdrS" at 0x202')
    assert_line(r, 'keel: guest 1 "BZIMAGE" stop reason=load-error exits=0')
    assert_line(r, "keel: poweroff code=0")
    assert_status(r, QEMU_EXIT_POWEROFF)
