"""tools/keel-image (docs/image-tool.md): create, add, remove, config,
list, check and kind, run as a user runs them (from any directory,
without make), and every refusal, which must leave the image as it was;
build/tools/keel-cfgcheck, Keel's parser on the host."""
import os
import struct
import subprocess
import sys

import pytest

from keel import DISK_IMG, PART1_OFFSET, ROOT, Guest, assemble, assert_line, list_part1, \
    read_part1_file, run_qemu

TOOL = ROOT / "tools" / "keel-image"
CFGCHECK = ROOT / "build" / "tools" / "keel-cfgcheck"

HELLO_CFG = "timeout 0\nentry Hello\n  guest flat file=HELLO.BIN load=0x10000 mode=real\n"


def tool(*args, cwd=None, stdin=None):
    r = subprocess.run([sys.executable, str(TOOL), *map(str, args)], cwd=cwd,
                       input=stdin, capture_output=True, text=True, timeout=60)
    r.args_shown = " ".join(map(str, args))
    return r


def ok(r):
    assert r.returncode == 0, f"keel-image {r.args_shown}: status {r.returncode}\n{r.stdout}{r.stderr}"
    return r


def refused(r, *words):
    """Status 1 and one line on stderr, "keel-image: ...", holding WORDS."""
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1 and lines[0].startswith("keel-image: "), \
        f"keel-image {r.args_shown}: expected one refusal line, status 1; got {r.returncode}\n" \
        f"{r.stdout}{r.stderr}"
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture
def hello(tmp_path):
    return assemble(Guest("hello_real.asm", "hello.bin"), tmp_path)


@pytest.fixture
def img(tmp_path, hello):
    """A new image (MBR, stage 2 and KEEL.BIN from build/disk.img) with
    the hello guest and a KEEL.CFG that runs it."""
    (tmp_path / "keel.cfg").write_text(HELLO_CFG)
    out = tmp_path / "my.img"
    ok(tool("create", out, "--config", tmp_path / "keel.cfg", f"{hello}:HELLO.BIN"))
    return out


def test_create_list_check_and_boot(tmp_path, img):
    # EFI/: build/disk.img's \EFI\BOOT (the UEFI loader), copied by --from.
    assert list_part1(img) == ["EFI/", "HELLO.BIN", "KEEL.BIN", "KEEL.CFG"]
    assert read_part1_file(img, "KEEL.CFG").decode() == HELLO_CFG
    assert read_part1_file(img, "KEEL.BIN") == read_part1_file(DISK_IMG, "KEEL.BIN")
    with open(img, "rb") as f, open(DISK_IMG, "rb") as g:
        assert f.read(PART1_OFFSET) == g.read(PART1_OFFSET), "MBR and stage 2 differ"
    assert os.path.getsize(img) == os.path.getsize(DISK_IMG)
    out = ok(tool("list", img)).stdout
    for words in ("partition 1 at LBA 2048", "HELLO.BIN", "113", "KEEL.CFG:",
                  "guest flat file=HELLO.BIN load=0x10000 mode=real"):
        assert words in out, f"{words!r} not in list:\n{out}"
    assert "ok" in ok(tool("check", img)).stdout
    r = run_qemu(img)
    assert_line(r, "keel: [HELLO.BIN] hello from a real-mode guest")
    assert_line(r, "stop reason=exit-code code=0")


def test_built_disk_img_has_the_layout(tmp_path):
    """disk.img.mk builds build/disk.img with the tool: partition 1, FAT16
    LBA (type 0x0E, active) at LBA 2048 to the end of 128 MiB, label KEEL."""
    with open(DISK_IMG, "rb") as f:
        mbr = f.read(512)
        f.seek(PART1_OFFSET)
        boot = f.read(512)
    status, ptype = mbr[446], mbr[446 + 4]
    lba, count = struct.unpack_from("<II", mbr, 446 + 8)
    assert (status, ptype, lba, lba + count) == (0x80, 0x0E, 2048, 128 << 11)
    assert boot[0x36:0x3E] == b"FAT16   " and boot[0x2B:0x36] == b"KEEL       "
    assert struct.unpack_from("<I", boot, 0x1C)[0] == 2048     # hidden sectors
    ok(tool("check", DISK_IMG))


def test_add_replaces_and_remove(tmp_path, img):
    data = tmp_path / "data.txt"
    data.write_bytes(b"first\n")
    ok(tool("add", img, data))                       # named after the file
    assert read_part1_file(img, "DATA.TXT") == b"first\n"
    data.write_bytes(b"second, longer\n")
    ok(tool("add", img, f"{data}:data.txt"))          # replaced; upper-cased
    assert read_part1_file(img, "DATA.TXT") == b"second, longer\n"
    assert list_part1(img).count("DATA.TXT") == 1
    ok(tool("remove", img, "data.txt"))
    assert "DATA.TXT" not in list_part1(img)


