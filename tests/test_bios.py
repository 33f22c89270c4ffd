"""BIOS guests under Keel (docs/bios-shim.md, guest/bios.c, guest/bios_shim.asm).

FreeDOS boots from a copy of the shared floppy image (never the original),
whose AUTOEXEC.BAT writes a marker to COM1 and runs KEELNEXT.COM, which ends
the guest with hypercall 3 so that the next guest of the entry (the
real-mode hello) runs. The memory map a BIOS guest gets is checked by
tests/guests/memmap_bios.asm, as a floppy image and as a partition's boot
record; INT 13h on the emulated drive by the boot sector DISK_BIOS_ASM below,
for a floppy and a hard-disk image; the load errors by their log lines.

KEELNEXT.COM and the test guests are assembled here from source with NASM;
the shim is part of the hypervisor, which `make` builds (build/disk.img).
"""

import os
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from keel import (QEMU, assert_line, assert_lines_in_order, assert_no_line, make_image,
                  run_bochs, run_qemu)

ROOT = Path(__file__).resolve().parent.parent
GUESTS = ROOT / "tests" / "guests"
SHARED_FREEDOS = ROOT.parent / "shared" / "guests" / "freedos"
FREEDOS_IMG = Path(os.environ.get("FREEDOS_IMG", SHARED_FREEDOS / "freedos-1.44M.img"))
FAT16_BOOT = FREEDOS_IMG.parent / "fat16-boot.bin"
SYSLINUX_MBR = Path("/usr/lib/syslinux/mbr/mbr.bin")

QEMU_TIMEOUT = 30
BOCHS_TIMEOUT = 300
BOCHS_AMD_MODEL = "zambezi"                # SVM + NPT
BOCHS_INTEL_MODEL = "corei7_skylake_x"     # VMX + EPT + unrestricted guest
BOCHS_MODELS = [BOCHS_AMD_MODEL, BOCHS_INTEL_MODEL]
MEM_MIB = 512                   # both boots of a memmap test must agree

MARKER = "KEEL-FREEDOS-MARKER"
HELLO = "hello from a real-mode guest"
HELLO_CFG = "  guest flat file=HELLO.BIN load=0x10000 mode=real"
KEELNEXT_STARTS = "KEELNEXT: starting the next guest"
KEELNEXT_REFUSES = "KEELNEXT: not running under Keel"

SECTOR = 512
FLOPPY_1440K = 1440 * 1024
DISK_BYTES = 128 << 20          # build/disk.img (disk.img.mk DISK_MIB)


# ---- building ---------------------------------------------------------------------

def nasm(src, out, defines=None, include=GUESTS):
    """Assembles SRC (a path) into the flat binary OUT; returns OUT."""
    cmd = ["nasm", "-f", "bin", f"-I{include}/"]
    cmd += [f"-D{k}={v}" for k, v in (defines or {}).items()]
    cmd += [str(src), "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"nasm failed ({r.returncode}):\n{' '.join(cmd)}\n"
                             f"{r.stdout}{r.stderr}")
    return Path(out)


def mtools(*args):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    r = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True,
                       timeout=60)
    if r.returncode:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({r.returncode}):\n"
                             f"{r.stdout}{r.stderr}")


def need_freedos():
    if not FREEDOS_IMG.exists():
        pytest.skip(f"no FreeDOS image at {FREEDOS_IMG} (FREEDOS_IMG=...)")


@pytest.fixture(scope="module")
def keelnext(tmp_path_factory):
    """KEELNEXT.COM, assembled from guest/keelnext.asm."""
    out = tmp_path_factory.mktemp("keelnext") / "KEELNEXT.COM"
    return nasm(ROOT / "guest" / "keelnext.asm", out)


def dos_text(lines):
    return "".join(line + "\r\n" for line in lines).encode("ascii")


def freedos_floppy(tmp_path, keelnext, autoexec):
    """A copy of the shared FreeDOS floppy with AUTOEXEC.BAT replaced and
    KEELNEXT.COM added. The original is read, never written."""
    need_freedos()
    img = Path(tmp_path) / "fdos.img"
    shutil.copyfile(FREEDOS_IMG, img)
    img.chmod(0o644)
    bat = Path(tmp_path) / "AUTOEXEC.BAT"
    bat.write_bytes(dos_text(autoexec))
    mtools("mcopy", "-o", "-i", img, bat, "::AUTOEXEC.BAT")
    mtools("mcopy", "-o", "-i", img, keelnext, "::KEELNEXT.COM")
    return img


FREEDOS_AUTOEXEC = ["@ECHO OFF", f"ECHO {MARKER} > COM1", "KEELNEXT > COM1"]


def entry(*guest_lines, title="BIOS test"):
    lines = ["timeout 0", "default 1", "", f'entry "{title}"', *guest_lines,
             "  after poweroff"]
    return "\n".join(lines) + "\n"


