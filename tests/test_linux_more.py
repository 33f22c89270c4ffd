"""Linux beyond the basic boot (issue: Linux guest): the default image's
"FreeDOS, then Linux" entry end to end on QEMU and one Linux boot under
Bochs' Intel model (VT-x). Linux on several CPUs: tests/test_smp.py. Skipped, with the reason, without the kernel, the
initramfs or the FreeDOS image."""
import pytest

import keel
from keel import assert_line, assert_lines_in_order, assert_no_line, make_image, run_bochs, run_qemu
from test_bios import FREEDOS_AUTOEXEC, MARKER as FREEDOS_MARKER, freedos_floppy, keelnext  # noqa: F401
from test_linux import BZIMAGE, INITRD, MARKER, missing_files

FREEDOS_THEN_LINUX = '''timeout 0
default 1

entry "FreeDOS, then Linux"
  guest bios image=FDOS.IMG drive=0x00
  guest linux kernel=BZIMAGE initrd=INITRD cmdline="console=ttyS0 keeltest=1"
  after poweroff
'''


def need_linux():
    why = missing_files()
    if why:
        pytest.skip(why)


def test_freedos_then_linux_qemu(tmp_path, keelnext):  # noqa: F811
    """FreeDOS comes up (its marker on COM1), KEELNEXT moves on, Linux boots
    to its marker: the two guests of DESIGN.md's first menu entry in one
    boot of the machine."""
    need_linux()
    fdos = freedos_floppy(tmp_path, keelnext, FREEDOS_AUTOEXEC)
    img = make_image(tmp_path, cfg_text=FREEDOS_THEN_LINUX,
                     files={"FDOS.IMG": fdos, "BZIMAGE": BZIMAGE, "INITRD": INITRD})
    r = run_qemu(img, timeout=90, mem="1024")
    assert_lines_in_order(r, ['keel: guest 1 "FDOS.IMG" start kind=bios',
                              'keel: guest 1 "FDOS.IMG" stop reason=next',
                              'keel: guest 2 "BZIMAGE" start kind=linux',
                              "keel: linux: "])
    assert_line(r, FREEDOS_MARKER, where="serial")
    assert_line(r, MARKER, where="serial")
    assert r.serial.index(FREEDOS_MARKER) < r.serial.index(MARKER), r.describe()
    assert_no_line(r, "keel: FATAL:")


@pytest.mark.bochs
def test_linux_bochs_vmx(tmp_path):
    """One Linux boot under VT-x (Bochs' Skylake-X model, about three
    minutes): the marker, the hypervisor flag, no vmx flag."""
    need_linux()
    if keel.bochs_missing():
        pytest.skip(keel.bochs_missing())
    cfg = FREEDOS_THEN_LINUX.replace("  guest bios image=FDOS.IMG drive=0x00\n", "")
    img = make_image(tmp_path, cfg_text=cfg, files={"BZIMAGE": BZIMAGE, "INITRD": INITRD})
    r = run_bochs(img, cpu_model="corei7_skylake_x", timeout=400, megs=1024)
    assert_line(r, "keel: cpu vendor=Intel backend=vmx")
    assert_line(r, MARKER, where="serial")
    flags = next((ln for ln in r.serial.splitlines() if "KEEL-CPU-FLAGS:" in ln), "")
    assert " hypervisor" in flags, f"no hypervisor flag in {flags!r}\n{r.describe()}"
    assert " vmx" not in flags and " svm" not in flags, f"{flags!r}\n{r.describe()}"
