"""Helpers for Keel's emulator-driven integration tests (docs/testing.md).

make_image() copies build/disk.img and edits partition 1 with mtools;
run_qemu() and run_bochs() boot an image under a hard time limit and return
a Result with Keel's log (port 0xE9), the COM1 output and the exit status;
assert_line() and friends fail with what they expected and the whole log.

Nothing here sleeps blindly: every wait polls a file against a deadline.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DISK_IMG = ROOT / "build" / "disk.img"

# disk.img.mk: partition 1 starts at LBA 2048.
SECTOR = 512
PART1_LBA = 2048
PART1_OFFSET = PART1_LBA * SECTOR
MBR_PART1_TYPE = 446 + 4        # type byte of the first partition entry

# QEMU's isa-debug-exit turns Keel's code c into exit status c * 2 + 1.
QEMU_EXIT_POWEROFF = 0 * 2 + 1  # keel: poweroff code=0
QEMU_EXIT_STAGE2_FATAL = 2 * 2 + 1
QEMU_EXIT_HV_FATAL = 3 * 2 + 1

# The last menu line: serial input is sent only once it is in the log.
MENU_PROMPT = "keel: menu: entry "

QEMU = shutil.which("qemu-system-x86_64")
BOCHS = shutil.which("bochs")
BOCHS_BIOS = Path("/usr/share/bochs/BIOS-bochs-latest")
BOCHS_VGABIOS = Path("/usr/share/vgabios/vgabios.bin")

POLL = 0.05                     # seconds between looks at the log file

# UEFI firmware for run_qemu(firmware="ovmf"): Debian's ovmf package. The
# code is read-only; each run gets its own copy of the variable store.
OVMF_DIR = Path("/usr/share/OVMF")
OVMF_PAIRS = [("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"), ("OVMF_CODE.fd", "OVMF_VARS.fd")]


def ovmf_files():
    """(code, vars) of Debian's OVMF, or None when it is not installed."""
    for code, nvram in OVMF_PAIRS:
        if (OVMF_DIR / code).exists() and (OVMF_DIR / nvram).exists():
            return OVMF_DIR / code, OVMF_DIR / nvram
    return None


def firmware_args(firmware, work):
    """QEMU options for FIRMWARE: [] for SeaBIOS (QEMU's default), the
    OVMF flash pair for "ovmf" (skips the test when OVMF is missing)."""
    if firmware in (None, "seabios"):
        return []
    if firmware != "ovmf":
        raise ValueError(f"unknown firmware {firmware!r}")
    files = ovmf_files()
    if files is None:
        import pytest
        pytest.skip(f"OVMF is not installed in {OVMF_DIR} (apt-get install ovmf, or make deps)")
    code, nvram = files
    shutil.copyfile(nvram, work / "ovmf_vars.fd")
    return ["-drive", f"if=pflash,format=raw,readonly=on,file={code}",
            "-drive", f"if=pflash,format=raw,file={work / 'ovmf_vars.fd'}"]


# How the disk is attached: IDE (the default) or as a USB stick, the only
# disk, on an xHCI or EHCI controller.
DISK_CONTROLLERS = {"usb-xhci": "qemu-xhci", "usb-ehci": "usb-ehci"}


def disk_args(image, disk):
    if disk == "ide":
        return ["-drive", f"file={image},format=raw,if=ide"]
    return ["-device", f"{DISK_CONTROLLERS[disk]},id=hc",
            "-device", "usb-storage,bus=hc.0,drive=u,bootindex=1",
            "-drive", f"if=none,id=u,file={image},format=raw"]


# ---- disk images ---------------------------------------------------------

def _mtools_env():
    env = dict(os.environ)
    # The partition image has no real drive geometry; do not let mtools
    # refuse it.
    env["MTOOLS_SKIP_CHECK"] = "1"
    return env


def _part1(image):
    return f"{image}@@{PART1_OFFSET}"