def floppy_with(boot):
    """A 1440 KiB floppy image whose first bytes are BOOT."""
    img = bytearray(FLOPPY_1440K)
    img[:len(boot)] = boot
    return bytes(img)


def extend_disk(image, extra_sectors):
    """Grows a copy of build/disk.img beyond partition 1; returns the LBA
    where the new space starts."""
    start = DISK_BYTES // SECTOR
    with open(image, "r+b") as f:
        f.truncate(DISK_BYTES + extra_sectors * SECTOR)
    return start


def chs(lba, heads=255, spt=63):
    """The 3 CHS bytes of a partition entry for LBA (1023/254/63 beyond)."""
    c, h, s = lba // (heads * spt), (lba // spt) % heads, lba % spt + 1
    if c > 1023:
        c, h, s = 1023, 254, 63
    return bytes([h, ((c >> 2) & 0xC0) | s, c & 0xFF])


def partition_entry(ptype, start, sectors, active=False):
    return (bytes([0x80 if active else 0]) + chs(start) + bytes([ptype]) +
            chs(start + sectors - 1) + struct.pack("<II", start, sectors))


def write_partition(image, number, ptype, start, sectors, data=b""):
    """Writes MBR entry NUMBER (1-4) of IMAGE and DATA at its first sector."""
    with open(image, "r+b") as f:
        f.seek(446 + 16 * (number - 1))
        f.write(partition_entry(ptype, start, sectors))
        if data:
            f.seek(start * SECTOR)
            f.write(data)


