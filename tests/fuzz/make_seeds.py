#!/usr/bin/python3
"""Writes the seed corpora in tests/fuzz/corpus/ from real files
(tests/fuzz/README.md). Run from anywhere: /usr/bin/python3 tests/fuzz/make_seeds.py
Needs nasm, ld, mkfs.fat and mtools (the build's own tools)."""

import os
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
GUESTS = ROOT / "tests" / "guests"


def fresh(name):
    d = CORPUS / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def run(*cmd, **kw):
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True, **kw)


def config_seeds():
    d = fresh("config")
    text = (ROOT / "docs" / "config.md").read_text()
    blocks = re.findall(r"```\n(.*?)```", text, re.S)
    n = 0
    for b in blocks:
        if "entry" in b or "timeout" in b or "guest" in b:
            (d / f"doc{n:02d}.cfg").write_bytes(b.encode())
            n += 1
    mk = subprocess.run(["sh", str(ROOT / "tools" / "mkcfg.sh")], capture_output=True,
                        env=dict(os.environ, FREEDOS="fdos.img"))
    if mk.returncode == 0:
        (d / "mkcfg.cfg").write_bytes(mk.stdout)
    extra = {
        "crlf.cfg": b'timeout 0\r\nentry "A"\r\n  guest flat file=T.BIN load=0x7c00\r\n',
        "bom.cfg": b'\xef\xbb\xbfentry X\nguest linux kernel=BZIMAGE cmdline="a b#c"\n',
        "all-kinds.cfg": b'default 2\nentry "one"\n guest bios image=FDOS.IMG drive=0x80\n'
                         b'entry two\n guest bios partition=4\n guest multiboot file=M.ELF\n'
                         b' guest flat file=P.BIN load=0x100000 mode=long\n after menu\n',
        "bad-quote.cfg": b'entry "x\n',
        "watchdog.cfg": b'entry W\n guest flat file=S.BIN load=0x10000 watchdog=5\n'
                        b' guest linux kernel=BZ watchdog="3600"\n guest bios partition=1 watchdog=0\n',
        "trace.cfg": b'timeout 0\nentry T\n guest multiboot file=K.ELF trace=64\n'
                     b' guest flat file=T.BIN load=0x10000 mode=real trace=0x10\n',
        "empty-cmdline.cfg": b'entry "none"\n guest linux kernel=BZIMAGE cmdline=""\n'
                             b' guest multiboot file=M.ELF cmdline=\n guest bios partition=2\n'
                             b' guest bios image=FDOS.IMG console=serial\n',
    }
    for k, v in extra.items():
        (d / k).write_bytes(v)


def fat_seeds():
    d = fresh("fat")
    with tempfile.TemporaryDirectory() as t:
        t = Path(t)
        files = {"KEEL.CFG": b'timeout 0\nentry "T"\n  guest flat file=HELLO.BIN load=0x10000\n',
                 "HELLO.BIN": bytes(range(256)) * 2,
                 "KEEL.BIN": b"KEEL" + bytes(5000)}
        for name, data in files.items():
            (t / name).write_bytes(data)
        (t / "FILE.TXT").write_bytes(b"in a subdirectory\n")
        env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
        for label, opts, kib, keep in (("fat16", ["-F", "16", "-s", "1"], 4096, 96),
                                       ("fat16-4k", ["-F", "16", "-s", "8"], 32768, 160),
                                       ("fat32", ["-F", "32", "-s", "1", "-f", "1"], 34000, 300)):
            img = t / f"{label}.img"
            run("mkfs.fat", *opts, "-n", "KEEL", "-C", img, kib)
            for name in files:
                run("mcopy", "-i", img, t / name, f"::{name}", env=env)
            run("mmd", "-i", img, "::DIR", env=env)
            run("mcopy", "-i", img, t / "FILE.TXT", "::DIR/FILE.TXT", env=env)
            (d / f"{label}.bin").write_bytes(img.read_bytes()[:keep * 1024])