def test_config_from_arguments_and_from_a_file(tmp_path, img):
    ok(tool("config", img, "timeout 3", 'entry "Two"', "guest flat file=HELLO.BIN load=0x10000"))
    assert read_part1_file(img, "KEEL.CFG") == \
        b'timeout 3\nentry "Two"\nguest flat file=HELLO.BIN load=0x10000\n'
    ok(tool("config", img, "--file", "-", stdin=HELLO_CFG))
    assert read_part1_file(img, "KEEL.CFG").decode() == HELLO_CFG


def test_config_refused_with_keels_words(tmp_path, img):
    before = read_part1_file(img, "KEEL.CFG")
    line = refused(tool("config", img, "entry A", " guest flat file=HELLO.BIN load=0 colour=red"),
                   "KEEL.CFG:2: unknown key 'colour' for guest flat")
    assert line == "keel-image: KEEL.CFG:2: unknown key 'colour' for guest flat"
    refused(tool("config", img, "--file", "-", stdin="timeout 9999\nentry A\n"),
            "KEEL.CFG:1: timeout '9999' out of range (0..3600)")
    refused(tool("config", img, "# nothing"), "KEEL.CFG: no entry")
    refused(tool("config", img), "give the configuration")
    assert read_part1_file(img, "KEEL.CFG") == before


def test_config_warns_of_missing_files(tmp_path, img):
    r = ok(tool("config", img, "entry A", "guest multiboot file=K.ELF"))
    assert 'warning: KEEL.CFG line 1 (entry "A") names K.ELF, which is not on partition 1' \
        in r.stderr
    refused(tool("check", img), "names K.ELF, which is not on partition 1")


def test_create_refusals(tmp_path, hello):
    bad = tmp_path / "bad.cfg"
    bad.write_text("entry A\n  guest flat file=HELLO.BIN load=0x7c01\n")
    out = tmp_path / "new.img"
    refused(tool("create", out, "--config", bad, f"{hello}:HELLO.BIN"),
            "KEEL.CFG:2: load 0x7c01 is not 16-byte aligned (needed for mode=real)")
    assert not out.exists(), "an image was written although its KEEL.CFG was refused"
    good = tmp_path / "good.cfg"
    good.write_text(HELLO_CFG)
    refused(tool("create", out, "--config", good), "names HELLO.BIN, which is not on partition 1")
    refused(tool("create", out, f"{hello}:TOOLONGNAME.BIN"), "'TOOLONGNAME.BIN' is not an 8.3")
    refused(tool("create", out, tmp_path / "nothere.bin"), "nothere.bin: no such file")
    refused(tool("create", out, "--from", hello), "no MBR")
    assert not out.exists()
    ok(tool("create", out, "--config", good, f"{hello}:HELLO.BIN"))
    refused(tool("create", out, "--config", good, f"{hello}:HELLO.BIN"), "exists", "--force")
    ok(tool("create", out, "--force", "--config", good, f"{hello}:HELLO.BIN"))


def test_edit_refusals_leave_the_image(tmp_path, img, hello):
    before = img.read_bytes()
    refused(tool("remove", img, "KEEL.BIN"), "KEEL.BIN is Keel itself")
    refused(tool("remove", img, "HELLO.BIN"),
            'HELLO.BIN is named by KEEL.CFG line 2 (entry "Hello")')
    refused(tool("remove", img, "NONE.BIN"), "NONE.BIN is not on partition 1")
    refused(tool("add", img, f"{hello}:KEEL.BIN"), "is not Keel's hypervisor image")
    refused(tool("add", img, f"{hello}:A.B.C"), "'A.B.C' is not an 8.3 file name")
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(200 << 20)
    refused(tool("add", img, big), "BIG.BIN (204800 KiB) does not fit", "KiB free")
    assert img.read_bytes() == before
    refused(tool("list", tmp_path / "none.img"), "no such image")
    refused(tool("check", hello), "no MBR")


def test_check_refuses_a_foreign_image(tmp_path):
    disk = tmp_path / "foreign.img"
    with open(disk, "wb") as f:                 # an MBR with a FAT partition, not Keel's
        mbr = bytearray(512)
        mbr[446 + 4] = 0x0E
        mbr[446 + 8:446 + 16] = struct.pack("<II", 2048, 8192)
        mbr[510:512] = b"\x55\xaa"
        f.write(mbr)
        f.truncate((2048 + 8192) * 512)
    refused(tool("check", disk), "the MBR is not Keel's")


def test_create_from_copies_the_loader_directories(tmp_path, img, hello):
    """--from takes KEEL.BIN and partition 1's directories (a UEFI
    loader's \\EFI\\BOOT), not the base's guests or KEEL.CFG."""
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    part = f"{img}@@{PART1_OFFSET}"
    # build/disk.img has \EFI\BOOT already: replace its loader with another file.
    subprocess.run(["mcopy", "-o", "-i", part, str(hello), "::EFI/BOOT/BOOTX64.EFI"], check=True,
                   env=env)
    out = tmp_path / "copy.img"
    ok(tool("create", out, "--from", img))
    assert list_part1(out) == ["EFI/", "KEEL.BIN"]      # mdir -b marks directories
    assert read_part1_file(out, "EFI/BOOT/BOOTX64.EFI") == hello.read_bytes()