def freedos_fat16(path, start, sectors, files):
    """A FAT16 file system image for a partition at START (hidden sectors)
    with FreeDOS's boot code (fat16-boot.bin, BPB kept) and FILES."""
    if not FAT16_BOOT.exists():
        pytest.skip(f"{FAT16_BOOT} missing")
    if shutil.which("mkfs.fat") is None:
        pytest.skip("mkfs.fat not installed (apt-get install dosfstools)")
    r = subprocess.run(["mkfs.fat", "-F", "16", "-s", "1", "-n", "FDOSHD", "-g", "255/63",
                        "-h", str(start), "-C", str(path), str(sectors // 2)],
                       capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"mkfs.fat failed:\n{r.stdout}{r.stderr}")
    boot = FAT16_BOOT.read_bytes()
    with open(path, "r+b") as f:
        f.seek(62)
        f.write(boot[62:510])
    for name, src in files.items():
        mtools("mcopy", "-o", "-i", path, src, f"::{name}")
    return Path(path)


def freedos_files(tmp_path, keelnext):
    """KERNEL.SYS and COMMAND.COM from the floppy, and the files that make
    FreeDOS on a hard disk print the marker and run KEELNEXT."""
    need_freedos()
    d = Path(tmp_path) / "fdfiles"
    d.mkdir(exist_ok=True)
    for name in ("KERNEL.SYS", "COMMAND.COM"):
        mtools("mcopy", "-o", "-i", FREEDOS_IMG, f"::{name}", d / name)
    (d / "AUTOEXEC.BAT").write_bytes(dos_text(FREEDOS_AUTOEXEC))
    (d / "CONFIG.SYS").write_bytes(dos_text(["SHELL=COMMAND.COM /E:512 /P"]))
    files = {n: d / n for n in ("KERNEL.SYS", "COMMAND.COM", "AUTOEXEC.BAT", "CONFIG.SYS")}
    files["KEELNEXT.COM"] = Path(keelnext)
    return files


# ---- checking ---------------------------------------------------------------------

def check_ended(result):
    """The run ended by itself (Keel powered off) and nothing was fatal."""
    if result.fatal_lines():
        raise AssertionError(f"Keel reported a fatal error: {result.fatal_lines()[0]!r}\n"
                             f"{result.describe()}")
    if result.timed_out:
        raise AssertionError("the run did not end by itself within its time limit "
                             f"(Keel should power off after the last guest)\n"
                             f"{result.describe()}")


def exits_after(result, stop_text):
    """The `keel: exits` line that follows the first line containing STOP_TEXT."""
    lines = result.lines
    for i, line in enumerate(lines):
        if stop_text in line:
            for later in lines[i + 1:]:
                if later.startswith("keel: exits "):
                    return later
    raise AssertionError(f"no 'keel: exits' line after {stop_text!r}\n{result.describe()}")


REGION_RE = re.compile(r"keel: region base=0x([0-9a-f]+) size=(\d+) MiB")


def region_of(result):
    """Keel's region (base, end) from `keel: region base=0x... size=N MiB`."""
    for line in result.lines:
        m = REGION_RE.search(line)
        if m:
            base = int(m.group(1), 16)
            return base, base + (int(m.group(2)) << 20)
    raise AssertionError(f"no 'keel: region base=...' line\n{result.describe()}")


def expect_freedos_next(result, index, name):
    """FreeDOS (guest INDEX) wrote the marker and left through KEELNEXT."""
    check_ended(result)
    assert_line(result, MARKER, where="serial")
    assert_line(result, KEELNEXT_STARTS, where="serial")
    assert_lines_in_order(result, [
        f'keel: guest {index} "{name}" start kind=bios',
        f'keel: guest {index} "{name}" stop reason=next exits=',
        f'keel: guest {index + 1} "HELLO.BIN" start kind=flat',
        f"keel: [HELLO.BIN] {HELLO}",
        f'keel: guest {index + 1} "HELLO.BIN" stop reason=exit-code code=0 exits=',
    ])
    return exits_after(result, f'keel: guest {index} "{name}" stop reason=next')


def report_time(result, name, what):
    t0 = result.time_of(f'"{name}" start kind=bios')
    t1 = result.time_of(f'"{name}" stop reason=next')
    if t0 is not None and t1 is not None:
        print(f"{what}: {t1 - t0:.2f} s from guest start to KEELNEXT "
              f"({t1:.2f} s after the emulator started)")


# ---- FreeDOS from a floppy image -----------------------------------------------------

def freedos_floppy_disk(tmp_path, keelnext):
    img = freedos_floppy(tmp_path, keelnext, FREEDOS_AUTOEXEC)
    cfg = entry("  guest bios image=FDOS.IMG drive=0x00", HELLO_CFG, title="FreeDOS, then hello")
    return make_image(tmp_path, cfg_text=cfg, files={"FDOS.IMG": img})


def test_freedos_floppy_then_next_guest(tmp_path, keelnext):
    r = run_qemu(freedos_floppy_disk(tmp_path, keelnext), timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    assert_line(r, 'keel: guest 1 "FDOS.IMG": drive 0x00 floppy 1440 KiB, 80/2/18')
    exits = expect_freedos_next(r, 1, "FDOS.IMG")
    report_time(r, "FDOS.IMG", "FreeDOS floppy under Keel (QEMU)")
    print(exits)


@pytest.mark.parametrize("model", BOCHS_MODELS)
def test_freedos_floppy_then_next_guest_bochs(tmp_path, keelnext, model):
    r = run_bochs(freedos_floppy_disk(tmp_path, keelnext), model,
                  timeout=BOCHS_TIMEOUT, megs=MEM_MIB)
    expect_freedos_next(r, 1, "FDOS.IMG")
    report_time(r, "FDOS.IMG", f"FreeDOS floppy under Keel (Bochs {model})")


def test_freedos_twice_gets_a_fresh_ivt(tmp_path, keelnext):
    """The second BIOS guest starts from the IVT and BDA the first one found:
    its shim lands where the first one did and FreeDOS boots again."""
    img = freedos_floppy(tmp_path, keelnext, FREEDOS_AUTOEXEC)
    cfg = entry("  guest bios image=FDOS.IMG drive=0x00", "  guest bios image=FDOS.IMG drive=0x00",
                HELLO_CFG)
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files={"FDOS.IMG": img}),
                 timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    check_ended(r)
    shims = [ln for ln in r.lines if "BIOS shim at" in ln]
    assert len(shims) == 2 and shims[0].split(":", 2)[2] == shims[1].split(":", 2)[2], \
        f"expected two identical shim lines, got {shims!r}\n{r.describe()}"
    assert r.serial.count(MARKER) == 2, f"expected the marker twice\n{r.describe()}"
    expect_freedos_next(r, 2, "FDOS.IMG")
    assert_line(r, 'keel: guest 1 "FDOS.IMG" stop reason=next exits=')


def test_keelnext_refuses_without_keel(tmp_path, keelnext):
    """On bare QEMU the same floppy boots to the marker and KEELNEXT, seeing
    no Keel, says so instead of executing VMCALL/VMMCALL (#UD)."""
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 not installed")
    img = freedos_floppy(tmp_path, keelnext, FREEDOS_AUTOEXEC + [f"ECHO DONE-{MARKER} > COM1"])
    ser = Path(tmp_path) / "com1.log"
    cmd = [QEMU, "-cpu", "max", "-m", str(MEM_MIB), "-drive", f"file={img},format=raw,if=floppy",
           "-serial", f"file:{ser}", "-display", "none", "-no-reboot", "-nic", "none"]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    marker_at = None
    try:
        while time.monotonic() - t0 < QEMU_TIMEOUT:
            text = ser.read_bytes().decode("latin-1") if ser.exists() else ""
            if marker_at is None and MARKER in text:
                marker_at = time.monotonic() - t0
            if f"DONE-{MARKER}" in text:
                break
            time.sleep(0.02)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    text = ser.read_bytes().decode("latin-1") if ser.exists() else ""
    assert f"DONE-{MARKER}" in text, f"FreeDOS did not finish AUTOEXEC.BAT on bare QEMU:\n{text}"
    assert KEELNEXT_REFUSES in text, f"expected {KEELNEXT_REFUSES!r} on COM1:\n{text}"
    print(f"FreeDOS floppy on bare QEMU: marker after {marker_at:.2f} s")


# ---- the memory map ------------------------------------------------------------------

def memmap_bins(tmp_path, region):
    """memmap_bios.asm for REGION (base, end); (0, 0) makes a first-boot
    placeholder of the same size."""
    out = Path(tmp_path) / f"memmap-{region[0]:x}.bin"
    return nasm(GUESTS / "memmap_bios.asm", out,
                {"REGION_BASE": hex(region[0]), "REGION_END": hex(region[1])}).read_bytes()


def memmap_disk(tmp_path, boot, name):
    """MM.IMG (a floppy with BOOT) and partition 2 (BOOT as its boot record),
    in one entry: the image guest, the partition guest, then hello."""
    cfg = entry("  guest bios image=MM.IMG drive=0x00", "  guest bios partition=2", HELLO_CFG)

    def patch(image):
        start = extend_disk(image, 2048)
        write_partition(image, 2, 0x83, start, 2048, boot)

    return make_image(tmp_path, cfg_text=cfg, files={"MM.IMG": floppy_with(boot)},
                      patch=patch, name=name)


GAVE_RE = re.compile(r"keel: region gave 0x([0-9a-f]+)-0x([0-9a-f]+) ")


def region_kept(result):
    """(base, end) of the part of Keel's region that stays Keel's for every
    guest: the image guest's MM.IMG goes back to the guests after it
    (`keel: region gave ...`), so the partition guest sees that part as
    RAM; the region below it must be hidden from both."""
    base, end = region_of(result)
    for line in result.lines:
        m = GAVE_RE.search(line)
        if m:
            end = min(end, int(m.group(1), 16))
    return base, end


def memmap_run(tmp_path, run):
    # The region depends on the memory size and the entry's files: the
    # first boot has the same of both and tells where it is.
    first = run(memmap_disk(tmp_path, memmap_bins(tmp_path, (0, 0)), "first.img"))
    region = region_kept(first)
    r = run(memmap_disk(tmp_path, memmap_bins(tmp_path, region), "disk.img"))
    check_ended(r)
    assert region_kept(r) == region and region_of(r) == region_of(first), \
        f"the region moved between boots\n{r.describe()}"
    for index, name in ((1, "MM.IMG"), (2, "partition 2")):
        line = assert_line(r, f'keel: guest {index} "{name}" stop reason=')
        assert "stop reason=exit-code code=0 exits=" in line, \
            f"{line!r}: see the exit codes in tests/guests/memmap_bios.asm\n{r.describe()}"
        for call in ("int12", "e820", "e801", "88h"):
            assert_line(r, f"keel: [{name}] {call} ")
    assert_line(r, f"keel: [HELLO.BIN] {HELLO}")
    return r


def test_memmap_hides_region_and_shim(tmp_path):
    """E820h (20- and 24-byte answers), E801h, 88h and INT 12h leave out
    Keel's region and the shim, for an image and for a partition guest."""
    memmap_run(tmp_path, lambda img: run_qemu(img, timeout=QEMU_TIMEOUT, mem=MEM_MIB))


@pytest.mark.parametrize("model", BOCHS_MODELS)
def test_memmap_hides_region_and_shim_bochs(tmp_path, model):
    memmap_run(tmp_path, lambda img: run_bochs(img, model, timeout=BOCHS_TIMEOUT, megs=MEM_MIB))


# ---- INT 13h on the emulated drive -----------------------------------------------------

# Test guest for INT 13h, kept here beside its only user. Four sectors: the
# boot sector loads the other three through the emulated drive.
DISK_BIOS_ASM = r"""
; INT 13h on the drive Keel emulates (docs/bios-shim.md). Sector N of the
; image (N >= 4) starts with the dword N. Ends with hypercall 2: 0, or
;   1 loading sectors 1-3 failed
;   floppy: 2 AH=08h geometry (CX, DH, BL), 3 the diskette parameter table
;   at ES:DI, 4 reading the last sector, 5 a read across the image's end
;   does not fail with 04h, 6 AH=01h does not repeat 04h, 7 AH=50h does not
;   fail with 01h, 8 write then read back differs, 9 AH=41h does not fail,
;   10 AH=15h is not "floppy with change line", 11 DF (a caller's flag) was
;   lost, 12 a read across a track boundary, 13 sector 0 was accepted
;   hard disk: 20 AH=41h, 21 AH=48h, 22 AH=42h of the last sector, 23 an
;   AH=42h across the end does not fail with 04h and count 0, 24 AH=08h
;   geometry, 25 AH=15h type and size, 26 AH=43h then AH=42h differs
BITS 16
ORG 0x7C00

HC_EXIT		equ 2
VMMCALL_MODRM	equ 0xD9		; 0F 01 D9 is VMMCALL, 0F 01 C1 VMCALL
BUF		equ 0x9000

%macro EXPECT 2				; exit with code %2 unless condition %1
	j%1 %%ok
	mov al, %2
	jmp fail
%%ok:
%endmacro

start:
	xor eax, eax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7C00
	cld
	mov [drive], dl
	cpuid				; EAX = 0: the vendor picks the hypercall
	cmp ebx, 'Auth'
	jne .intel
	mov byte [hc_insn + 2], VMMCALL_MODRM
.intel:
	mov bx, 0x7E00			; the rest of this guest goes to 0000:7E00
	mov dl, [drive]			; CPUID took EDX
	test dl, dl
	js .hd
	mov ax, 0x0203			; 3 sectors from C/H/S 0/0/2
	mov cx, 0x0002
	xor dh, dh
	int 0x13
	EXPECT nc, 1
	jmp floppy
.hd:
	mov si, dap			; 3 sectors from LBA 1
	mov ah, 0x42
	int 0x13
	EXPECT nc, 1
	jmp hard_disk

fail:					; exit code AL
	movzx ebx, al
	mov eax, HC_EXIT
hc_insn:
	vmcall
	cli
	hlt

drive:	db 0
dap:	db 0x10, 0
	dw 3, 0x7E00, 0
	dq 1

	times 510 - ($ - $$) db 0
	dw 0xAA55

chs_read:				; AH=02h: AL sectors at CX/DH to BUF
	mov ah, 0x02
chs_io:					; AH, AL sectors at CX/DH, BUF
	mov bx, BUF
	mov dl, [drive]
	int 0x13
	ret

floppy:
	mov ah, 0x08
	mov dl, [drive]
	int 0x13
	EXPECT nc, 2
	cmp cx, 0x4F12			; 80 cylinders (max 79), 18 sectors
	EXPECT e, 2
	cmp dh, 1			; 2 heads (max 1)
	EXPECT e, 2
	cmp bl, 4			; 1.44 MB drive
	EXPECT e, 2
	cmp byte [es:di + 4], 18	; sectors per track in the parameter table
	EXPECT e, 3
	xor ax, ax
	mov es, ax

	mov al, 1			; C/H/S 79/1/18: the last sector, LBA 2879
	mov cx, 0x4F12
	mov dh, 1
	call chs_read
	EXPECT nc, 4
	cmp dword [BUF], 2879
	EXPECT e, 4

	mov al, 2			; two sectors from the last one: past the end
	mov cx, 0x4F12
	mov dh, 1
	call chs_read
	EXPECT c, 5
	cmp ah, 0x04
	EXPECT e, 5
	mov ah, 0x01			; status of the last operation: still 04h
	mov dl, [drive]
	int 0x13
	EXPECT c, 6
	cmp ah, 0x04
	EXPECT e, 6

	mov ah, 0x50			; no such function
	mov dl, [drive]
	int 0x13
	EXPECT c, 7
	cmp ah, 0x01
	EXPECT e, 7

	mov dword [BUF], 0xC0FFEE00	; write LBA 100 (C/H/S 2/1/11), read it back
	mov ax, 0x0301
	mov cx, 0x020B
	mov dh, 1
	call chs_io
	EXPECT nc, 8
	mov dword [BUF], 0
	mov al, 1
	mov cx, 0x020B
	mov dh, 1
	call chs_read
	EXPECT nc, 8
	cmp dword [BUF], 0xC0FFEE00
	EXPECT e, 8

	mov ah, 0x41			; no EDD on a floppy
	mov bx, 0x55AA
	mov dl, [drive]
	int 0x13
	EXPECT c, 9

	mov ah, 0x15			; disk type: floppy with change line
	mov dl, [drive]
	int 0x13
	EXPECT nc, 10
	cmp ah, 0x02
	EXPECT e, 10

	std				; a caller's flags survive the call, CF aside
	mov ah, 0x00
	mov dl, [drive]
	int 0x13
	pushf
	cld
	pop ax
	test ah, 0x04			; DF is bit 10
	EXPECT nz, 11

	mov al, 2			; C/H/S 0/0/18 and 0/1/1: LBA 17 and 18
	mov cx, 0x0012
	mov dh, 0
	call chs_read
	EXPECT nc, 12
	cmp dword [BUF], 17
	EXPECT e, 12
	cmp dword [BUF + 512], 18
	EXPECT e, 12

	mov al, 1			; sector numbers start at 1
	mov cx, 0x0000
	mov dh, 0
	call chs_read
	EXPECT c, 13
	xor al, al
	jmp fail

edd_io:					; AH=42h/43h of one sector at LBA EBX to BUF
	mov [xdap.lba], ebx
	mov word [xdap.count], 1
	mov si, xdap
	mov dl, [drive]
	int 0x13
	ret

hard_disk:
	mov ah, 0x41
	mov bx, 0x55AA
	mov dl, [drive]
	int 0x13
	EXPECT nc, 20
	cmp bx, 0xAA55
	EXPECT e, 20
	test cl, 1			; extended disk access functions
	EXPECT nz, 20

	mov word [params], 0x1E		; EDD 2.x result buffer
	mov si, params
	mov ah, 0x48
	mov dl, [drive]
	int 0x13
	EXPECT nc, 21
	cmp dword [params + 16], SECTORS
	EXPECT e, 21
	cmp word [params + 24], 512
	EXPECT e, 21

	mov ebx, SECTORS - 1		; the last sector
	mov ah, 0x42
	call edd_io
	EXPECT nc, 22
	cmp dword [BUF], SECTORS - 1
	EXPECT e, 22

	mov dword [xdap.lba], SECTORS - 1 ; two from the last one: past the end
	mov word [xdap.count], 2
	mov si, xdap
	mov ah, 0x42
	mov dl, [drive]
	int 0x13
	EXPECT c, 23
	cmp ah, 0x04
	EXPECT e, 23
	cmp word [xdap.count], 0	; none transferred
	EXPECT e, 23

	mov ah, 0x08
	mov dl, [drive]
	int 0x13
	EXPECT nc, 24
	cmp dh, 254			; 255 heads
	EXPECT e, 24
	and cl, 0x3F			; 63 sectors
	cmp cl, 63
	EXPECT e, 24
	test dl, dl			; at least one hard disk
	EXPECT nz, 24

	mov ah, 0x15
	mov dl, [drive]
	int 0x13
	EXPECT nc, 25
	cmp ah, 0x03
	EXPECT e, 25
	cmp cx, SECTORS >> 16
	EXPECT e, 25
	cmp dx, SECTORS & 0xFFFF
	EXPECT e, 25

	mov dword [BUF], 0xC0FFEE01	; write LBA 100, read it back
	mov ebx, 100
	mov ax, 0x4300
	call edd_io
	EXPECT nc, 26
	mov dword [BUF], 0
	mov ebx, 100
	mov ah, 0x42
	call edd_io
	EXPECT nc, 26
	cmp dword [BUF], 0xC0FFEE01
	EXPECT e, 26
	xor al, al
	jmp fail

xdap:	db 0x10, 0
.count:	dw 1
	dw BUF, 0
.lba:	dq 0
params:	times 0x1E db 0

	times 4 * 512 - ($ - $$) db 0
"""


def disk_image(tmp_path, sectors):
    """The INT 13h guest in sectors 0-3, then sector N starting with N."""
    src = Path(tmp_path) / "disk_bios.asm"
    src.write_text(DISK_BIOS_ASM)
    code = nasm(src, Path(tmp_path) / "disk_bios.bin", {"SECTORS": sectors}).read_bytes()
    img = bytearray(sectors * SECTOR)
    for n in range(4, sectors):
        img[n * SECTOR:n * SECTOR + 4] = struct.pack("<I", n)
    img[:len(code)] = code
    return bytes(img)


@pytest.mark.parametrize("drive,sectors,kind", [
    ("0x00", 2880, "floppy 1440 KiB, 80/2/18"),
    ("0x80", 8192, "hard disk 8192 sectors, 1/255/63"),
], ids=["floppy", "hard-disk"])
def test_int13_emulated_drive(tmp_path, drive, sectors, kind):
    cfg = entry(f"  guest bios image=DISK.IMG drive={drive}", HELLO_CFG)
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files={"DISK.IMG": disk_image(tmp_path, sectors)}),
                 timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    check_ended(r)
    assert_line(r, f'keel: guest 1 "DISK.IMG": drive {drive} {kind}')
    line = assert_line(r, 'keel: guest 1 "DISK.IMG" stop reason=')
    assert 'stop reason=exit-code code=0 exits=' in line, \
        f"{line!r}: see the exit codes in DISK_BIOS_ASM\n{r.describe()}"
    assert_line(r, f"keel: [HELLO.BIN] {HELLO}")


# ---- FreeDOS from a hard disk: an image, and a partition of the boot disk -------------

def hard_disk_image(tmp_path, keelnext, mib=8):
    """An MBR (SYSLINUX's, which boots the active partition) and one active
    FAT16 LBA partition with FreeDOS from 1 MiB on."""
    if not SYSLINUX_MBR.exists():
        pytest.skip(f"{SYSLINUX_MBR} missing (apt-get install syslinux-common)")
    start, total = 2048, mib * 2048
    part = freedos_fat16(Path(tmp_path) / "hdpart.img", start, total - start,
                         freedos_files(tmp_path, keelnext))
    mbr = bytearray(SECTOR)
    mbr[:440] = SYSLINUX_MBR.read_bytes()[:440]
    mbr[446:462] = partition_entry(0x0E, start, total - start, active=True)
    mbr[510:512] = b"\x55\xaa"
    img = Path(tmp_path) / "hd.img"
    with open(img, "wb") as f:
        f.write(mbr)
        f.seek(start * SECTOR)
        f.write(part.read_bytes())
        f.truncate(total * SECTOR)
    return img


def test_freedos_hard_disk_image(tmp_path, keelnext):
    """FreeDOS on a FAT16 partition of an image served as drive 0x80: the
    MBR, FreeDOS's boot sector and kernel use INT 13h AH=41h/42h/48h."""
    cfg = entry("  guest bios image=HD.IMG drive=0x80", HELLO_CFG)
    img = hard_disk_image(tmp_path, keelnext)
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files={"HD.IMG": img}),
                 timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    assert_line(r, 'keel: guest 1 "HD.IMG": drive 0x80 hard disk 16384 sectors')
    expect_freedos_next(r, 1, "HD.IMG")
    report_time(r, "HD.IMG", "FreeDOS hard-disk image under Keel (QEMU)")