def multiboot_seeds():
    """Hand-off structures as stage 2 builds them (docs/handoff.md) at
    physical 0x10000, the harness's PHYS_BASE."""
    d = fresh("multiboot")
    base = 0x10000
    for variant, (mods, ranges) in enumerate([
            (["KEEL.CFG", "HELLO.BIN"],
             [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0xf0000, 0x10000, 2),
              (0x100000, 0x1fee0000, 1), (0xfffc0000, 0x40000, 2)]),
            (["FDOS.IMG"], [(0, 0xa0000, 1), (0x100000, 0x7ff00000, 1), (0x100000000, 1 << 32, 1)]),
            ([], [])]):
        buf = bytearray(344)
        strings = bytearray()

        def string(s):
            addr = base + 344 + len(strings)
            strings.extend(s.encode() + b"\0")
            return addr
        cmd = string('entry "T"\n  guest flat file=HELLO.BIN load=0x10000\n')
        loader = string("Keel")
        table = b""
        for i, m in enumerate(mods):
            table += struct.pack("<IIII", 0x1ec10000 + i * 0x1000, 0x1ec10000 + i * 0x1000 + 100,
                                 string(m), 0)
        while (344 + len(strings)) % 8:
            strings.append(0)
        mmap_addr = base + 344 + len(strings)
        mmap = b"".join(struct.pack("<IQQI", 20, b, n, ty) for b, n, ty in ranges)
        flags = 0x24F if ranges else 0x20F
        info = struct.pack("<IIIIIII", flags, 639, 523136, 0x80FFFFFF, cmd, len(mods), base + 88)
        info += bytes(16) + struct.pack("<II", len(mmap), mmap_addr if ranges else 0)
        info += bytes(12) + struct.pack("<I", loader) + bytes(88 - len(info) - 4 - 12 - 4 - 8)
        info = info[:88].ljust(88, b"\0")
        buf[:88] = info
        buf[88:88 + len(table)] = table
        (d / f"handoff{variant}.bin").write_bytes(bytes(buf) + bytes(strings) + mmap)


def mbload_seeds():
    d = fresh("mbload")
    with tempfile.TemporaryDirectory() as t:
        t = Path(t)
        run("nasm", "-f", "bin", f"-I{GUESTS}/", '-DEXPECT_CMDLINE="fuzz cmdline"',
            GUESTS / "multiboot_info.asm", "-o", d / "aout-kludge.bin")
        run("nasm", "-f", "elf32", f"-I{GUESTS}/", GUESTS / "multiboot_elf.asm", "-o", t / "e.o")
        run("ld", "-m", "elf_i386", "-Ttext-segment=0x100000", "-e", "start", t / "e.o",
            "-o", d / "elf32.elf")


