"""More BIOS guests under Keel (docs/bios-shim.md, DESIGN.md "Guests"):
SYSLINUX installed on a FAT partition, and the ways a BIOS guest asks for
a reset.

1. SYSLINUX on partition 2 of a copy of build/disk.img (mkfs.fat with the
   partition's hidden sectors, `syslinux --install` on the partition image,
   then the image and its MBR entry put into the disk copy), chain-loaded
   with `guest bios partition=2`, prints a marker and its `boot:` prompt on
   COM1, times out into a boot sector file that ends the guest, and the next
   guest runs. QEMU and Bochs corei7_skylake_x.
2. Reset requests of a BIOS guest -- OUT 0CF9h, keyboard-controller command
   0FEh, a triple fault, DOS's warm reboot (a jump to F000:FFF0) and
   Ctrl-Alt-Del typed at a FreeDOS prompt -- stop the guest (`stop
   reason=reset` or `reason=triple-fault`) and the next guest (HELLO.BIN,
   partition 1) runs; harmless writes to the same ports (a PCI configuration
   address at 0CF8h, A20 through port 92h and the keyboard controller,
   0CF9h without RST_CPU) are no reset; with `after restart` a reset storm
   restarts the entry again and again without the log growing per round.

SYSLINUX 6.04's SAY and DISPLAY print on the screen only (on bare QEMU
too): ldlinux.c32 takes the serial console's settings when it starts,
before it reads the SERIAL line, so only what is printed later reaches COM1
(the banner, which SERIAL prints itself, the `boot:` prompt, messages of
the core, and modules started afterwards). The configuration therefore runs
`cat.c32 KEEL.MSG` as its UI to put the marker on COM1; the SAY line is
looked for on the VGA text screen by the boot sector file (KEELNEXT.BS)
SYSLINUX boots when its prompt times out, which reports through its exit
code.

Ctrl-Alt-Del needs a keyboard: the test gives run_qemu() a monitor socket
(`-monitor unix:...`) and, from a second thread, waits for the marker on
COM1 and FreeDOS's prompt on the screen (pmemsave of 0xB8000) before it
sends `sendkey ctrl-alt-delete`. Every wait polls against a deadline.
"""

import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from keel import (QEMU_EXIT_POWEROFF, assert_line, assert_lines_in_order, assert_no_line,
                  assert_status, make_image, run_bochs, run_qemu)
from test_bios import (FLOPPY_1440K, FREEDOS_IMG, HELLO, HELLO_CFG, SECTOR, dos_text,
                       extend_disk, mtools, nasm, write_partition)

ROOT = Path(__file__).resolve().parent.parent
BUILD_FDOS_IMG = ROOT / "build" / "FDOS.IMG"
SYSLINUX_MODULES = Path("/usr/lib/syslinux/modules/bios")

# build/disk.img must exist (conftest.py fails clearly when it does not).
pytestmark = pytest.mark.usefixtures("disk_img")

QEMU_TIMEOUT = 30               # seconds; each run takes a few
BOCHS_TIMEOUT = 60              # each Bochs run here takes 2-3 s
BOCHS_INTEL_MODEL = "corei7_skylake_x"
MEM_MIB = 512
POLL = 0.05

HELLO_START = '"HELLO.BIN" start kind=flat'
HELLO_LINE = f"keel: [HELLO.BIN] {HELLO}"


def entry(*guest_lines, title="BIOS test", after="poweroff"):
    lines = ["timeout 0", "default 1", "", f'entry "{title}"', *guest_lines,
             f"  after {after}"]
    return "\n".join(lines) + "\n"


def check_no_fatal(r):
    if r.fatal_lines():
        raise AssertionError(f"Keel reported a fatal error: {r.fatal_lines()[0]!r}\n"
                             f"{r.describe()}")


# ---- QEMU with a monitor, driven from COM1 --------------------------------------------

class Monitor:
    """QEMU's human monitor on a unix socket."""

    PROMPT = b"(qemu) "

    def __init__(self, path, deadline):
        self.sock = None
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(str(path))
                self.sock = s
                break
            except OSError:
                s.close()
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"QEMU's monitor socket {path} did not open")
                time.sleep(POLL)
        self.sock.settimeout(max(0.1, deadline - time.monotonic()))
        self._read_prompt()

    def _read_prompt(self):
        data = b""
        while not data.endswith(self.PROMPT):
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode("latin-1")

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\n")
        return self._read_prompt()

    def close(self):
        if self.sock:
            self.sock.close()


def vga_text(path):
    """The 80x25 text screen from a dump of 0xB8000 (characters only)."""
    cells = Path(path).read_bytes()[::2]
    return "\n".join(cells[i:i + 80].decode("cp437").rstrip() for i in range(0, 2000, 80))