def test_freedos_partition(tmp_path, keelnext):
    """FreeDOS installed on partition 2 of the boot disk, chain-loaded by the
    shim's loader through the BIOS. FreeDOS then takes C: (partition 1) as
    its boot drive, so its shell and start-up files go there too."""
    files = freedos_files(tmp_path, keelnext)
    size = 8 * 2048

    def patch(image):
        start = extend_disk(image, size)
        part = freedos_fat16(Path(tmp_path) / "p2.img", start, size, files)
        write_partition(image, 2, 0x0E, start, size, part.read_bytes())

    on_c = {n: files[n] for n in ("COMMAND.COM", "AUTOEXEC.BAT", "CONFIG.SYS", "KEELNEXT.COM")}
    cfg = entry("  guest bios partition=2", HELLO_CFG)
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files=on_c, patch=patch),
                 timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    assert_line(r, 'keel: guest 1 "partition 2": partition 2 of drive 0x80')
    expect_freedos_next(r, 1, "partition 2")


# ---- the serial console ------------------------------------------------------------

def test_serial_console(tmp_path):
    """console=serial: INT 10h teletype and string output reach COM1, and
    bytes typed on COM1 arrive through INT 16h as keys with their scan
    codes -- DEL as Backspace, ESC [ A and ESC [ D as Up and Left, CR LF
    as one Enter and a lone LF as another, a lone ESC as Esc
    (tests/guests/serial_console.asm). The shim then takes two
    KiB; without console=serial, one, and COM1 stays quiet."""
    boot = nasm(GUESTS / "serial_console.asm", Path(tmp_path) / "sercon.bin").read_bytes()
    files = {"SERCON.IMG": floppy_with(boot)}
    cfg = entry("  guest bios image=SERCON.IMG console=serial")
    typed = "a1\x7f\x1b[A\x1b[D\r\n~\n\x1bq"
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files=files), timeout=QEMU_TIMEOUT,
                 serial_input=typed, input_after="keel: [SERCON.IMG] serial console: ready")
    check_ended(r)
    assert_line(r, 'keel: guest 1 "SERCON.IMG": BIOS shim at ')
    assert_line(r, "(2 KiB; INT 12h now ")
    assert_line(r, 'keel: guest 1 "SERCON.IMG": serial console on port 0x3f8')
    assert_line(r, "serial console: teletype", where="serial")
    assert_line(r, "serial string", where="serial")
    keys = ["1e61", "0231", "0e08", "4800", "4b00", "1c0d", "297e", "1c0d", "011b", "1071"]
    assert_lines_in_order(r, [f"keel: [SERCON.IMG] key {k}" for k in keys])
    assert len([ln for ln in r.lines if "keel: [SERCON.IMG] key " in ln]) == len(keys), \
        r.describe()
    assert_line(r, 'keel: guest 1 "SERCON.IMG" stop reason=exit-code code=0 ')

    # The same guest without console=serial: keys only from the keyboard
    # (none come), nothing on COM1; it waits until the run is ended.
    cfg = entry("  guest bios image=SERCON.IMG")
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files=files, name="screen.img"),
                 timeout=QEMU_TIMEOUT, serial_input=typed,
                 input_after="keel: [SERCON.IMG] serial console: ready",
                 stop_at="keel: [SERCON.IMG] serial console: ready")
    assert_line(r, "(1 KiB; INT 12h now ")
    assert_no_line(r, "serial console on port")
    assert "serial console: teletype" not in r.serial, r.describe()
    time.sleep(0.5)
    assert_no_line(r, "keel: [SERCON.IMG] key ")