def _mtool(*args):
    r = subprocess.run(list(args), env=_mtools_env(), capture_output=True,
                       text=True, timeout=30)
    if r.returncode:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({r.returncode}):\n"
                           f"{r.stdout}{r.stderr}")
    return r


def copy_image(src, dst):
    """Copies a disk image, keeping it sparse (it is mostly zeros)."""
    r = subprocess.run(["cp", "--sparse=always", str(src), str(dst)],
                       capture_output=True, text=True)
    if r.returncode:
        shutil.copyfile(src, dst)
    return Path(dst)


def read_part1_file(image, name):
    """The bytes of file NAME in the root of partition 1 of IMAGE."""
    r = subprocess.run(["mtype", "-i", _part1(image), f"::{name}"],
                       env=_mtools_env(), capture_output=True, timeout=30)
    if r.returncode:
        raise RuntimeError(f"mtype ::{name} from {image} failed:\n"
                           f"{r.stderr.decode(errors='replace')}")
    return r.stdout


def list_part1(image):
    """Names of the files in the root of partition 1 (upper case)."""
    r = _mtool("mdir", "-b", "-i", _part1(image), "::")
    return sorted(line.strip().lstrip(":/").upper()
                  for line in r.stdout.splitlines() if line.strip())


def write_at(image, offset, data):
    """Overwrites bytes of IMAGE at OFFSET (for MBR and stage-2 patches)."""
    with open(image, "r+b") as f:
        f.seek(offset)
        f.write(data)


# ---- flat test guests (tests/guests/*.asm) -------------------------------------

GUESTS = ROOT / "tests" / "guests"


@dataclass
class Guest:
    """One test guest: its source in tests/guests/, its 8.3 name on
    partition 1, load address, mode and -D defines; or, with LINE, any
    other KEEL.CFG guest line (multiboot, linux, bios)."""
    asm: str
    file: str
    load: int = 0x10000
    mode: str = "real"
    defines: dict = field(default_factory=dict)
    label: str = ""             # what the guest tries, for messages
    kind: str = "flat"          # the kind= in Keel's start line
    line: str = ""              # the KEEL.CFG guest line, when not a flat guest

    def cfg_line(self):
        if self.line:
            return "  " + self.line
        return f"  guest flat file={self.file} load={self.load:#x} mode={self.mode}"