def read_screen(mon, script):
    """The VGA text screen now (QEMU's monitor: pmemsave of 0xB8000)."""
    dump = script.sock_dir / "vga.bin"
    if dump.exists():
        dump.unlink()
    mon.cmd(f'pmemsave 0xb8000 4000 "{dump}"')
    return vga_text(dump) if dump.exists() else ""


def wait_for_screen(mon, script, text):
    """Polls the screen until it shows TEXT; the last screen is kept in
    script.screen."""
    while True:
        script.screen = read_screen(mon, script)
        if text in script.screen:
            return
        if time.monotonic() >= script.deadline:
            raise TimeoutError(f"the screen never showed {text!r}:\n{script.screen}")
        time.sleep(POLL)


class Script:
    """Steps run from a second thread while run_qemu() runs: each waits until
    a file of the run -- COM1 (com1.log) or Keel's log (debugcon.log) --
    holds its text (after the previous match in that file), then acts on
    QEMU's monitor. The files are found in the work directory run_qemu()
    makes beside the image (keel.py: IMAGE_STEM.qemu.*/)."""

    def __init__(self, image, timeout, steps):
        self.image = Path(image).resolve()
        self.deadline = time.monotonic() + timeout
        self.steps = steps          # [(text, action(monitor, script)[, file name])]
        self.sock_dir = Path(tempfile.mkdtemp(prefix="keelm."))   # short: 108-byte limit
        self.sock = self.sock_dir / "mon"
        self.before = set(self.image.parent.glob(f"{self.image.stem}.qemu.*"))
        self.done = []              # (text, seconds after start)
        self.error = None
        self.workdir = None
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def qemu_args(self):
        return ["-monitor", f"unix:{self.sock},server=on,wait=off"]

    def read(self, name="com1.log"):
        try:
            return (self.workdir / name).read_bytes().decode("latin-1")
        except (FileNotFoundError, TypeError):
            return ""

    def _run(self):
        mon = None
        try:
            while self.workdir is None:
                new = set(self.image.parent.glob(f"{self.image.stem}.qemu.*")) - self.before
                if new:
                    self.workdir = new.pop()
                elif time.monotonic() >= self.deadline:
                    raise TimeoutError("run_qemu() made no work directory")
                else:
                    time.sleep(POLL)
            mon = Monitor(self.sock, self.deadline)
            pos = {}
            for text, action, *where in self.steps:
                name = where[0] if where else "com1.log"
                while True:
                    at = self.read(name).find(text, pos.get(name, 0))
                    if at >= 0:
                        pos[name] = at + len(text)
                        break
                    if time.monotonic() >= self.deadline:
                        raise TimeoutError(f"{name} never showed {text!r}")
                    time.sleep(POLL)
                self.done.append((text, time.monotonic() - self.t0))
                action(mon, self)
        except Exception as e:      # reported by the test, with the run's log
            self.error = e
        finally:
            if mon:
                mon.close()

    def run(self, timeout, **kw):
        self.thread.start()
        try:
            r = run_qemu(self.image, timeout=timeout, mem=MEM_MIB, extra=self.qemu_args(), **kw)
        finally:
            self.thread.join(timeout=5)
            shutil.rmtree(self.sock_dir, ignore_errors=True)
        return r


# ---- 1. SYSLINUX on partition 2 ------------------------------------------------------

SYSLINUX_MARKER = "KEEL-SYSLINUX-MARKER"
SYSLINUX_SAY = "KEEL-SYSLINUX-SAY"
SYSLINUX_BANNER = "SYSLINUX 6."
SYSLINUX_CFG = ["SERIAL 0 115200",             # first: COM1 at 115200 8N1
                f"SAY {SYSLINUX_SAY}",          # the screen only (see the module's docstring)
                "UI cat.c32 KEEL.MSG",          # prints the marker file on COM1, returns
                "TIMEOUT 10",                   # then `boot:` for 1 s,
                "ONTIMEOUT KEELNEXT.BS"]        # then this boot sector: Keel's next guest
SYSLINUX_SECTORS = 8 * 2048                     # 8 MiB: FAT16 with 1-sector clusters
SYSLINUX_MODULE_FILES = ("cat.c32", "libcom32.c32")

