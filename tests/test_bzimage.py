"""Keel's bzImage loader with kernels other than Debian's (docs/linux.md):
a bzImage whose file ends inside its last 16-byte paragraph (syssize
counts paragraphs rounded up), and Debian's memtest86+ 6.10, whose
memtest86+x64.bin is such a file (8 bytes short of syssize * 16), booted
to its running tests on QEMU (SVM).

memtest86+ is fetched with tools/fetch-memtest.sh (`apt-get download`,
never installed) into build/memtest/; without it the memtest tests skip
and say why. A whole memtest pass takes about 3.5 minutes with 64 MiB
(its bit-fade test alone waits 80 s): that test is marked full."""

import re
import subprocess

import pytest

from keel import (QEMU_EXIT_POWEROFF, ROOT, Guest, assemble, assert_line, assert_status,
                  make_image, run_qemu)

MEMTEST = ROOT / "build" / "memtest" / "memtest86+x64.bin"
TAIL = Guest("bzimage_tail.asm", "BZTAIL.BIN")


def test_bzimage_file_ends_inside_last_paragraph(tmp_path):
    """The file is 8 bytes short of syssize * 16: Keel loads it, the bytes
    it has arrive, the 8 it lacks are zero; cmdline="" reaches the kernel
    as an empty command line (KEEL.CFG, docs/config.md)."""
    kernel = assemble(TAIL, tmp_path)
    cfg = ('timeout 0\nentry "bzImage tail"\n'
           '  guest linux kernel=BZTAIL.BIN cmdline=""\n')
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files={"BZTAIL.BIN": kernel}), timeout=15)
    assert_line(r, 'keel: linux: protocol 2.12, kernel at 0x100000 (init_size 65536), '
                   'no initrd, cmdline "", 64-bit entry at 0x100200')
    assert_line(r, "keel: [BZTAIL.BIN] bzimage tail: cmdline=[]")
    assert_line(r, 'keel: guest 1 "BZTAIL.BIN" stop reason=exit-code code=0 ')
    assert_status(r, QEMU_EXIT_POWEROFF)


def memtest():
    """build/memtest/memtest86+x64.bin, fetched once; skips with the reason
    when apt cannot get it."""
    if not MEMTEST.exists():
        r = subprocess.run([str(ROOT / "tools" / "fetch-memtest.sh"), str(MEMTEST.parent)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode or not MEMTEST.exists():
            pytest.skip(f"memtest86+ not available: {r.stderr.strip() or r.stdout.strip()}")
    return MEMTEST


def boot_memtest(tmp_path, timeout, stop):
    cfg = 'timeout 0\nentry "memtest86+"\n  guest linux kernel=MT86.BIN\n'
    img = make_image(tmp_path, cfg_text=cfg, files={"MT86.BIN": memtest()})
    # 64 MiB: Keel's 22 MiB region leaves ~40 MiB to test, so a pass is short.
    r = run_qemu(img, timeout=timeout, mem="64", stop_at_serial=stop)
    assert_line(r, 'keel: guest 1 "MT86.BIN" start kind=linux')
    assert_line(r, "keel: linux: protocol 2.12, kernel at 0x100000")
    assert_line(r, "Memtest86+ v6.10", where="serial")
    errors = set(re.findall(r"Errors: *(\d+)", r.serial))
    assert errors == {"0"}, f"memtest86+ counted errors {errors}\n{r.describe()}"
    return r


def test_memtest86plus_runs_its_tests(tmp_path):
    """Debian's memtest86+ loads (it was refused as truncated) and, on
    its serial console (console=ttyS0, Keel's default), gets through the
    address tests to the moving-inversions tests (#3-#5) with no error."""
    r = boot_memtest(tmp_path, 60, "[Moving inversions, ")
    assert r.stopped, f"memtest86+ did not reach its moving-inversions tests\n{r.describe()}"


@pytest.mark.full
def test_memtest86plus_whole_pass(tmp_path):
    """A whole memtest86+ pass (tests #0-#9) under Keel, with no error."""
    r = boot_memtest(tmp_path, 420, "Pass:  1")
    assert r.stopped, f"memtest86+ did not finish a pass\n{r.describe()}"