def test_runs_from_any_directory_without_make(tmp_path, hello):
    """A user in their own directory, relative paths, no make."""
    env_free = tmp_path / "work"
    env_free.mkdir()
    (env_free / "hello.bin").write_bytes(hello.read_bytes())
    ok(tool("create", "x.img", "--guest", "hello.bin", "--load", "0x10000", "--mode", "real",
            cwd=env_free))
    assert "guest flat file=HELLO.BIN load=0x10000 mode=real" in \
        ok(tool("list", "x.img", cwd=env_free)).stdout


@pytest.mark.parametrize("make_file, args, expected", [
    ("multiboot_elf", (), "Multiboot header at 0x1000 (ELF): guest multiboot file=K.ELF"),
    ("multiboot_aout", ("--cmdline", "a b"),
     'guest multiboot file=K.BIN cmdline="a b"'),
    ("floppy", (), "boot sector, 1440 KiB floppy image: guest bios image=K.IMG drive=0x00"),
    ("harddisk", (), "boot sector, a hard-disk image: guest bios image=K.IMG drive=0x80"),
    ("flat", ("--load", "0x8000", "--mode", "long", "--trace", "5"),
     "guest flat file=K.BIN load=0x8000 mode=long trace=5"),
    ("bzimage", ("--initrd", "initrd.gz"), "Linux bzImage, boot protocol 2."),
])
def test_kind(tmp_path, make_file, args, expected):
    g = ROOT / "tests" / "guests"
    if make_file == "multiboot_elf":
        subprocess.run(["nasm", "-f", "elf32", f"-I{g}/", str(g / "multiboot_elf.asm"),
                        "-o", str(tmp_path / "k.o")], check=True)
        subprocess.run(["ld", "-m", "elf_i386", "-Ttext-segment=0x100000", "-e", "start",
                        str(tmp_path / "k.o"), "-o", str(tmp_path / "k.elf")], check=True)
        path = tmp_path / "k.elf"
    elif make_file == "multiboot_aout":
        path = assemble(Guest("multiboot_info.asm", "k.bin"), tmp_path)
    elif make_file in ("floppy", "harddisk"):
        path = assemble(Guest("bootsector_exit.asm", "k.img"), tmp_path)
        with open(path, "r+b") as f:
            f.truncate(1474560 if make_file == "floppy" else 10 << 20)
    elif make_file == "flat":
        path = assemble(Guest("hello_real.asm", "k.bin"), tmp_path)
    else:
        path = ROOT / "build" / "linux" / "vmlinuz"
        if not path.exists():
            pytest.skip("no build/linux/vmlinuz (make linux)")
    line = ok(tool("kind", path, *args)).stdout.strip()
    assert expected in line, line
    if make_file == "bzimage":
        assert "guest linux kernel=VMLINUZ initrd=INITRD.GZ" in line, line


def test_kind_refusals(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x90" * 4096)
    refused(tool("kind", junk), "not a guest Keel can place", "Multiboot header",
            "'HdrS' at byte 0x202", "0x55AA at byte 510", "LOAD= and MODE=")
    refused(tool("kind", junk, "--mode", "real"), "needs both a load address and a mode")
    floppy = assemble(Guest("bootsector_exit.asm", "f.img"), tmp_path)
    refused(tool("kind", floppy, "--initrd", junk), "an initrd is only for a Linux bzImage")
    refused(tool("kind", floppy, "--cmdline", "x"), "only for a Linux or Multiboot kernel")
    old = bytearray(4096)
    old[0x1FE:0x200] = b"\x55\xaa"
    old[0x202:0x206] = b"HdrS"
    old[0x206:0x208] = struct.pack("<H", 0x0204)
    (tmp_path / "old.bin").write_bytes(old)
    refused(tool("kind", tmp_path / "old.bin"), "boot protocol 2.04", "2.06 or later")


def test_cfgcheck_prints_keels_message(tmp_path):
    def check(text, *args):
        return subprocess.run([str(CFGCHECK), *args, "-"], input=text,
                              capture_output=True, text=True)
    r = check("entry A\n guest flat file=T load=0x10000 trace=x\n")
    assert (r.returncode, r.stdout) == (1, "KEEL.CFG:2: bad number 'x' for trace\n"), r
    r = check(HELLO_CFG, "--files")
    assert (r.returncode, r.stdout) == (0, "HELLO.BIN\t2\tHello\n"), r
    r = subprocess.run([str(CFGCHECK)], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr
    r = check("x" * 70000)
    assert r.returncode == 1 and "larger than the 65536 bytes stage 2 reads" in r.stdout