# KEELNEXT.BS: a boot sector SYSLINUX boots (a `.bs` file goes to 0000:7C00)
# when its prompt times out. It reports on Keel's log (hypercall 1) that it
# runs, looks for the SAY marker on the VGA text screen and ends the guest
# with hypercall 2: exit code 0 when the marker is on the screen, 1 when not.
KEELNEXT_BS_ASM = r"""
BITS 16
ORG 0x7C00

HC_PUTC		equ 1
HC_EXIT		equ 2

start:
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7C00
	cld
	xor eax, eax
	cpuid				; EAX = 0: the vendor picks the hypercall
	cmp ebx, 'Auth'
	jne .intel
	mov byte [hcall + 2], 0xD9	; VMMCALL (0F 01 D9) instead of VMCALL (0F 01 C1)
.intel:
	mov si, hello
.putc:
	lodsb
	test al, al
	jz .scan
	movzx ebx, al
	mov eax, HC_PUTC
	call hcall
	jmp .putc

.scan:					; the SAY marker anywhere on the 80x25 screen
	mov ax, 0xB800
	mov es, ax
	xor bx, bx
.cell:
	mov si, say
	mov di, bx
.cmp:
	lodsb
	test al, al
	jz .found
	cmp al, [es:di]
	jne .next
	add di, 2
	jmp .cmp
.next:
	add bx, 2
	cmp bx, 4000
	jb .cell
	mov ebx, 1
	jmp .exit
.found:
	xor ebx, ebx
.exit:
	mov eax, HC_EXIT
	call hcall
	hlt
	jmp $

hcall:
	vmcall
	ret

hello:	db "KEELNEXT.BS started by SYSLINUX", 10, 0
say:	db SAY, 0

	times 510 - ($ - $$) db 0
	dw 0xAA55
"""
KEELNEXT_BS_LINE = "KEELNEXT.BS started by SYSLINUX"


def need(tool, package):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed (apt-get install {package})")


def keelnext_bs(out_dir):
    src = Path(out_dir) / "keelnext_bs.asm"
    src.write_text(KEELNEXT_BS_ASM)
    return nasm(src, Path(out_dir) / "KEELNEXT.BS", {"SAY": f"'{SYSLINUX_SAY}'"})