# ---- what does not start -------------------------------------------------------------

def test_image_load_errors(tmp_path):
    """Images Keel refuses, each with its reason; the next guest still runs."""
    mbr_4m = bytearray(4 << 20)
    mbr_4m[510:512] = b"\x55\xaa"
    cfg = entry("  guest bios image=BAD.IMG drive=0x00",
                "  guest bios image=EMPTY.IMG drive=0x00",
                "  guest bios image=HDASFD.IMG drive=0x00",
                "  guest bios image=NOMBR.IMG drive=0x80",
                HELLO_CFG)
    files = {"BAD.IMG": bytes(1000), "EMPTY.IMG": bytes(FLOPPY_1440K),
             "HDASFD.IMG": bytes(mbr_4m), "NOMBR.IMG": bytes(4 << 20)}
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, files=files), timeout=QEMU_TIMEOUT,
                 mem=MEM_MIB)
    check_ended(r)
    assert_lines_in_order(r, [
        'keel: guest 1 "BAD.IMG": 1000 bytes is no floppy size and the image has no MBR',
        'keel: guest 1 "BAD.IMG" stop reason=load-error exits=0',
        'keel: guest 2 "EMPTY.IMG": the image\'s boot sector has no 0x55AA signature',
        'keel: guest 2 "EMPTY.IMG" stop reason=load-error exits=0',
        'keel: guest 3 "HDASFD.IMG": 4194304 bytes is no floppy size; a hard-disk image '
        'needs drive=0x80 or above',
        'keel: guest 3 "HDASFD.IMG" stop reason=load-error exits=0',
        'keel: guest 4 "NOMBR.IMG": 4194304 bytes is no floppy size and the image has no MBR',
        'keel: guest 4 "NOMBR.IMG" stop reason=load-error exits=0',
        f"keel: [HELLO.BIN] {HELLO}",
    ])
    # A refused guest leaves no shim behind.
    assert_no_line(r, "BIOS shim at")