def assemble(guest, out_dir):
    """Assembles GUEST with NASM into OUT_DIR; returns the binary's path."""
    out = Path(out_dir) / guest.file
    cmd = ["nasm", "-f", "bin", f"-I{GUESTS}/"]
    cmd += [f"-D{k}={v}" for k, v in guest.defines.items()]
    cmd += [str(GUESTS / guest.asm), "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"nasm failed for {guest.asm} ({r.returncode}):\n"
                             f"{' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return out


def guests_config(guests, title, after="poweroff"):
    """A KEEL.CFG with one entry that runs GUESTS, then AFTER."""
    lines = ["timeout 0", "default 1", "", f'entry "{title}"']
    lines += [g.cfg_line() for g in guests]
    lines.append(f"  after {after}")
    return "\n".join(lines) + "\n"


def make_image(tmp_path, cfg_text=None, files=None, remove=(), patch=None,
               name="disk.img", src=DISK_IMG):
    """A copy of build/disk.img in tmp_path, edited; build/disk.img is
    never touched.

    cfg_text  replaces KEEL.CFG (str or bytes).
    files     {8.3 name: bytes, str or a path} copied onto partition 1,
              replacing a file of the same name.
    remove    names deleted from partition 1.
    patch     called with the image's path last, for raw byte edits.
    """
    tmp_path = Path(tmp_path)
    if not Path(src).exists():
        raise FileNotFoundError(f"{src} is missing: run `make` in {ROOT} first")
    image = copy_image(src, tmp_path / name)
    files = dict(files or {})
    if cfg_text is not None:
        files["KEEL.CFG"] = cfg_text
    staging = tmp_path / (name + ".files")
    for fname, data in files.items():
        if isinstance(data, (bytes, bytearray, str)):
            staging.mkdir(exist_ok=True)
            path = staging / fname
            path.write_bytes(data.encode() if isinstance(data, str) else bytes(data))
        else:
            path = Path(data)
        _mtool("mcopy", "-o", "-i", _part1(image), str(path), f"::{fname}")
    for fname in remove:
        _mtool("mdel", "-i", _part1(image), f"::{fname}")
    if patch is not None:
        patch(image)
    return image


# ---- results -------------------------------------------------------------

class Result:
    """What one emulator run left behind."""

    def __init__(self, emulator, cmd, workdir):
        self.emulator = emulator
        self.cmd = cmd
        self.workdir = workdir
        self.log = ""           # Keel's debug-port (0xE9) output
        self.serial = ""        # COM1
        self.status = None      # exit status; None when the time limit ended it
        self.timed_out = False
        self.stopped = False    # ended by the harness at stop_at
        self.elapsed = 0.0      # wall seconds from start to exit
        self.line_times = {}    # first log line containing a text -> seconds
        self.input_sent_at = None
        self.extra = ""         # the emulator's own messages (stderr, bochs.log tail)

    @property
    def lines(self):
        return self.log.splitlines()

    def keel_lines(self):
        return [line for line in self.lines if "keel:" in line]

    def fatal_lines(self):
        return [line for line in self.lines if "keel: FATAL:" in line]

    def time_of(self, text):
        """Seconds after start at which the first log line containing
        TEXT was seen (to within the poll interval), or None."""
        for line, t in self.line_times.items():
            if text in line:
                return t
        return None

    def describe(self):
        if self.timed_out:
            status = "hit the time limit"
        elif self.stopped:
            status = "stopped by the test once its line appeared"
        else:
            status = f"exit status {self.status}"
        out = [f"--- {self.emulator}: {status} after {self.elapsed:.1f} s",
               f"--- command: {' '.join(map(str, self.cmd))}",
               f"--- files in {self.workdir}",
               "--- log (port 0xE9):", self.log.rstrip() or "(empty)",
               "--- serial (COM1):", self.serial.rstrip() or "(empty)"]
        if self.extra.strip():
            out += [f"--- {self.emulator}'s own messages:", self.extra.rstrip()]
        return "\n".join(out)

    def __repr__(self):
        return f"<Result {self.emulator} status={self.status} timed_out={self.timed_out}>"


class _LogWatcher:
    """Reads a growing log file and timestamps each new line."""

    def __init__(self, path, t0):
        self.path = Path(path)
        self.t0 = t0
        self.data = b""
        self.partial = b""
        self.times = {}

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(len(self.data))
                new = f.read()
        except FileNotFoundError:
            return
        if not new:
            return
        self.data += new
        now = time.monotonic() - self.t0
        chunks = (self.partial + new).split(b"\n")
        self.partial = chunks.pop()
        for c in chunks:
            line = c.decode("latin-1").rstrip("\r")
            self.times.setdefault(line, now)

    def text(self):
        return self.data.decode("latin-1")

    def contains(self, s):
        return s.encode("latin-1") in self.data


def _stop(proc):
    """Ends an emulator we started: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _read(path):
    try:
        return Path(path).read_bytes().decode("latin-1")
    except FileNotFoundError:
        return ""


def _run(result, proc, watcher, timeout, serial_input=None, send=None,
         input_after=MENU_PROMPT, stop_at=None, serial_stop=None, on_poll=None):
    """Polls until the emulator exits, STOP_AT appears in the log (or
    SERIAL_STOP = (watcher, text) on COM1) or the time limit passes; sends
    SERIAL_INPUT (through SEND) once INPUT_AFTER is in the log; calls
    ON_POLL(log text) at every poll."""
    t0 = watcher.t0
    deadline = t0 + timeout
    while True:
        watcher.poll()
        if on_poll is not None:
            on_poll(watcher.text())
        if serial_stop is not None:
            serial_stop[0].poll()
            if serial_stop[0].contains(serial_stop[1]):
                stop_at = ""    # the same ending as a log line's
        if serial_input is not None and result.input_sent_at is None \
                and watcher.contains(input_after):
            send(serial_input)
            result.input_sent_at = time.monotonic() - t0
        if proc.poll() is not None:
            break
        if stop_at is not None and watcher.contains(stop_at):
            # Let the rest of that line (and a little more) arrive.
            time.sleep(POLL)
            result.stopped = True
            _stop(proc)
            break
        if time.monotonic() >= deadline:
            result.timed_out = True
            _stop(proc)
            break
        time.sleep(POLL)
    result.elapsed = time.monotonic() - t0
    result.status = None if result.timed_out or result.stopped else proc.returncode
    watcher.poll()
    result.log = watcher.text()
    result.line_times = watcher.times


def _drain(sock):
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


def _workdir(image, emulator):
    """A fresh directory beside IMAGE for one run's files."""
    image = Path(image)
    return Path(tempfile.mkdtemp(prefix=f"{image.stem}.{emulator}.", dir=image.parent))


# ---- QEMU ----------------------------------------------------------------

def run_qemu(image, timeout=15, cpu="max", mem="512", serial_input=None,
             input_after=MENU_PROMPT, stop_at=None, extra=(), debug_exit=True,
             stop_at_serial=None, firmware="seabios", disk="ide", monitor=None):
    """Boots IMAGE under QEMU (TCG) and returns a Result.

    FIRMWARE is "seabios" (QEMU's BIOS: the MBR and stage 2) or "ovmf"
    (UEFI: \\EFI\\BOOT\\BOOTX64.EFI); DISK is "ide", "usb-xhci" or
    "usb-ehci".

    The run ends when Keel powers off (isa-debug-exit), on a reset or
    triple fault (-no-reboot), when a log line contains STOP_AT (the test
    has seen what it needs; status is then None) or, at the latest, after
    TIMEOUT seconds. SERIAL_INPUT (str or bytes) is typed on COM1 once
    INPUT_AFTER (the menu's last line by default) appears in the log.
    STOP_AT_SERIAL ends the run the same way once COM1 has that text.
    MONITOR(log, command) is called at every poll with the log so far and
    a function that sends a command to QEMU's monitor (`nmi`, ...).
    """
    if QEMU is None:
        import pytest
        pytest.skip("qemu-system-x86_64 not installed (apt-get install qemu-system-x86)")
    image = Path(image).resolve()
    work = _workdir(image, "qemu")
    log, ser = work / "debugcon.log", work / "com1.log"
    sock_dir = None
    if serial_input is None:
        serial = ["-serial", f"file:{ser}"]
    else:
        # A unix socket for input; logfile= keeps COM1's output. Socket
        # paths are limited to 108 bytes, so it lives in a short directory.
        sock_dir = Path(tempfile.mkdtemp(prefix="keelq."))
        sock = sock_dir / "com1"
        serial = ["-chardev", f"socket,id=com1,path={sock},server=on,wait=off,logfile={ser}",
                  "-serial", "chardev:com1"]
    mon = []
    if monitor is not None:
        sock_dir = sock_dir or Path(tempfile.mkdtemp(prefix="keelq."))
        mon_path = sock_dir / "monitor"
        extra = (*extra, "-monitor", f"unix:{mon_path},server=on,wait=off")
    cmd = [QEMU, "-cpu", cpu, "-m", str(mem), *firmware_args(firmware, work),
           *disk_args(image, disk),
           "-debugcon", f"file:{log}", *serial,
           *(["-device", "isa-debug-exit,iobase=0xf4,iosize=4"] if debug_exit else []),
           "-display", "none", "-no-reboot", "-nic", "none", *extra]
    result = Result("qemu" if firmware in (None, "seabios") else f"qemu ({firmware})",
                    cmd, work)
    conn = []

    def send(data):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(sock))
        conn.append(s)  # kept open until QEMU has read it
        # QEMU's COM1 stalls (THRE stays clear) while a connected client
        # leaves the socket unread, so drain it; logfile= has the output.
        threading.Thread(target=_drain, args=(s,), daemon=True).start()
        s.sendall(data.encode() if isinstance(data, str) else data)

    def command(text):
        if not mon:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(mon_path))
            threading.Thread(target=_drain, args=(s,), daemon=True).start()
            mon.append(s)
        mon[0].sendall(text.encode() + b"\n")

    t0 = time.monotonic()
    with open(work / "qemu.stderr", "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        try:
            _run(result, proc, _LogWatcher(log, t0), timeout, serial_input, send,
                 input_after, stop_at,
                 stop_at_serial and (_LogWatcher(ser, t0), stop_at_serial),
                 None if monitor is None else (lambda text: monitor(text, command)))
        finally:
            _stop(proc)
            for s in conn + mon:
                s.close()
            if sock_dir:
                shutil.rmtree(sock_dir, ignore_errors=True)
    result.serial = _read(ser)
    result.extra = _read(work / "qemu.stderr")
    return result


# ---- Bochs ---------------------------------------------------------------

def bochs_missing():
    """Why Bochs cannot run here, or None."""
    if BOCHS is None:
        return "bochs not installed (apt-get install bochs bochsbios vgabios)"
    for f in (BOCHS_BIOS, BOCHS_VGABIOS):
        if not f.exists():
            return f"{f} missing (apt-get install bochsbios vgabios)"
    return None


# Bochs 2.7 maps a BIOS ROM of at most 2 MiB: only the 2 MiB OVMF build
# fits, below 4 GiB, without a flash variable store (OVMF then keeps its
# variables in RAM).
OVMF_BOCHS = OVMF_DIR / "OVMF_CODE.fd"


def bochs_rom(firmware):
    """The bochsrc romimage line for FIRMWARE ("bochs" BIOS or "ovmf")."""
    if firmware in (None, "bochs"):
        return f"romimage: file={BOCHS_BIOS}"
    if not OVMF_BOCHS.exists():
        import pytest
        pytest.skip(f"{OVMF_BOCHS} missing (apt-get install ovmf, or make deps)")
    return f"romimage: file={OVMF_BOCHS}, address={(1 << 32) - OVMF_BOCHS.stat().st_size:#x}"


def run_bochs(image, cpu_model="corei7_skylake_x", timeout=60, megs=512, stop_at=None,
              firmware="bochs", cpus=1):
    """Boots IMAGE under Bochs with CPU_MODEL (a VMX model such as
    corei7_skylake_x, or an AMD one such as zambezi) and CPUS processors
    (`cpu: count=`), and returns a Result. FIRMWARE is "bochs" (Bochs'
    BIOS) or "ovmf" (UEFI).

    The bochsrc comes from tests/bochsrc.in. Port 0xE9 goes to Bochs'
    stdout (port_e9_hack), which is captured as the log; Bochs exits when
    Keel writes "Shutdown" to port 0x8900; STOP_AT and TIMEOUT end the
    run as in run_qemu().
    """
    why = bochs_missing()
    if why:
        import pytest
        pytest.skip(why)
    image = Path(image).resolve()
    work = _workdir(image, "bochs")
    out, ser, blog = work / "stdout.log", work / "com1.log", work / "bochs.log"
    rc_file, cont = work / "bochsrc", work / "continue.rc"
    text = (TESTS / "bochsrc.in").read_text()
    if megs > 2048:
        # Bochs' host buffer holds at most 2048 MiB; a larger guest memory
        # swaps through it (docs/emulators.md).
        text = text.replace("megs: @MEGS@", "memory: guest=@MEGS@, host=2048")
    text = text.replace("romimage: file=@BIOS@", bochs_rom(firmware))
    for key, val in {"MEGS": megs, "CPU": cpu_model, "IMAGE": image, "COM1": ser,
                     "LOG": blog, "BIOS": BOCHS_BIOS, "VGABIOS": BOCHS_VGABIOS}.items():
        text = text.replace(f"@{key}@", str(val))
    if cpus != 1:
        text = text.replace("cpu: model=", f"cpu: count={cpus}, model=")
    rc_file.write_text(text)
    # Bochs is built with its debugger, which waits at a prompt: continue.
    cont.write_text("c\n")
    lock = Path(str(image) + ".lock")
    if lock.exists():
        lock.unlink()
    cmd = [BOCHS, "-q", "-f", str(rc_file), "-rc", str(cont)]
    result = Result(f"bochs ({cpu_model}{'' if firmware in (None, 'bochs') else ', ' + firmware})",
                    cmd, work)
    t0 = time.monotonic()
    with open(out, "wb") as so, open(work / "bochs.stderr", "wb") as se:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=so, stderr=se,
                                cwd=work)
        try:
            _run(result, proc, _LogWatcher(out, t0), timeout, stop_at=stop_at)
        finally:
            _stop(proc)
            if lock.exists():
                lock.unlink()
    result.serial = _read(ser)
    tail = _read(blog).splitlines()[-40:]
    result.extra = _read(work / "bochs.stderr") + "\n--- bochs.log (last 40 lines):\n" + \
        "\n".join(tail)
    return result