def syslinux_partition(path, start, sectors):
    """A FAT16 file system for a partition at LBA START (mkfs.fat -h: the
    BPB's hidden sectors) with SYSLINUX installed by Debian's mtools-based
    installer, which works on an image file without root, and the files of
    SYSLINUX_CFG."""
    need("mkfs.fat", "dosfstools")
    need("syslinux", "syslinux")
    for mod in SYSLINUX_MODULE_FILES:
        if not (SYSLINUX_MODULES / mod).exists():
            pytest.skip(f"{SYSLINUX_MODULES / mod} missing (apt-get install syslinux-common)")
    path = Path(path)
    r = subprocess.run(["mkfs.fat", "-F", "16", "-s", "1", "-n", "SYSLINUX", "-g", "255/63",
                        "-h", str(start), "-C", str(path), str(sectors // 2)],
                       capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"mkfs.fat failed:\n{r.stdout}{r.stderr}")
    r = subprocess.run(["syslinux", "--install", str(path)], capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"syslinux --install failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    boot = path.read_bytes()[:SECTOR]
    assert boot[3:11] == b"SYSLINUX" and boot[510:] == b"\x55\xaa", \
        f"no SYSLINUX boot sector after syslinux --install: {boot[:16].hex()}"
    assert int.from_bytes(boot[28:32], "little") == start, "BPB hidden sectors != start"
    d = path.parent / "syslinux.files"
    d.mkdir(exist_ok=True)
    (d / "SYSLINUX.CFG").write_bytes(dos_text(SYSLINUX_CFG))
    (d / "KEEL.MSG").write_bytes(dos_text([SYSLINUX_MARKER]))
    mtools("mcopy", "-o", "-i", path, d / "SYSLINUX.CFG", d / "KEEL.MSG", keelnext_bs(d),
           *(SYSLINUX_MODULES / m for m in SYSLINUX_MODULE_FILES), "::")
    return path


def syslinux_disk(tmp_path):
    """A copy of build/disk.img with SYSLINUX on partition 2 (type 0x0E,
    FAT16 LBA, not active: SYSLINUX's boot sector does not look at the flag,
    and the shim's loader takes the entry by number) and an entry that
    chain-loads it, then says hello."""
    def patch(image):
        start = extend_disk(image, SYSLINUX_SECTORS)
        part = syslinux_partition(Path(tmp_path) / "p2.img", start, SYSLINUX_SECTORS)
        write_partition(image, 2, 0x0E, start, SYSLINUX_SECTORS, part.read_bytes())

    cfg = entry("  guest bios partition=2", HELLO_CFG, title="SYSLINUX on partition 2")
    return make_image(tmp_path, cfg_text=cfg, patch=patch)


def check_syslinux(r):
    """SYSLINUX printed its banner, the marker (cat.c32) and `boot:` on COM1,
    timed out into KEELNEXT.BS, which saw the SAY line on the screen and
    ended the guest; HELLO.BIN ran and Keel powered off."""
    check_no_fatal(r)
    if r.timed_out:
        raise AssertionError(f"the run did not end by itself\n{r.describe()}")
    if r.emulator == "qemu":
        assert_status(r, QEMU_EXIT_POWEROFF)
    ser = r.serial
    banner, marker = ser.find(SYSLINUX_BANNER), ser.find(SYSLINUX_MARKER)
    prompt = ser.find("boot:", max(marker, 0))
    assert 0 <= banner < marker < prompt, \
        (f"expected SYSLINUX's banner, {SYSLINUX_MARKER!r} and 'boot:' on COM1, in this "
         f"order\n{r.describe()}")
    assert_lines_in_order(r, [
        'keel: guest 1 "partition 2" start kind=bios',
        'keel: guest 1 "partition 2": partition 2 of drive 0x80',
        f"keel: [partition 2] {KEELNEXT_BS_LINE}",
        'keel: guest 1 "partition 2" stop reason=exit-code',
        f'keel: guest 2 {HELLO_START}',
        HELLO_LINE,
        'keel: guest 2 "HELLO.BIN" stop reason=exit-code code=0 exits=',
        "keel: poweroff code=0",
    ])
    line = assert_line(r, 'keel: guest 1 "partition 2" stop reason=exit-code')
    assert "code=0 " in line, \
        (f"{line!r}: KEELNEXT.BS did not find {SYSLINUX_SAY!r} on the VGA text screen "
         f"(code 1)\n{r.describe()}")


def report_syslinux_time(r, what):
    t0 = r.time_of('"partition 2" start kind=bios')
    t1 = r.time_of(KEELNEXT_BS_LINE)
    if t0 is not None and t1 is not None:
        print(f"{what}: {t1 - t0:.2f} s from the guest's start to KEELNEXT.BS "
              f"(with the prompt's 1 s TIMEOUT in the guest's time), "
              f"{r.elapsed:.1f} s in all")


def test_syslinux_partition(tmp_path):
    """SYSLINUX 6 installed on a FAT16 partition of the boot disk: the shim's
    loader chain-loads its boot sector (DL = 0x80, DS:SI -> the entry), which
    loads ldlinux.sys and ldlinux.c32 through the BIOS's INT 13h
    extensions; SYSLINUX reads its configuration, prints on COM1 and the
    screen, waits at `boot:` and boots a boot sector file."""
    r = run_qemu(syslinux_disk(tmp_path), timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    check_syslinux(r)
    report_syslinux_time(r, "SYSLINUX under Keel (QEMU)")


@pytest.mark.bochs
def test_syslinux_partition_bochs(tmp_path):
    """The same on Bochs corei7_skylake_x (VMX + EPT, unrestricted guest)."""
    r = run_bochs(syslinux_disk(tmp_path), BOCHS_INTEL_MODEL, timeout=BOCHS_TIMEOUT,
                  megs=MEM_MIB)
    check_syslinux(r)
    report_syslinux_time(r, f"SYSLINUX under Keel (Bochs {BOCHS_INTEL_MODEL})")


# ---- 2. resets of a BIOS guest -----------------------------------------------------

# A boot sector that asks for a reset in one of four ways (-DMETHOD=1 to 4),
# after saying which on Keel's log (hypercall 1). Should it come back, it
# says so and halts with interrupts off (stop reason=hlt). METHOD=5 writes
# to the same ports what is no reset -- a PCI configuration address (a
# dword at 0CF8h, which spans 0CF9h), A20 through port 92h and through the
# keyboard controller's output port, 0CF9h without RST_CPU -- saying each
# step first, and ends with exit code 0 (hypercall 2).
RESET_BS_ASM = r"""
BITS 16
ORG 0x7C00

HC_PUTC		equ 1
HC_EXIT		equ 2

start:
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7C00
	cld
	xor eax, eax
	cpuid				; EAX = 0: the vendor picks the hypercall
	cmp ebx, 'Auth'
	jne .intel
	mov byte [hcall + 2], 0xD9	; VMMCALL (0F 01 D9) instead of VMCALL (0F 01 C1)
.intel:
	mov si, what
	call puts
%if METHOD == 1				; reset control register: RST_CPU | SYS_RST
	mov dx, 0xCF9
	mov al, 0x06
	out dx, al
%elif METHOD == 2			; keyboard controller: pulse the reset line
.wait:
	in al, 0x64
	test al, 2			; input buffer full?
	jnz .wait
	mov al, 0xFE
	out 0x64, al
%elif METHOD == 3			; IDT limit 0: INT3 -> #GP -> #DF -> shutdown
	lidt [empty_idt]
	int3
%elif METHOD == 4			; DOS's warm reboot: flag 1234h, the reset vector
	mov word [0x472], 0x1234
	jmp 0xF000:0xFFF0
%elif METHOD == 5
	mov si, step_pci		; bus 0, device 1, function 4, register 0:
	call puts			; byte 1 of the dword is 0Ch (bit 2 set)
	mov dx, 0xCF8
	mov eax, 0x80000C00
	out dx, eax
	mov dx, 0xCFC
	in eax, dx
	mov dx, 0xCF8
	xor eax, eax
	out dx, eax
	mov si, step_92			; A20 on, fast reset (bit 0) clear
	call puts
	in al, 0x92
	or al, 0x02
	and al, 0xFE
	out 0x92, al
	mov si, step_kbc		; D1h, then the output port DFh: A20 on,
	call puts			; reset line (bit 0) high
	call kbc_wait
	mov al, 0xD1
	out 0x64, al
	call kbc_wait
	mov al, 0xDF
	out 0x60, al
	call kbc_wait
	mov si, step_cf9		; SYS_RST alone: no reset
	call puts
	mov dx, 0xCF9
	mov al, 0x02
	out dx, al
	mov si, step_done
	call puts
	mov eax, HC_EXIT
	xor ebx, ebx
	call hcall
%endif
	mov si, back
	call puts
	cli
	hlt
	jmp $

kbc_wait:				; until the controller's input buffer is empty
	in al, 0x64
	test al, 2
	jnz kbc_wait
	ret

puts:					; DS:SI, NUL-terminated, to Keel's log
	lodsb
	test al, al
	jz .done
	movzx ebx, al
	mov eax, HC_PUTC
	call hcall
	jmp puts
.done:
	ret

hcall:
	vmcall
	ret

empty_idt:
	dw 0
	dd 0
%if METHOD == 1
what:	db "reset through port 0xcf9", 10, 0
%elif METHOD == 2
what:	db "reset through the keyboard controller", 10, 0
%elif METHOD == 3
what:	db "triple fault", 10, 0
%elif METHOD == 4
what:	db "warm reboot: jump to F000:FFF0", 10, 0
%else
what:	db "no reset: the same ports, harmless values", 10, 0
step_pci:	db "outl 0xcf8 0x80000c00", 10, 0
step_92:	db "port 0x92: A20 on", 10, 0
step_kbc:	db "keyboard controller output port 0xdf", 10, 0
step_cf9:	db "port 0xcf9 0x02", 10, 0
step_done:	db "done", 10, 0
%endif
back:	db "STILL RUNNING after the reset request", 10, 0

	times 510 - ($ - $$) db 0
	dw 0xAA55
"""


class Reset:
    """One reset boot sector: what it says on Keel's log, the stop reason
    Keel must give, and the start of the line Keel writes about the request
    (plus a value that line must show). docs/log.md fixes the stop reasons,
    not the words of that line, so only its start and the value are checked."""

    def __init__(self, method, image, says, reason, keel_says, value=None):
        self.method, self.image, self.says = method, image, says
        self.reason, self.keel_says, self.value = reason, keel_says, value

    def cfg_line(self):
        return f"  guest bios image={self.image} drive=0x00"

    def floppy(self, out_dir):
        """A 1.44 MB floppy image with this boot sector."""
        src = Path(out_dir) / "reset_bs.asm"
        src.write_text(RESET_BS_ASM)
        boot = nasm(src, Path(out_dir) / f"reset{self.method}.bin",
                    {"METHOD": self.method}).read_bytes()
        assert len(boot) == SECTOR
        return boot + bytes(FLOPPY_1440K - SECTOR)


RESETS = {
    "cf9": Reset(1, "RSTCF9.IMG", "reset through port 0xcf9", "reset",
                 "keel: guest reset request: port 0xcf9", "0x06"),
    "kbc": Reset(2, "RSTKBC.IMG", "reset through the keyboard controller", "reset",
                 "keel: guest reset request: keyboard controller", "0xfe"),
    "triple": Reset(3, "RSTTRIP.IMG", "triple fault", "triple-fault",
                    "keel: guest triple fault (shutdown) at rip="),
    # Keel's copy of the ROM's last page has its hypercall at F000:FFF0, so it
    # sees the jump itself on every BIOS (SeaBIOS would turn it into an 0CF9h
    # reset, Bochs' BIOS would run its POST). See test_bios_reset_vector_bochs.
    "vector": Reset(4, "RSTVEC.IMG", "warm reboot: jump to F000:FFF0", "reset",
                    "keel: guest reset request: jump to the reset vector (F000:FFF0)"),
}
NO_RESET = Reset(5, "RSTNO.IMG", "no reset: the same ports, harmless values", "exit-code",
                 None)


def reset_disk(tmp_path, resets, after="poweroff", hello=True):
    """An entry with each reset guest followed by HELLO.BIN."""
    lines, files = [], {}
    for rs in resets:
        lines.append(rs.cfg_line())
        if hello:
            lines.append(HELLO_CFG)
        files[rs.image] = rs.floppy(tmp_path)
    return make_image(tmp_path, cfg_text=entry(*lines, title="BIOS resets", after=after),
                      files=files)


def expect_reset_then_hello(r, index, rs):
    """Guest INDEX (RS) asked for its reset, Keel stopped it with the right
    reason, and HELLO.BIN (guest INDEX + 1) ran to its end."""
    name = rs.image
    assert_no_line(r, f"keel: [{name}] STILL RUNNING")
    assert_lines_in_order(r, [
        f'keel: guest {index} "{name}" start kind=bios',
        f'keel: guest {index} "{name}": drive 0x00 floppy 1440 KiB, 80/2/18',
        f"keel: [{name}] {rs.says}",
        rs.keel_says,
        f'keel: guest {index} "{name}" stop reason={rs.reason} exits=',
        f"keel: guest {index + 1} {HELLO_START}",
        HELLO_LINE,
        f'keel: guest {index + 1} "HELLO.BIN" stop reason=exit-code code=0 exits=',
    ])
    if rs.value:
        lines = r.lines
        said = lines.index(f"keel: [{name}] {rs.says}")
        how = next(ln for ln in lines[said:] if ln.startswith(rs.keel_says))
        assert rs.value in how, f"{how!r} does not show the value {rs.value}\n{r.describe()}"


@pytest.mark.parametrize("method", list(RESETS))
def test_bios_reset_then_next_guest(tmp_path, method):
    """A boot sector on a floppy image asks for a reset: Keel stops the
    guest instead of letting the machine reset, and the next guest runs."""
    rs = RESETS[method]
    r = run_qemu(reset_disk(tmp_path, [rs]), timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    check_no_fatal(r)
    assert_status(r, QEMU_EXIT_POWEROFF)
    expect_reset_then_hello(r, 1, rs)
    assert_line(r, "keel: poweroff code=0")


@pytest.mark.bochs
def test_bios_resets_bochs(tmp_path):
    """0xCF9, the keyboard controller and the triple fault, each followed by
    HELLO.BIN, in one entry on Bochs corei7_skylake_x (VMX: the triple fault
    is a VM exit there; Bochs 2.7's SVM resets the whole machine instead,
    see test_guests.py)."""
    resets = [RESETS[m] for m in ("cf9", "kbc", "triple")]
    r = run_bochs(reset_disk(tmp_path, resets), BOCHS_INTEL_MODEL, timeout=BOCHS_TIMEOUT,
                  megs=MEM_MIB)
    check_no_fatal(r)
    if r.timed_out:
        raise AssertionError(f"the run did not end by itself\n{r.describe()}")
    for i, rs in enumerate(resets):
        expect_reset_then_hello(r, 2 * i + 1, rs)
    assert_line(r, "keel: poweroff code=0")


def exits_of(r, stop_prefix):
    """{reason: count} from the `keel: exits` line after the first line
    starting with STOP_PREFIX."""
    lines = r.lines
    i = next((i for i, ln in enumerate(lines) if ln.startswith(stop_prefix)), None)
    line = next((ln for ln in lines[i + 1:] if ln.startswith("keel: exits ")), None) \
        if i is not None else None
    if line is None:
        raise AssertionError(f"no {stop_prefix!r} line and `keel: exits` after it\n"
                             f"{r.describe()}")
    return {k: int(v) for k, v in re.findall(r"(\w[\w-]*)=(\d+)", line)}


def test_bios_harmless_port_writes_are_no_reset(tmp_path):
    """The ports Keel watches for resets also carry everyday writes: a PCI
    configuration address (a dword at 0CF8h, spanning 0CF9h), A20 through
    port 92h (fast reset bit clear) and through the keyboard controller's
    output port (D1h, DFh: reset line high), 0CF9h = 02h (SYS_RST without
    RST_CPU). None is a reset: the guest runs to its exit code 0."""
    r = run_qemu(reset_disk(tmp_path, [NO_RESET]), timeout=QEMU_TIMEOUT, mem=MEM_MIB)
    check_no_fatal(r)
    assert_status(r, QEMU_EXIT_POWEROFF)
    name = NO_RESET.image
    assert_no_line(r, "keel: guest reset request")
    assert_lines_in_order(r, [
        f'keel: guest 1 "{name}" start kind=bios',
        f"keel: [{name}] {NO_RESET.says}",
        f"keel: [{name}] done",
        f'keel: guest 1 "{name}" stop reason=exit-code code=0 exits=',
        HELLO_LINE,
    ])


# Fixed: a jump to the reset vector ran Bochs' BIOS POST inside the guest
# (DESIGN.md "Guests" forbids it). The guest's view of the ROM's last page
# is now a copy with the hypercall instruction at F000:FFF0 (hv/guest.c).
@pytest.mark.bochs
def test_bios_reset_vector_bochs(tmp_path):
    """DOS's warm reboot (0040:0072 = 1234h, JMP F000:FFF0, as SYSLINUX's
    reboot.c32 and many DOS programs do it) is a reset request too
    (DESIGN.md "Guests"): Keel must stop the guest with reason=reset before
    the BIOS's POST runs inside the VM (the boot sector itself does no I/O,
    so the guest's I/O exits stay at a handful)."""
    rs = RESETS["vector"]
    r = run_bochs(reset_disk(tmp_path, [rs]), BOCHS_INTEL_MODEL, timeout=BOCHS_TIMEOUT,
                  megs=MEM_MIB)
    check_no_fatal(r)
    name = rs.image
    assert_lines_in_order(r, [
        f'keel: guest 1 "{name}" start kind=bios',
        f"keel: [{name}] {rs.says}",
        f'keel: guest 1 "{name}" stop reason=reset exits=',
        f"keel: guest 2 {HELLO_START}",
        HELLO_LINE,
    ])
    lines = r.lines
    jump = lines.index(f"keel: [{name}] {rs.says}")
    stop = next(i for i, ln in enumerate(lines) if ln.startswith(f'keel: guest 1 "{name}" stop'))
    assert not [ln for ln in lines[jump + 1:stop] if ln.startswith("keel: stage2")], \
        f"the BIOS's POST ran in the guest and booted Keel's disk again\n{r.describe()}"
    io = exits_of(r, f'keel: guest 1 "{name}" stop').get("io", 0)
    assert io <= 4, f"the BIOS's POST ran in the guest: {io} I/O exits\n{r.describe()}"


# ---- a reset storm with `after restart` ------------------------------------------------

STORM_SECONDS = 5               # from the first start of the guest
STORM_MIN_ROUNDS = 10


def end_storm(mon, script):
    """STORM_SECONDS after the first start, ends QEMU through its monitor."""
    until = time.monotonic() + STORM_SECONDS
    while time.monotonic() < until:
        if time.monotonic() >= script.deadline:
            raise TimeoutError("the storm reached the run's time limit")
        time.sleep(POLL)
    script.quit_at = time.monotonic() - script.t0
    try:
        mon.cmd("quit")
    except OSError:
        pass                    # QEMU closes the monitor as it goes


def test_bios_reset_storm_after_restart(tmp_path):
    """The 0xCF9 boot sector alone with `after restart`: Keel restarts the
    entry after every reset, as fast as it can, until the test ends QEMU
    STORM_SECONDS after the guest's first start. No FATAL, no second boot
    of Keel, many rounds, every round the same lines (numbers aside) -- the
    log does not grow per round -- and the shim at the same address each
    time (the BDA's memory size is given back before each BIOS guest, so
    the shim does not creep down)."""
    rs = RESETS["cf9"]
    first = f'keel: guest 1 "{rs.image}" start kind=bios'
    image = reset_disk(tmp_path, [rs], after="restart", hello=False)
    script = Script(image, QEMU_TIMEOUT, [(first, end_storm, "debugcon.log")])
    r = script.run(QEMU_TIMEOUT)
    if script.error:
        raise AssertionError(f"{script.error}\n{r.describe()[-4000:]}")
    check_no_fatal(r)
    assert getattr(script, "quit_at", None) is not None and not r.timed_out, \
        f"the storm did not last until the test ended it\n{r.describe()[-4000:]}"
    # QEMU was ended mid-round: leave out a last line without its end.
    lines = r.log[:r.log.rfind("\n") + 1].splitlines()
    boots = [ln for ln in lines if ln.startswith("keel: Keel ") and "hypervisor" in ln]
    assert len(boots) == 1, f"Keel started {len(boots)} times\n{r.describe()[-4000:]}"
    starts = [ln for ln in lines if ln == first]
    marks = [i for i, ln in enumerate(lines) if ln == "keel: after: restart"]
    assert len(starts) >= STORM_MIN_ROUNDS and len(marks) >= STORM_MIN_ROUNDS, \
        (f"only {len(starts)} starts and {len(marks)} restarts in {STORM_SECONDS} s\n"
         f"{r.describe()[-4000:]}")
    stops = [ln for ln in lines if ln.startswith(f'keel: guest 1 "{rs.image}" stop ')]
    assert all("stop reason=reset exits=" in ln for ln in stops), \
        f"a round stopped otherwise: {set(stops)}"
    rounds = [lines[a + 1:b + 1] for a, b in zip(marks, marks[1:])]
    shapes = {tuple(re.sub(r"\d+", "N", ln) for ln in rd) for rd in rounds}
    assert len(shapes) == 1, "the rounds differ:\n" + "\n\n".join("\n".join(s) for s in shapes)
    per_round = {len(rd) for rd in rounds}
    sizes = [sum(len(ln) + 1 for ln in rd) for rd in rounds]
    assert max(sizes) - min(sizes) <= 16, f"round sizes vary: {min(sizes)}..{max(sizes)}"
    shims = {ln for ln in lines if "BIOS shim at" in ln}
    assert len(shims) == 1, f"the shim moved between rounds: {sorted(shims)}"
    print(f"reset storm: {len(starts)} starts, {len(marks)} restarts in {STORM_SECONDS} s; "
          f"{per_round.pop()} lines and {max(sizes)} bytes per round")


# ---- Ctrl-Alt-Del at a FreeDOS prompt --------------------------------------------------

CAD_MARKER = "KEEL-CAD-MARKER"


def freedos_source():
    for img in (FREEDOS_IMG, BUILD_FDOS_IMG):
        if Path(img).exists():
            return Path(img)
    pytest.skip(f"no FreeDOS image ({FREEDOS_IMG}, {BUILD_FDOS_IMG}); FREEDOS_IMG=...")


def freedos_waiting(tmp_path):
    """A copy of the FreeDOS floppy whose AUTOEXEC.BAT writes the marker to
    COM1 and ends, leaving FreeDOS at its prompt (no KEELNEXT)."""
    img = Path(tmp_path) / "fdos.img"
    shutil.copyfile(freedos_source(), img)
    img.chmod(0o644)
    bat = Path(tmp_path) / "AUTOEXEC.BAT"
    bat.write_bytes(dos_text(["@ECHO OFF", f"ECHO {CAD_MARKER} > COM1"]))
    mtools("mcopy", "-o", "-i", img, bat, "::AUTOEXEC.BAT")
    return img


FREEDOS_PROMPT = "A:\\>"


def send_ctrl_alt_del(mon, script):
    """Once FreeDOS's prompt is on the screen, types Ctrl-Alt-Del."""
    wait_for_screen(mon, script, FREEDOS_PROMPT)
    script.sent_at = time.monotonic() - script.t0
    mon.cmd("sendkey ctrl-alt-delete")


def test_ctrl_alt_del_at_freedos_prompt(tmp_path):
    """FreeDOS boots from a floppy image and waits at its prompt; the test
    types Ctrl-Alt-Del on QEMU's keyboard (monitor `sendkey`). The BIOS's
    keyboard handler (SeaBIOS: kbd.c, then reset() -> tryReboot()) asks for
    a hard reset -- on QEMU it writes 06h to port 0CF9h -- and Keel must
    catch that request (`stop reason=reset`) and start the next guest."""
    cfg = entry("  guest bios image=FDOS.IMG drive=0x00", HELLO_CFG, title="FreeDOS, Ctrl-Alt-Del")
    image = make_image(tmp_path, cfg_text=cfg, files={"FDOS.IMG": freedos_waiting(tmp_path)})
    script = Script(image, QEMU_TIMEOUT, [(CAD_MARKER, send_ctrl_alt_del)])
    r = script.run(QEMU_TIMEOUT)
    if script.error:
        raise AssertionError(f"{script.error}\n{r.describe()}")
    check_no_fatal(r)
    assert_lines_in_order(r, [
        'keel: guest 1 "FDOS.IMG" start kind=bios',
        "keel: guest reset request: ",
        'keel: guest 1 "FDOS.IMG" stop reason=reset exits=',
        f"keel: guest 2 {HELLO_START}",
        HELLO_LINE,
        'keel: guest 2 "HELLO.BIN" stop reason=exit-code code=0 exits=',
        "keel: poweroff code=0",
    ])
    assert_status(r, QEMU_EXIT_POWEROFF)
    how = assert_line(r, "keel: guest reset request: ")
    t = r.time_of('"FDOS.IMG" stop reason=reset')
    sent = getattr(script, "sent_at", None)
    if sent is not None and t is not None:
        print(f"Ctrl-Alt-Del sent {sent:.2f} s after QEMU started; {how!r} "
              f"{t - sent:.2f} s later")