@pytest.mark.parametrize("emulator", [
    pytest.param("qemu", id="qemu-svm"),
    pytest.param(BOCHS_INTEL_MODEL, id="bochs-vmx", marks=pytest.mark.bochs),
])
def test_partition_only_entry(tmp_path, emulator):
    """An entry whose only guest is `guest bios partition=2` loads no
    file: stage 2 hands over an empty module list (flags 0x24F, mods_count
    0) and the partition's boot record starts, with DL = the boot drive and
    DS:SI at its partition entry. Before: `hand-off structure lacks a
    command line, memory map or module list (flags 0x247)`."""
    vbr = nasm(GUESTS / "partition_vbr.asm", Path(tmp_path) / "vbr.bin").read_bytes()

    def patch(image):
        start = extend_disk(image, 2048)
        write_partition(image, 2, 0x0C, start, 2048, vbr)

    cfg = entry("  guest bios partition=2", title="Another OS on partition 2")
    img = make_image(tmp_path, cfg_text=cfg, patch=patch)
    if emulator == "qemu":
        r = run_qemu(img, timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    else:
        r = run_bochs(img, emulator, timeout=BOCHS_TIMEOUT, megs=MEM_MIB)
    check_ended(r)
    assert_no_line(r, "keel: loaded ")
    assert_no_line(r, "keel: module ")
    assert_lines_in_order(r, [
        'keel: entry "Another OS on partition 2" with 1 guest',
        'keel: guest 1 "partition 2" start kind=bios',
        'keel: guest 1 "partition 2": partition 2 of drive 0x80',
        "keel: [partition 2] partition boot record: drive 0x80 type 0x0c",
        'keel: guest 1 "partition 2" stop reason=exit-code code=0 ',
        "keel: poweroff code=0",
    ])


@pytest.mark.parametrize("number,entry_type,vbr,message", [
    (3, None, None, "no such partition in the boot disk's MBR"),
    (2, 0x83, bytes(SECTOR), "the partition's boot record has no 0x55AA signature"),
], ids=["no-partition", "empty-boot-record"])
def test_partition_load_errors(tmp_path, number, entry_type, vbr, message):
    """The shim's loader explains a missing partition or an empty boot
    record on Keel's log and hands over to the next guest."""
    def patch(image):
        if entry_type is not None:
            start = extend_disk(image, 2048)
            write_partition(image, 2, entry_type, start, 2048, vbr)

    cfg = entry(f"  guest bios partition={number}", HELLO_CFG)
    r = run_qemu(make_image(tmp_path, cfg_text=cfg, patch=patch), timeout=QEMU_TIMEOUT,
                 mem=MEM_MIB)
    check_ended(r)
    assert_lines_in_order(r, [
        f'keel: guest 1 "partition {number}" start kind=bios',
        f"keel: [partition {number}] {message}",
        f'keel: guest 1 "partition {number}" stop reason=next exits=',
        f"keel: [HELLO.BIN] {HELLO}",
    ])