# ---- assertions ----------------------------------------------------------

def assert_line(result, substring, where="log"):
    """Asserts that a line of the log (or of the serial output, with
    where="serial") contains SUBSTRING; returns the first such line."""
    text = result.serial if where == "serial" else result.log
    for line in text.splitlines():
        if substring in line:
            return line.rstrip("\r")
    raise AssertionError(f"expected a {where} line containing {substring!r}; "
                         f"none found.\n{result.describe()}")


def assert_no_line(result, substring, where="log"):
    text = result.serial if where == "serial" else result.log
    bad = [line for line in text.splitlines() if substring in line]
    if bad:
        raise AssertionError(f"expected no {where} line containing {substring!r}; "
                             f"found {bad[0]!r}.\n{result.describe()}")


def assert_lines_in_order(result, substrings):
    """Asserts that lines containing SUBSTRINGS appear in this order."""
    lines = result.lines
    i = 0
    for s in substrings:
        while i < len(lines) and s not in lines[i]:
            i += 1
        if i == len(lines):
            raise AssertionError(f"expected lines containing, in order, {substrings!r}; "
                                 f"{s!r} is missing or out of order.\n{result.describe()}")
        i += 1


def assert_status(result, status):
    if result.timed_out or result.status != status:
        raise AssertionError(f"expected exit status {status}.\n{result.describe()}")


def assert_fatal(result, *words, status=None):
    """Asserts exactly one `keel: FATAL:` line, containing every one of
    WORDS, that the run ended by itself (no time limit) and, if given,
    with STATUS. Returns the line."""
    fatal = result.fatal_lines()
    problems = []
    if len(fatal) != 1:
        problems.append(f"expected exactly one 'keel: FATAL:' line, saw {len(fatal)}")
    else:
        missing = [w for w in words if w not in fatal[0]]
        if missing:
            problems.append(f"the FATAL line {fatal[0]!r} lacks {missing!r}")
    if result.timed_out:
        problems.append("the emulator did not exit by itself (time limit)")
    elif status is not None and result.status != status:
        problems.append(f"expected exit status {status}")
    if problems:
        raise AssertionError("; ".join(problems) +
                             f"\nexpected words: {list(words)!r}\n{result.describe()}")
    return fatal[0]