def memmap_seeds():
    d = fresh("memmap")
    maps = {
        "qemu-512m": [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0xf0000, 0x10000, 2),
                      (0x100000, 0x1fee0000, 1), (0x1ffe0000, 0x20000, 2),
                      (0xfffc0000, 0x40000, 2), (0xfd00000000, 0x300000000, 2)],
        "bochs-512m": [(0, 0x9f000, 1), (0x9f000, 0x1000, 2), (0xe8000, 0x18000, 2),
                       (0x100000, 0x1fef0000, 1), (0x1fff0000, 0x10000, 3),
                       (0xfffc0000, 0x40000, 2)],
        "overlaps": [(0, 0x100000, 1), (0x80000, 0x100000, 2), (0x100000, 0x1000000, 1),
                     (0x100000, 0x1000, 4), (0xffffffffffff0000, 0x20000, 1)],
    }
    for name, m in maps.items():
        b = bytes([len(m)])
        for base, n, ty in m:
            b += struct.pack("<QQB", base, n, ty)
        # carve Keel's region, find_top (22 MiB, 2 MiB, 16 MiB..4 GiB), gpmap region
        b += struct.pack("<QQ", 0x1e800000, 22 << 20)
        b += struct.pack("<IBQQ", (22 << 20) - 1, 21, 16 << 20, 4 << 30)
        b += struct.pack("<QI", 0x1e800000, (22 << 20) // 4096)
        (d / f"{name}.bin").write_bytes(b)


def bzimage_seeds():
    """Small bzImages with the header fields of Debian's cloud kernel
    (protocol 2.15, relocatable, 64-bit) and an old 2.06 one."""
    d = fresh("bzimage")
    for name, version, xlf, extra in (("proto-2.15", 0x020F, 0x7F, True),
                                      ("proto-2.06", 0x0206, 0, False)):
        setup_sects, sys_bytes = 4, 0x1000
        f = bytearray((setup_sects + 1) * 512 + sys_bytes)
        struct.pack_into("<B", f, 0x1F1, setup_sects)
        struct.pack_into("<I", f, 0x1F4, sys_bytes // 16)
        struct.pack_into("<H", f, 0x1FE, 0xAA55)
        struct.pack_into("<BB", f, 0x200, 0xEB, 0x66 if extra else 0x36)
        struct.pack_into("<I", f, 0x202, 0x53726448)
        struct.pack_into("<H", f, 0x206, version)
        struct.pack_into("<B", f, 0x211, 0x01)
        struct.pack_into("<I", f, 0x214, 0x100000)
        struct.pack_into("<I", f, 0x22C, 0x7FFFFFFF)
        struct.pack_into("<I", f, 0x230, 0x200000)
        struct.pack_into("<B", f, 0x234, 1)
        struct.pack_into("<I", f, 0x238, 2047)
        if extra:
            struct.pack_into("<B", f, 0x235, 21)
            struct.pack_into("<H", f, 0x236, xlf)
            struct.pack_into("<Q", f, 0x258, 0x1000000)
            struct.pack_into("<I", f, 0x260, 0x2000000)
        (d / f"{name}.bin").write_bytes(bytes(f))


# The DMAR and IVRS QEMU 7.2 builds for q35 with -device intel-iommu and
# -device amd-iommu (from /sys/firmware/acpi/tables under Linux), and
# tables with reserved ranges, each behind the harness's mode byte (even:
# DMAR, odd: IVRS).
QEMU_DMAR = bytes.fromhex(
    "444d415278000000010d424f434853204258504320202020010000004258504301000000"
    "26010000000000000000000000004800000000000000d9fe000000000308000000ff0000"
    "0108000000000000010800000000010001080000000002000108000000001f0001080000"
    "00001f020108000000001f03")
QEMU_IVRS = bytes.fromhex(
    "495652536c0000000121424f434853204258504320202020010000004258504301000000"
    "00280000000000000000000010d13c00100040000000d8fe000000000000000044000000"
    "0200000002080000021000000218000002f8000002fa000002fb00004800000000a00001")


def acpi_iommu_seeds():
    d = fresh("acpi_iommu")
    (d / "qemu-dmar").write_bytes(b"\0" + QEMU_DMAR)
    (d / "qemu-ivrs").write_bytes(b"\1" + QEMU_IVRS)
    rmrr = struct.pack("<HHHHQQ", 1, 24, 0, 0, 0x7d000000, 0x7d0fffff)
    dmar = bytearray(QEMU_DMAR) + rmrr
    dmar[4:8] = struct.pack("<I", len(dmar))
    (d / "dmar-rmrr").write_bytes(b"\0" + bytes(dmar))
    ivmd = struct.pack("<BBHHHQQQ", 0x20, 1 | 6, 32, 0, 0, 0, 0x9d000000, 0x100000)
    ivrs = bytearray(QEMU_IVRS) + ivmd
    ivrs[4:8] = struct.pack("<I", len(ivrs))
    (d / "ivrs-ivmd").write_bytes(b"\1" + bytes(ivrs))


if __name__ == "__main__":
    config_seeds()
    fat_seeds()
    multiboot_seeds()
    mbload_seeds()
    memmap_seeds()
    bzimage_seeds()
    acpi_iommu_seeds()
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds, "
              f"{sum(f.stat().st_size for f in d.iterdir())} bytes")
