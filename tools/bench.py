#!/usr/bin/python3
"""What Keel costs, measured beside bare metal (`make bench`; docs/performance.md).

Every Keel-vs-bare figure comes from pairs of runs of the same guest files
with the same kernel command line and the same QEMU CPU model and memory,
one pair after the other on an otherwise idle machine, Keel first, then
bare; a figure is the median of the pairs' ratios, with their minimum and
maximum. Nothing else runs while a timed run runs (Bochs, whose figures are
instruction counts, runs its two CPU models side by side).

  Linux boot     build/linux/vmlinuz + build/linux/initrd.gz (LINUX_BZIMAGE=,
                 LINUX_INITRD= take others): seconds from QEMU's start to
                 KEEL-LINUX-MARKER on COM1, under Keel and bare
                 (-kernel/-initrd/-append); Keel's exits for the boot come from
                 the same Keel runs (the command line carries keeltest=1, with
                 which the initramfs powers the guest off after the marker).
  FreeDOS boot   a copy of the shared floppy image whose AUTOEXEC.BAT echoes
                 KEEL-FREEDOS-MARKER to COM1 and then runs KEELRST.COM (a
                 keyboard-controller reset, which Keel turns into the guest's
                 stop and bare QEMU, -no-reboot, into its exit); under Keel
                 `guest bios image=FDOS.IMG drive=0x00`, bare from the floppy.
  Exit cost      tests/guests/bench_exits.asm: TSC around loops of CPUID,
                 hypercall 0 and IN AL,64h against a NOP loop; under QEMU TCG
                 host TSC cycles (emulation time), under Bochs instructions
                 (Bochs' TSC counts one tick per instruction, checked on the
                 NOP loop): host instructions per exit, Intel and AMD models.
  Sizes, RAM     build/boot/mbr-code.bin, build/stage2.bin, build/KEEL.BIN, the
                 `keel: region ... size=N MiB` line; lines of code per directory.
  Idle           host CPU time of the QEMU process (/proc/PID/stat) while Linux
                 sits at its shell, Keel and bare.
  What Keel costs  (tools/bench_cost.py) the same Linux boot under SYSLINUX
                 from a copy of the same disk image, a job inside the guest
                 (Keel and bare), power-on to the first guest instruction
                 (`keel: boot tsc`, QEMU and Bochs), Keel's own RAM
                 (`keel: region use`), and Debian's standard kernel's exits
                 by reason and I/O port.
  Two CPUs       the Linux boot again with -smp 2 (Keel and bare, its ratio,
                 its exits by reason and by CPU); two CPU-bound shells at once
                 inside Linux on 2 CPUs (keeltest=smp: the initramfs times
                 them), Keel / bare; and Linux's exits by reason and by CPU
                 under Bochs, VT-x and AMD-V, with 1 and with 2 CPUs (not with
                 --quick: each boot takes minutes).

Output: a table on the terminal, build/bench/results.json and
build/bench/chart.svg. A figure that cannot be measured here is null in the
JSON, with the reason under "notes", and "not available: why" in the table.

  tools/bench.py            the full run (--runs 5)
  tools/bench.py --quick    one run of each, shorter loops and idle window
"""

import argparse
import bisect
import datetime
import html
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import keel  # noqa: E402  (tests/keel.py: images, Bochs runner)
sys.path.insert(0, str(ROOT / "tools"))
import bench_cost  # noqa: E402  (what Keel costs: region, start, SYSLINUX, workload)

BUILD = ROOT / "build"
GUESTS = ROOT / "tests" / "guests"
FREEDOS_DEFAULT = ROOT.parent / "shared" / "guests" / "freedos" / "freedos-1.44M.img"

LINUX_MARKER = "KEEL-LINUX-MARKER"
FREEDOS_MARKER = "KEEL-FREEDOS-MARKER"
LINUX_CMDLINE = "console=ttyS0"
LINUX_STOP_ARG = "keeltest=1"      # the initramfs powers off after the marker
LINUX_MEM = "1024"
SMP_CPUS = 2
BUSY_MARKER = "KEEL-CPU-FLAGS:"  # the line after KEEL-BUSY: that one is whole
BUSY_RE = re.compile(r"KEEL-BUSY: wall=(\d+) user=(\d+)")
CPU_EXITS_RE = re.compile(r"^keel: cpu (\d+) exits=(\d+) (.*)$")
FREEDOS_MEM = "1024"
BENCH_MEM = "512"
QEMU_CPU = "max"
BOCHS_MODELS = {"vmx": "corei7_skylake_x", "svm": "zambezi"}
LOOPS = ("cpuid", "hypercall", "io")
LOC_DIRS = ("boot", "stage2", "efi", "lib", "hv", "svm", "vmx", "npt", "ept", "guest", "tests", "tools")
LOC_EXTS = {".c", ".h", ".asm", ".inc", ".S", ".py", ".sh", ".ld", ".in", ".mk"}

# Goals from the issue: what Keel is measured against.
GOAL_BOOT_RATIO = 1.10
GOAL_LINUX_EXITS = 2000
GOAL_CPUID_HOST_INSNS = 300

# What each exit reason of `keel: exits ...` is for (hv/exit.c, svm/, vmx/).
EXIT_REASONS = {
    "cpuid": "CPUID always exits (VMX: unconditionally; SVM: intercepted): Keel hides "
             "VMX/SVM, sets the hypervisor bit and answers leaf 40000000h",
    "hlt": "HLT: with interrupts off the guest is stopped, otherwise Keel waits for the "
           "next interrupt and injects it",
    "io": "ports in the I/O permission map (0xCF9, 0x64, 0x60, 0x92, the FADT's PM1 control; "
          "IN and OUT; a 32-bit access to 0xCF8 covers 0xCF9): reset and sleep requests; "
          "everything else is done on the real port",
    "msr": "MSRs in the bitmap: EFER (SVME hidden), VM_CR, VM_HSAVE_PA on AMD; "
           "IA32_FEATURE_CONTROL and the VMX capability MSRs on Intel",
    "cr": "VMX: CR0/CR4 bits under the guest/host masks, CR3 where the CPU forces it",
    "xsetbv": "XSETBV (VMX exits unconditionally): checked and done for the guest",
    "invd": "INVD, done as WBINVD so that Keel's own data survives",
    "npf": "nested-page fault / EPT violation: nearly all are writes to the local APIC "
           "(EOI, timer), which Keel does itself where it must see the ICR (AMD-V; VT-x "
           "where an INIT stays pending, docs/cpus.md); an access outside guest memory "
           "stops the guest",
    "exception": "intercepted exceptions (none are intercepted today)",
    "hypercall": "VMCALL/VMMCALL: Keel's services (log, exit, next, power off; the BIOS "
                 "shim's INT 13h/15h requests)",
    "virt-insn": "VMX/SVM instructions run by the guest: #UD injected",
    "shutdown": "triple fault: the guest is stopped",
    "init": "INIT signal (VT-x: an exit; AMD-V: by mail from another vCPU, no exit)",
    "sipi": "startup IPI (VT-x: an exit, on an AP waiting in the wait-for-SIPI state)",
    "intr": "external interrupt exit (not intercepted today)",
    "nmi": "NMI exit: Keel's own (to force a vCPU out) or the guest's, injected back; "
           "VT-x NMI-window and AMD-V IRET exits too", "preempt": "VMX preemption timer",
    "unknown": "an exit Keel does not handle: the guest is stopped",
}

# The JSON keys every run writes: a number, or null with a note (the smoke
# test checks this list).
REQUIRED_KEYS = (
    "linux_boot_ratio", "linux_boot_ratio_kvm", "freedos_boot_ratio", "freedos_boot_ratio_kvm",
    "linux_boot_exits", "freedos_boot_exits",
    "cpuid_exit_host_instructions_vmx", "cpuid_exit_host_instructions_svm",
    "hypercall_exit_host_instructions_vmx", "hypercall_exit_host_instructions_svm",
    "io_exit_host_instructions_vmx", "io_exit_host_instructions_svm",
    "cpuid_exit_tsc_cycles_tcg", "hypercall_exit_tsc_cycles_tcg", "io_exit_tsc_cycles_tcg",
    "mbr_code_bytes", "stage2_bytes", "hv_image_bytes", "reserved_ram_bytes",
    "linux_idle_cpu_percent_keel", "linux_idle_cpu_percent_bare",
    "linux_boot_ratio_2cpus", "linux_boot_exits_2cpus", "linux_busy_ratio_2cpus",
    "linux_boot_exits_vmx_bochs", "linux_boot_exits_vmx_bochs_2cpus",
    "linux_boot_exits_svm_bochs", "linux_boot_exits_svm_bochs_2cpus",
    "efi_loader_bytes", "first_guest_seconds_seabios", "first_guest_seconds_ovmf",
    *bench_cost.KEYS,
)

QEMU_COMMON = ["-display", "none", "-no-reboot", "-nic", "none", "-monitor", "none",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]

POLL = 0.01


def say(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ---- statistics -----------------------------------------------------------------

def summary(values):
    """{"median", "min", "max", "n", "values"} of VALUES, or None."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "values": values}


def fmt_num(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return f"{int(v):,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def fmt_sum(s, digits=2, unit=""):
    """"median [min-max]" of a summary()."""
    if s is None:
        return "-"
    if s["n"] == 1 or s["min"] == s["max"]:
        return f"{fmt_num(s['median'], digits)}{unit}" + (f" (x{s['n']})" if s["n"] > 1 else "")
    return f"{fmt_num(s['median'], digits)}{unit} [{fmt_num(s['min'], digits)}-" \
           f"{fmt_num(s['max'], digits)}]"


# ---- the machine -----------------------------------------------------------------

def first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return None


def cpuinfo():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    info = {}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        k = k.strip()
        if k and k not in info:
            info[k] = v.strip()
    return info


def machine():
    ci = cpuinfo()
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    bochs_version = first_line(["dpkg-query", "-W", "-f=${Version}", "bochs"])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": ci.get("model name", platform.processor() or "unknown"),
        "cpu_mhz": float(ci["cpu MHz"]) if "cpu MHz" in ci else None,
        "cpu_flags_virt": sorted(set(ci.get("flags", "").split()) & {"svm", "vmx", "hypervisor"}),
        "memory_mib": mem,
        "kernel": platform.release(),
        "qemu": first_line([keel.QEMU or "qemu-system-x86_64", "--version"]),
        "bochs": f"Bochs {bochs_version}" if bochs_version else None,
        "loadavg_start": loadavg(),
    }


def loadavg():
    """The 1-minute load average: other work on the machine skews timings."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# ---- sizes and lines of code ---------------------------------------------------------

def file_size(path, key, notes):
    p = BUILD / path
    if p.exists():
        return p.stat().st_size
    notes[key] = f"{rel(p)} is missing (run `make`)"
    return None


def lines_of_code():
    """Non-blank lines of source files per directory (working tree)."""
    out = {}
    for d in LOC_DIRS:
        total = files = 0
        for p in sorted((ROOT / d).rglob("*")):
            if not p.is_file() or p.suffix not in LOC_EXTS or "__pycache__" in p.parts:
                continue
            try:
                text = p.read_text(errors="replace")
            except OSError:
                continue
            total += sum(1 for line in text.splitlines() if line.strip())
            files += 1
        out[d] = {"lines": total, "files": files}
    return out


# ---- running QEMU --------------------------------------------------------------------

class Run:
    """One emulator run: COM1 on a pipe (timestamped as it arrives), Keel's
    log (port 0xE9) in a file."""

    def __init__(self, cmd, workdir):
        self.cmd = cmd
        self.workdir = workdir
        self.serial = b""
        self.marker_time = None
        self.status = None
        self.timed_out = False
        self.elapsed = None
        self.idle = None
        self.log = ""
        self.guest_start_time = None    # Keel's `guest 1 ... start` line, seconds
        self.marks = {}                 # {text: seconds} for run_qemu(watch=...)
        self.marks_cpu = {}             # {text: the QEMU process's CPU seconds then}

    def text(self):
        return self.serial.decode("latin-1")


GUEST_START = b'keel: guest 1 "'


def _read_new(path, data):
    """DATA plus whatever PATH gained since."""
    try:
        with open(path, "rb") as f:
            f.seek(len(data))
            return data + f.read()
    except FileNotFoundError:
        return data


def _cpu_ticks(pid):
    """utime + stime of process PID (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def run_qemu(args, workdir, marker, timeout, after_marker="stop", idle_seconds=0.0,
             settle=2.0, accel="tcg", grace=60.0, stop_at_guest_start=False, watch=(),
             cpu=None):
    """Runs qemu-system-x86_64 ARGS (plus the common options) until MARKER
    appears on COM1 and then, as AFTER_MARKER says: "stop" ends it, "exit"
    waits up to GRACE seconds for QEMU to end by itself (Keel's power-off
    after the guest stopped), "idle" waits SETTLE seconds and measures the
    process's CPU use over IDLE_SECONDS. TIMEOUT bounds the whole run.
    STOP_AT_GUEST_START ends it at Keel's first `guest 1 ... start` line.
    The first arrival of each text in WATCH on COM1 is timed too
    (run.marks). CPU: the TCG CPU model (default QEMU_CPU)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "debugcon.log"
    accel_args = ["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else \
        ["-cpu", cpu or QEMU_CPU]
    cmd = [keel.QEMU, *accel_args, *args, *QEMU_COMMON, "-debugcon", f"file:{log}",
           "-serial", "stdio"]
    run = Run(cmd, workdir)
    mark = marker.encode()
    lock = threading.Lock()
    t0 = time.monotonic()
    with open(workdir / "qemu.stderr", "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err)

        def reader():
            fd = proc.stdout.fileno()
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                now = time.monotonic()
                with lock:
                    tail = run.serial[-len(mark):]
                    run.serial += chunk
                    if run.marker_time is None and mark in tail + chunk:
                        run.marker_time = now - t0
                    for w in watch:
                        if w not in run.marks and w.encode() in run.serial[-len(chunk) - len(w):]:
                            run.marks[w] = now - t0
                            try:
                                run.marks_cpu[w] = _cpu_ticks(proc.pid) / os.sysconf("SC_CLK_TCK")
                            except (OSError, IndexError, ValueError):
                                pass

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        deadline = t0 + timeout
        seen_log = b""
        try:
            while True:
                if proc.poll() is not None:
                    break
                now = time.monotonic()
                if run.guest_start_time is None:
                    seen_log = _read_new(log, seen_log)
                    if GUEST_START in seen_log:
                        run.guest_start_time = now - t0
                if run.guest_start_time is not None and stop_at_guest_start:
                    break
                with lock:
                    seen = run.marker_time is not None
                if seen and after_marker == "stop":
                    break
                if seen and after_marker == "exit":
                    deadline = min(deadline, t0 + run.marker_time + grace)
                if seen and after_marker == "idle":
                    time.sleep(settle)
                    if proc.poll() is not None:
                        break
                    c0, w0 = _cpu_ticks(proc.pid), time.monotonic()
                    time.sleep(idle_seconds)
                    if proc.poll() is not None:
                        break
                    c1, w1 = _cpu_ticks(proc.pid), time.monotonic()
                    hz = os.sysconf("SC_CLK_TCK")
                    run.idle = {"cpu_seconds": (c1 - c0) / hz, "wall_seconds": w1 - w0,
                                "cpu_percent": 100.0 * (c1 - c0) / hz / (w1 - w0)}
                    break
                if now >= deadline:
                    run.timed_out = True
                    break
                time.sleep(POLL)
        finally:
            run.elapsed = time.monotonic() - t0
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            else:
                run.status = proc.returncode
            th.join(timeout=5)
    try:
        run.log = log.read_bytes().decode("latin-1")
    except FileNotFoundError:
        run.log = ""
    (workdir / "com1.log").write_bytes(run.serial)
    return run


# build/disk.img as it was when the benchmark started: every image is made
# from this copy, so that a rebuild meanwhile cannot tear one.
SNAPSHOT = {}


def keel_image(work, name, cfg, files):
    d = Path(work) / name
    d.mkdir(parents=True, exist_ok=True)
    return keel.make_image(d, cfg_text=cfg, files=files, src=SNAPSHOT.get("disk", keel.DISK_IMG))


def keel_cfg(title, guest_line):
    return f'timeout 0\ndefault 1\n\nentry "{title}"\n  {guest_line}\n  after poweroff\n'


STOP_RE = re.compile(r'keel: guest (\d+) "([^"]+)" stop reason=(\S+)(?: code=(\d+))? exits=(\d+)')


def parse_exits(log):
    """The first guest's stop line and its `keel: exits` counts, or (None, None)."""
    lines = [ln.rstrip("\r") for ln in log.splitlines()]
    for i, line in enumerate(lines):
        m = STOP_RE.search(line)
        if not m:
            continue
        for ln in lines[i + 1:]:
            if ln.startswith("keel: exits "):
                body = ln.split("keel: exits ", 1)[1]
                return line, {k: int(v) for k, v in re.findall(r"([a-z][a-z0-9-]*)=(\d+)", body)}
        return line, None
    return None, None


def cpu_exits(log):
    """{cpu: {reason: n, "exits": total}} from the first guest's per-CPU lines."""
    out = {}
    for ln in log.splitlines():
        m = CPU_EXITS_RE.match(ln.rstrip("\r"))
        if m:
            if int(m.group(1)) in out:
                break
            d = {k: int(v) for k, v in re.findall(r"([a-z][a-z0-9-]*)=(\d+)", m.group(3))}
            d["exits"] = int(m.group(2))
            out[int(m.group(1))] = d
        elif out:
            break
    return out


def keel_failure(run, marker):
    """Why a Keel run did not reach MARKER, in words from its log."""
    lines = [ln.rstrip("\r") for ln in run.log.splitlines()]
    for key in ("not supported", "FATAL", "load-error", "unhandled", "stop reason="):
        for ln in lines:
            if key in ln:
                return f"Keel: {ln.removeprefix('keel: ')}"
    if run.timed_out:
        return f"{marker} not seen within {run.elapsed:.0f} s"
    return f"{marker} not seen; QEMU ended with status {run.status}"


def bare_failure(run, marker):
    if run.timed_out:
        return f"bare QEMU: {marker} not seen within {run.elapsed:.0f} s"
    err = (Path(run.workdir) / "qemu.stderr").read_text(errors="replace").strip()
    return f"bare QEMU: {marker} not seen (status {run.status}){': ' + err[:200] if err else ''}"


# ---- exit cost: bench_exits ------------------------------------------------------

BENCH_RE = re.compile(r"bench (\w+) n=(\d+) tsc=(\d+)")


def assemble_bench(out_dir, iterations, defines=()):
    out = Path(out_dir) / "BENCH.BIN"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["nasm", "-f", "bin", f"-I{GUESTS}/", f"-DITERATIONS={iterations}",
           *(f"-D{d}" for d in defines), str(GUESTS / "bench_exits.asm"), "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"nasm failed: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return out


def bench_image(work, iterations):
    binary = assemble_bench(Path(work), iterations)
    return keel_image(work, "bench", keel_cfg(
        "bench", "guest flat file=BENCH.BIN load=0x100000 mode=long"), {"BENCH.BIN": binary})


def bench_figures(log):
    """{"nop": (n, tsc), "cpuid": ...} from a bench_exits run, and the
    per-round-trip TSC cost of each loop above the NOP loop."""
    loops = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in BENCH_RE.finditer(log)}
    if "nop" not in loops:
        return loops, None
    n0, t0 = loops["nop"]
    per = {k: (t - t0 * n / n0) / n for k, (n, t) in loops.items() if k != "nop"}
    return loops, per


def check_bench_run(log, iterations):
    """None when the guest ran all its loops and stopped with code 0; else why."""
    stop, exits = parse_exits(log)
    if not stop:
        fatal = [ln for ln in log.splitlines() if "FATAL" in ln]
        return fatal[0] if fatal else "the bench guest never stopped"
    if "reason=exit-code code=0" not in stop:
        return stop.removeprefix("keel: ")
    loops, _ = bench_figures(log)
    missing = [k for k in ("nop", *LOOPS) if k not in loops]
    if missing:
        return f"the bench guest printed no figures for {', '.join(missing)}"
    if exits and (exits.get("cpuid", 0) < iterations or exits.get("io", 0) != iterations or
                  exits.get("hypercall", 0) < iterations):
        return f"unexpected exit counts: {exits}"
    return None


def region_bytes(log):
    m = re.search(r"keel: region base=0x[0-9a-f]+ size=(\d+) MiB", log)
    return int(m.group(1)) << 20 if m else None


# ---- KVM ---------------------------------------------------------------------------

def kvm_status(work, bench_img):
    """(True, None) when Keel runs under QEMU with KVM here, else (False, why)."""
    if not os.path.exists("/dev/kvm"):
        return False, "no /dev/kvm on this machine"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "/dev/kvm is not readable and writable by this user"
    why = []
    check = ROOT / "tools" / "run-kvm.sh"      # make run-kvm's own checks, if present
    if check.exists():
        r = subprocess.run(["sh", str(check), "--check"], capture_output=True, text=True,
                           timeout=30)
        if r.returncode:
            line = (r.stderr or r.stdout).strip().splitlines()
            why.append(line[0] if line else f"tools/run-kvm.sh --check: status {r.returncode}")
    elif not set(cpuinfo().get("flags", "").split()) & {"svm", "vmx"}:
        why.append("the CPU shows neither svm nor vmx (Keel under KVM needs nested "
                   "virtualization)")
    img = keel.copy_image(bench_img, Path(work) / "kvm-probe.img")
    run = run_qemu(["-m", BENCH_MEM, "-drive", f"file={img},format=raw,if=ide"],
                   Path(work) / "kvm-probe", "\x00never", 30, accel="kvm")
    if run.status == keel.QEMU_EXIT_POWEROFF and "keel: poweroff code=0" in run.log:
        return True, None
    err = (Path(run.workdir) / "qemu.stderr").read_text(errors="replace").strip()
    if err:
        why.append("qemu -accel kvm: " + err.splitlines()[0][:160])
    else:
        fatal = [ln for ln in run.log.splitlines() if "FATAL" in ln]
        why.append(fatal[0] if fatal else "Keel did not run its guest under KVM")
    return False, "/dev/kvm exists, but " + "; ".join(why)


# ---- guests: FreeDOS and Linux -------------------------------------------------------

# KEELRST.COM: mov al,0FEh; out 64h,al (keyboard-controller reset); cli; hlt; jmp $-3
KEELRST_COM = bytes.fromhex("b0fee664faf4ebfd")


def freedos_floppy(work):
    """A copy of the FreeDOS floppy with the marker and the reset in
    AUTOEXEC.BAT; the original is never written."""
    src = Path(os.environ.get("FREEDOS_IMG") or FREEDOS_DEFAULT)
    if not src.exists():
        return None, f"no FreeDOS image ({rel(src)} missing; FREEDOS_IMG=path)"
    if shutil.which("mcopy") is None:
        return None, "mtools missing (apt-get install mtools)"
    d = Path(work) / "freedos"
    d.mkdir(parents=True, exist_ok=True)
    img = d / "FDOS.IMG"
    shutil.copyfile(src, img)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    auto = subprocess.run(["mtype", "-i", str(img), "::AUTOEXEC.BAT"], env=env,
                          capture_output=True).stdout
    auto = auto.rstrip(b"\x1a")
    if auto and not auto.endswith(b"\n"):
        auto += b"\r\n"
    auto += f"ECHO {FREEDOS_MARKER} > COM1\r\nKEELRST\r\n".encode()
    (d / "AUTOEXEC.BAT").write_bytes(auto)
    (d / "KEELRST.COM").write_bytes(KEELRST_COM)
    for name in ("AUTOEXEC.BAT", "KEELRST.COM"):
        r = subprocess.run(["mcopy", "-o", "-i", str(img), str(d / name), f"::{name}"],
                           env=env, capture_output=True, text=True)
        if r.returncode:
            return None, f"mcopy {name} onto the FreeDOS copy failed: {r.stderr.strip()}"
    return img, None


def rel(p):
    """P relative to the project when it lies inside."""
    try:
        return str(Path(p).resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def linux_files():
    kernel = Path(os.environ.get("LINUX_BZIMAGE") or BUILD / "linux" / "vmlinuz")
    initrd = Path(os.environ.get("LINUX_INITRD") or BUILD / "linux" / "initrd.gz")
    missing = [rel(p) for p in (kernel, initrd) if not p.exists()]
    if missing:
        return None, None, f"{' and '.join(missing)} missing (`make linux` builds them)"
    return kernel, initrd, None


# ---- a boot series: Keel and bare, in pairs ----------------------------------------------

def boot_series(name, work, runs, keel_args, bare_args, marker, accel, keel_timeout,
                bare_timeout, grace, others=()):
    """RUNS pairs (Keel, then bare; then each of OTHERS, (label, args),
    against the same Keel run). Returns a dict with the runs' seconds,
    ratios, exits and why a side is not available."""
    out = {"keel_seconds": [], "bare_seconds": [], "ratios": [], "exits": [], "stops": [],
           "keel_guest_start_seconds": [],
           "keel_unavailable": None, "bare_unavailable": None, "exits_unavailable": None,
           "region_bytes": None, **bench_cost.series_fields(others)}
    for i in range(runs):
        k = None
        if out["keel_unavailable"] is None:
            say(f"{name} ({accel}) run {i + 1}/{runs}: Keel")
            # Keel's exits line comes once the guest stops; once a run has
            # shown that it does not, the rest only time the boot.
            keel_after = "stop" if out["exits_unavailable"] else "exit"
            k = run_qemu(keel_args, Path(work) / f"{name}-{accel}-keel-{i}", marker,
                         keel_timeout, after_marker=keel_after, accel=accel, grace=grace)
            if k.marker_time is None:
                out["keel_unavailable"] = keel_failure(k, marker)
                if k.guest_start_time is not None:
                    # How far Keel got: the part before the guest is real.
                    out["keel_guest_start_seconds"].append(k.guest_start_time)
                k = None
            else:
                out["keel_seconds"].append(k.marker_time)
                out["keel_guest_start_seconds"].append(k.guest_start_time)
                out["region_bytes"] = out["region_bytes"] or region_bytes(k.log)
                bench_cost.keel_run_figures(k.log, out)
                stop, exits = parse_exits(k.log)
                if exits is not None:
                    out["exits"].append(exits)
                    out["stops"].append(stop)
                    out.setdefault("cpu_exits", []).append(cpu_exits(k.log))
                elif out["exits_unavailable"] is None:
                    out["exits_unavailable"] = (
                        f"the guest did not stop within {grace:.0f} s of the marker, so Keel "
                        "printed no exits line" if k.timed_out else
                        f"QEMU ended (status {k.status}) without a `keel: exits` line: the "
                        "guest powered the machine off past Keel")
        if out["bare_unavailable"] is None:
            say(f"{name} ({accel}) run {i + 1}/{runs}: bare")
            b = run_qemu(bare_args, Path(work) / f"{name}-{accel}-bare-{i}", marker,
                         bare_timeout, after_marker="stop", accel=accel)
            if b.marker_time is None:
                out["bare_unavailable"] = bare_failure(b, marker)
            else:
                out["bare_seconds"].append(b.marker_time)
                if k is not None:
                    out["ratios"].append(k.marker_time / b.marker_time)
        for label, args in others:
            if out[f"{label}_unavailable"] is None:
                say(f"{name} ({accel}) run {i + 1}/{runs}: {label}")
                o = run_qemu(args, Path(work) / f"{name}-{accel}-{label}-{i}", marker,
                             bare_timeout, after_marker="stop", accel=accel)
                if o.marker_time is None:
                    out[f"{label}_unavailable"] = bare_failure(o, marker).replace(
                        "bare QEMU", label)
                else:
                    out[f"{label}_seconds"].append(o.marker_time)
                    if k is not None:
                        out[f"{label}_ratios"].append(k.marker_time / o.marker_time)
        if out["keel_unavailable"] and out["bare_unavailable"]:
            break
    return out


def idle_series(work, runs, keel_args, bare_args, seconds, settle, accel, keel_ok):
    out = {"keel": [], "bare": [], "keel_unavailable": None, "bare_unavailable": None}
    for i in range(runs):
        if keel_ok and out["keel_unavailable"] is None:
            say(f"linux idle ({accel}) run {i + 1}/{runs}: Keel, {seconds:.0f} s")
            k = run_qemu(keel_args, Path(work) / f"idle-{accel}-keel-{i}", LINUX_MARKER, 300,
                         after_marker="idle", idle_seconds=seconds, settle=settle, accel=accel)
            if k.idle is None:
                out["keel_unavailable"] = keel_failure(k, LINUX_MARKER) if k.marker_time is None \
                    else "the guest stopped during the idle window"
            else:
                out["keel"].append(k.idle["cpu_percent"])
        if out["bare_unavailable"] is None:
            say(f"linux idle ({accel}) run {i + 1}/{runs}: bare, {seconds:.0f} s")
            b = run_qemu(bare_args, Path(work) / f"idle-{accel}-bare-{i}", LINUX_MARKER, 300,
                         after_marker="idle", idle_seconds=seconds, settle=settle, accel=accel)
            if b.idle is None:
                out["bare_unavailable"] = bare_failure(b, LINUX_MARKER) if b.marker_time is None \
                    else "the guest stopped during the idle window"
            else:
                out["bare"].append(b.idle["cpu_percent"])
        if not keel_ok:
            break       # Keel cannot boot Linux: one bare run for reference
    return out


# ---- the whole benchmark ------------------------------------------------------------

def _int(v):
    return int(v) if float(v).is_integer() else v


def exits_summary(exits_list):
    """Median per reason over the runs, and the totals' summary."""
    if not exits_list:
        return None, None
    reasons = sorted({k for e in exits_list for k in e})
    by_reason = {r: _int(statistics.median([e.get(r, 0) for e in exits_list])) for r in reasons}
    totals = summary([sum(e.values()) for e in exits_list])
    return by_reason, totals


def measure(args):
    runs = 1 if args.quick else args.runs
    iterations = 10000 if args.quick else 100000
    idle_seconds = args.idle_seconds if args.idle_seconds else (2.0 if args.quick else 10.0)
    settle = 1.0 if args.quick else 3.0
    res = {"schema": 1, "quick": args.quick, "runs": runs,
           "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": machine(), "notes": {}, "details": {}}
    notes, details = res["notes"], res["details"]

    # Sizes and lines of code.
    res["mbr_code_bytes"] = file_size("boot/mbr-code.bin", "mbr_code_bytes", notes)
    res["stage2_bytes"] = file_size("stage2.bin", "stage2_bytes", notes)
    res["hv_image_bytes"] = file_size("KEEL.BIN", "hv_image_bytes", notes)
    res["efi_loader_bytes"] = file_size("BOOTX64.EFI", "efi_loader_bytes", notes)
    res["lines_of_code"] = lines_of_code()
    res["exit_reasons"] = EXIT_REASONS

    work = Path(tempfile.mkdtemp(prefix="keel-bench."))
    details["workdir"] = str(work)
    details["idle_seconds"] = idle_seconds
    try:
        run_all(args, res, work, runs, iterations, idle_seconds, settle)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for key in REQUIRED_KEYS:
        res.setdefault(key, None)
        if res[key] is None and key not in notes:
            notes[key] = "not measured"
    return res


def run_all(args, res, work, runs, iterations, idle_seconds, settle):
    notes, details = res["notes"], res["details"]
    have_qemu = keel.QEMU is not None
    bench_img = None
    if keel.DISK_IMG.exists():
        SNAPSHOT["disk"] = keel.copy_image(keel.DISK_IMG, work / "disk.img")
        if (BUILD / "keel.elf").exists():
            SNAPSHOT["elf"] = Path(shutil.copyfile(BUILD / "keel.elf", work / "keel.elf"))
        bench_img = bench_image(work, iterations)

    # Exit cost under Bochs: instruction counts, so both models may run at once.
    why_bochs = keel.bochs_missing()
    if bench_img is None:
        why_bochs = f"{keel.DISK_IMG} is missing (run `make`)"
    if why_bochs:
        for vendor in BOCHS_MODELS:
            for loop in LOOPS:
                notes[f"{loop}_exit_host_instructions_{vendor}"] = why_bochs
    else:
        bochs_exit_cost(res, work, bench_img, runs, iterations)

    if not have_qemu or bench_img is None:
        why = "qemu-system-x86_64 not installed" if not have_qemu else \
            f"{keel.DISK_IMG} is missing (run `make`)"
        for key in REQUIRED_KEYS:
            if res.get(key) is None and key not in notes:
                notes[key] = why
        return

    # Exit cost under QEMU TCG (host TSC cycles) and Keel's region.
    tcg = {loop: [] for loop in LOOPS}
    bench_log = ""
    for i in range(runs):
        say(f"exit cost, QEMU TCG, run {i + 1}/{runs} ({iterations} rounds per loop)")
        img = keel.copy_image(bench_img, work / f"bench-tcg-{i}.img")
        r = run_qemu(["-m", BENCH_MEM, "-drive", f"file={img},format=raw,if=ide"],
                     work / f"bench-tcg-{i}", "\x00never", 120)
        res["reserved_ram_bytes"] = res.get("reserved_ram_bytes") or region_bytes(r.log)
        bench_log = bench_log or r.log
        bad = check_bench_run(r.log, iterations)
        if bad:
            for loop in LOOPS:
                notes[f"{loop}_exit_tsc_cycles_tcg"] = f"bench guest under QEMU: {bad}"
            break
        _, per = bench_figures(r.log)
        for loop in LOOPS:
            tcg[loop].append(per[loop])
    mhz = res["machine"]["cpu_mhz"]
    details["exit_cost_tcg"] = {}
    for loop in LOOPS:
        s = summary(tcg[loop])
        details["exit_cost_tcg"][loop] = s
        if s:
            res[f"{loop}_exit_tsc_cycles_tcg"] = round(s["median"])
            if mhz:
                details["exit_cost_tcg"][loop]["median_us"] = s["median"] / mhz
    details["exit_cost_tcg_iterations"] = iterations
    if res.get("reserved_ram_bytes") is None:
        notes["reserved_ram_bytes"] = "no `keel: region ... size=N MiB` line in Keel's log"

    firmware_boot(res, work, runs)

    # KVM: only where Keel runs under it.
    kvm_ok, kvm_why = kvm_status(work, bench_img)
    details["kvm"] = {"available": kvm_ok, "why_not": kvm_why}
    accels = ["tcg"] + (["kvm"] if kvm_ok else [])
    if not kvm_ok:
        notes["linux_boot_ratio_kvm"] = f"not available: {kvm_why}"
        notes["freedos_boot_ratio_kvm"] = f"not available: {kvm_why}"

    # FreeDOS.
    floppy, why = freedos_floppy(work)
    details["freedos_boot"] = {}
    if floppy is None:
        notes["freedos_boot_ratio"] = notes["freedos_boot_exits"] = f"not available: {why}"
        details["freedos_boot"]["tcg"] = {"keel_unavailable": why, "bare_unavailable": why}
    else:
        img = keel_image(work, "freedos-img", keel_cfg(
            "FreeDOS", "guest bios image=FDOS.IMG drive=0x00"), {"FDOS.IMG": floppy})
        keel_args = ["-m", FREEDOS_MEM, "-drive", f"file={img},format=raw,if=ide"]
        bare_args = ["-m", FREEDOS_MEM, "-drive", f"file={floppy},format=raw,if=floppy",
                     "-boot", "a"]
        for accel in accels:
            s = boot_series("freedos", work, runs, keel_args, bare_args, FREEDOS_MARKER, accel,
                            keel_timeout=120, bare_timeout=60, grace=30)
            details["freedos_boot"][accel] = s
            record_boot(res, "freedos", accel, s)

    # Linux.
    kernel, initrd, why = linux_files()
    details["linux_boot"] = {}
    details["linux_idle"] = {}
    if kernel is None:
        for key in ("linux_boot_ratio", "linux_boot_exits", "linux_idle_cpu_percent_keel",
                    "linux_idle_cpu_percent_bare", *bench_cost.KEYS):
            notes.setdefault(key, f"not available: {why}")
        details["linux_boot"]["tcg"] = {"keel_unavailable": why, "bare_unavailable": why}
        bench_cost.keel_ram_fallback(res, bench_log)
        bochs_linux_exits(res, work, None, None, args.quick)
        return
    bochs_linux_exits(res, work, kernel, initrd, args.quick)
    details["linux_files"] = {"kernel": str(kernel), "initrd": str(initrd)}
    B = sys.modules[__name__]
    for accel in accels:
        cmdline = f"{LINUX_CMDLINE} {LINUX_STOP_ARG}"
        boot_img = linux_image(work, f"linux-boot-img-{accel}", kernel, initrd, cmdline)
        # SYSLINUX on a copy of the same image: what a user runs instead.
        sl_img, sl_why = bench_cost.syslinux_image(B, boot_img, work / f"syslinux-{accel}",
                                                   cmdline)
        if sl_img is None:
            notes["linux_boot_ratio_syslinux"] = \
                notes["linux_boot_ratio_syslinux_virtio"] = f"not available: {sl_why}"
        sl = lambda iface: [("syslinux", bench_cost.syslinux_args(sl_img, iface, LINUX_MEM))] \
            if sl_img and accel == "tcg" else []
        s = boot_series("linux", work, runs,
                        ["-m", LINUX_MEM, "-drive", f"file={boot_img},format=raw,if=ide"],
                        ["-m", LINUX_MEM, "-kernel", str(kernel), "-initrd", str(initrd),
                         "-append", cmdline], LINUX_MARKER, accel,
                        keel_timeout=300, bare_timeout=180, grace=60, others=sl("ide"))
        details["linux_boot"][accel] = s
        record_boot(res, "linux", accel, s)
        bench_cost.record_series(B, res, accel, s)
        if accel == "tcg":
            # The same boot with Keel's disk on virtio-blk (SeaBIOS's driver
            # serves stage 2's INT 13h reads): what the IDE path costs.
            v = boot_series("linux-virtio", work, runs,
                            ["-m", LINUX_MEM, "-drive", f"file={boot_img},format=raw,if=virtio"],
                            ["-m", LINUX_MEM, "-kernel", str(kernel), "-initrd", str(initrd),
                             "-append", cmdline], LINUX_MARKER, accel,
                            keel_timeout=300, bare_timeout=180, grace=60, others=sl("virtio"))
            details["linux_boot"]["virtio"] = v
            record_boot(res, "linux", "virtio", v)
            bench_cost.record_series(B, res, "virtio", v)
            bench_cost.workload(B, res, work, runs, args.quick, kernel, initrd)
            bench_cost.std_kernel_exits(B, res, work, runs, initrd)
            bench_cost.bochs_start(B, res, work, boot_img, sl_img)
            smp_series(res, work, runs, kernel, initrd, args.quick)

        idle_img = linux_image(work, f"linux-idle-img-{accel}", kernel, initrd, LINUX_CMDLINE)
        keel_ok = s["keel_unavailable"] is None
        i = idle_series(work, runs,
                        ["-m", LINUX_MEM, "-drive", f"file={idle_img},format=raw,if=ide"],
                        ["-m", LINUX_MEM, "-kernel", str(kernel), "-initrd", str(initrd),
                         "-append", LINUX_CMDLINE], idle_seconds, settle, accel, keel_ok)
        i["seconds"] = idle_seconds
        i["keel_summary"], i["bare_summary"] = summary(i["keel"]), summary(i["bare"])
        details["linux_idle"][accel] = i
        if accel == "tcg":
            for side in ("keel", "bare"):
                key = f"linux_idle_cpu_percent_{side}"
                if i[f"{side}_summary"]:
                    res[key] = round(i[f"{side}_summary"]["median"], 1)
                else:
                    notes[key] = "not available: " + (
                        i[f"{side}_unavailable"] or s["keel_unavailable"] or "not measured")
    bench_cost.keel_ram_fallback(res, bench_log)


def smp_series(res, work, runs, kernel, initrd, quick):
    """Linux on SMP_CPUS CPUs under QEMU TCG: the boot (Keel and bare), its
    exits by reason and by CPU, and two busy shells at once (the initramfs
    times them: keeltest=smp), Keel / bare."""
    notes, details = res["notes"], res["details"]
    smp = ["-smp", str(SMP_CPUS)]
    cmdline = f"{LINUX_CMDLINE} {LINUX_STOP_ARG}"
    img = linux_image(work, "linux-2cpus-img", kernel, initrd, cmdline)
    s = boot_series("linux-2cpus", work, runs,
                    ["-m", LINUX_MEM, *smp, "-drive", f"file={img},format=raw,if=ide"],
                    ["-m", LINUX_MEM, *smp, "-kernel", str(kernel), "-initrd", str(initrd),
                     "-append", cmdline], LINUX_MARKER, "tcg",
                    keel_timeout=300, bare_timeout=180, grace=60)
    s["keel_summary"], s["bare_summary"] = summary(s["keel_seconds"]), summary(s["bare_seconds"])
    s["ratio_summary"] = summary(s["ratios"])
    s["exits_by_reason"], s["exits_total"] = exits_summary(s["exits"])
    s["exits_by_cpu"] = median_cpu_exits(s.get("cpu_exits", []))
    details["linux_boot_2cpus"] = s
    if s["ratio_summary"]:
        res["linux_boot_ratio_2cpus"] = round(s["ratio_summary"]["median"], 3)
    else:
        notes["linux_boot_ratio_2cpus"] = "not available: " + (
            s["keel_unavailable"] or s["bare_unavailable"] or "?")
    if s["exits_total"]:
        res["linux_boot_exits_2cpus"] = int(s["exits_total"]["median"])
    else:
        notes["linux_boot_exits_2cpus"] = "not available: " + (
            s["keel_unavailable"] or s["exits_unavailable"] or "?")

    busy_cmdline = f"{LINUX_CMDLINE} keeltest=smp" + (" keelbusy=20000" if quick else "")
    busy_img = linux_image(work, "linux-busy-img", kernel, initrd, busy_cmdline)
    b = {"keel_wall": [], "bare_wall": [], "keel_user": [], "bare_user": [], "ratios": [],
         "keel_unavailable": None, "bare_unavailable": None}
    for i in range(runs):
        walls = {}
        for side, args in (("keel", ["-drive", f"file={busy_img},format=raw,if=ide"]),
                           ("bare", ["-kernel", str(kernel), "-initrd", str(initrd),
                                     "-append", busy_cmdline])):
            if b[f"{side}_unavailable"]:
                continue
            say(f"linux busy shells on {SMP_CPUS} CPUs run {i + 1}/{runs}: {side}")
            r = run_qemu(["-m", LINUX_MEM, *smp, *args], work / f"busy-{side}-{i}",
                         BUSY_MARKER, 600, after_marker="stop")
            m = BUSY_RE.search(r.serial.decode("latin-1"))
            if not m:
                b[f"{side}_unavailable"] = (keel_failure if side == "keel" else
                                            bare_failure)(r, BUSY_MARKER)
                continue
            walls[side] = int(m.group(1)) / 100
            b[f"{side}_wall"].append(walls[side])
            b[f"{side}_user"].append(int(m.group(2)) / 100)
        if len(walls) == 2:
            b["ratios"].append(walls["keel"] / walls["bare"])
    b["ratio_summary"] = summary(b["ratios"])
    details["linux_busy_2cpus"] = b
    if b["ratio_summary"]:
        res["linux_busy_ratio_2cpus"] = round(b["ratio_summary"]["median"], 3)
    else:
        notes["linux_busy_ratio_2cpus"] = "not available: " + (
            b["keel_unavailable"] or b["bare_unavailable"] or "?")


def median_cpu_exits(runs_by_cpu):
    """Per CPU, the median per reason over the runs."""
    cpus = sorted({c for r in runs_by_cpu for c in r})
    return {c: {k: _int(statistics.median([r.get(c, {}).get(k, 0) for r in runs_by_cpu]))
                for k in sorted({k for r in runs_by_cpu for k in r.get(c, {})})}
            for c in cpus}


def bochs_linux_exits(res, work, kernel, initrd, quick):
    """Linux's exits by reason and by CPU under Bochs, both vendors, 1 and
    2 CPUs: Bochs' time runs by instructions, so one boot each is the
    figure (two boots at a time)."""
    notes, details = res["notes"], res["details"]
    keys = {(v, c): f"linux_boot_exits_{v}_bochs" + ("_2cpus" if c == 2 else "")
            for v in BOCHS_MODELS for c in (1, 2)}
    why = keel.bochs_missing() or ("--quick: a Bochs Linux boot takes minutes" if quick else None)
    if kernel is None:
        why = why or "no Linux kernel"
    if why:
        for key in keys.values():
            notes[key] = f"not available: {why}"
        return
    cmdline = f"{LINUX_CMDLINE} {LINUX_STOP_ARG}"
    img = linux_image(work, "linux-bochs-img", kernel, initrd, cmdline)
    out = details["linux_boot_bochs"] = {}

    def one(vendor, cpus):
        model = BOCHS_MODELS[vendor]
        r = keel.run_bochs(keel.copy_image(img, work / f"linux-bochs-{vendor}-{cpus}.img"),
                           cpu_model=model, timeout=2400, megs=int(LINUX_MEM), cpus=cpus)
        stop, exits = parse_exits(r.log)
        key = keys[(vendor, cpus)]
        if exits is None:
            notes[key] = "not available: " + (stop.removeprefix("keel: ") if stop else
                                              "Linux did not stop under Bochs " + model)
            return
        res[key] = sum(exits.values())
        out[f"{vendor}-{cpus}"] = {"model": model, "cpus": cpus, "stop": stop,
                                   "exits_by_reason": exits, "exits_by_cpu": cpu_exits(r.log)}

    for pair in ((("vmx", 1), ("svm", 1)), (("vmx", 2), ("svm", 2))):
        say("Linux under Bochs: " + ", ".join(f"{BOCHS_MODELS[v]} with {c} CPU{'s' * (c > 1)}"
                                              for v, c in pair))
        threads = [threading.Thread(target=one, args=vc) for vc in pair]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


FIRMWARE_MEM = "512"


def firmware_boot(res, work, runs):
    """Power-on to the first guest instruction (Keel's `guest 1 ... start`
    line, written right before the first VM entry) for the same image and
    a flat guest, through SeaBIOS and the MBR and through OVMF and the EFI
    loader: the two ways in side by side."""
    notes, details = res["notes"], res["details"]
    # `after restart`: the entry runs again and again, so QEMU is still
    # running when the line is read; the run ends at the line.
    img = keel_image(work, "firmware-img", 'timeout 0\nentry "Hello"\n'
                     "  guest flat file=HELLO.BIN load=0x10000 mode=real\n  after restart\n", {})
    details["first_guest"] = {}
    for fw in ("seabios", "ovmf"):
        key = f"first_guest_seconds_{fw}"
        times = []
        if fw == "ovmf" and keel.ovmf_files() is None:
            notes[key] = f"not available: OVMF is not installed in {keel.OVMF_DIR} " \
                         "(apt-get install ovmf)"
        for i in range(runs if key not in notes else 0):
            say(f"power-on to the first guest, {fw}, run {i + 1}/{runs}")
            d = work / f"first-guest-{fw}-{i}"
            d.mkdir(parents=True, exist_ok=True)
            fw_args = keel.firmware_args(fw, d)
            r = run_qemu(["-m", FIRMWARE_MEM, *fw_args,
                          "-drive", f"file={img},format=raw,if=ide,snapshot=on"],
                         d, "\x00never", 120, stop_at_guest_start=True)
            if r.guest_start_time is None:
                notes[key] = f"not available: no `guest 1 ... start` line under {fw} " \
                             f"(status {r.status}, timed out: {r.timed_out}; files in {d})"
                break
            times.append(r.guest_start_time)
        s = summary(times)
        details["first_guest"][fw] = {"seconds": times, "summary": s}
        if s and key not in notes:
            res[key] = round(s["median"], 2)


def linux_image(work, name, kernel, initrd, cmdline):
    return keel_image(work, name, keel_cfg(
        "Linux", f'guest linux kernel=BZIMAGE initrd=INITRD cmdline="{cmdline}"'),
        {"BZIMAGE": kernel, "INITRD": initrd})


def record_boot(res, guest, accel, s):
    notes = res["notes"]
    suffix = "" if accel == "tcg" else f"_{accel}"
    s["keel_summary"] = summary(s["keel_seconds"])
    s["bare_summary"] = summary(s["bare_seconds"])
    s["ratio_summary"] = summary(s["ratios"])
    s["keel_guest_start_summary"] = summary(s["keel_guest_start_seconds"])
    key = f"{guest}_boot_ratio{suffix}"
    if s["ratio_summary"]:
        res[key] = round(s["ratio_summary"]["median"], 3)
    else:
        notes[key] = "not available: " + (s["keel_unavailable"] or s["bare_unavailable"] or "?")
    by_reason, totals = exits_summary(s["exits"])
    s["exits_by_reason"], s["exits_total"] = by_reason, totals
    if accel == "tcg":
        res[f"{guest}_boot_exits_by_reason"] = by_reason
        if totals:
            res[f"{guest}_boot_exits"] = int(totals["median"])
        else:
            notes[f"{guest}_boot_exits"] = "not available: " + (
                s["keel_unavailable"] or s["exits_unavailable"] or "?")
        if s["region_bytes"] and not res.get("reserved_ram_bytes"):
            res["reserved_ram_bytes"] = s["region_bytes"]


def bochs_exit_cost(res, work, bench_img, runs, iterations):
    """Host instructions per exit on both vendors: Bochs' TSC counts
    instructions, so (loop - NOP loop) / rounds is what Keel runs per exit
    (from the exit to the next VMRUN/VMRESUME, which is counted)."""
    notes, details = res["notes"], res["details"]
    results = {v: [] for v in BOCHS_MODELS}
    failures = {}

    def one(vendor, model, i):
        img = keel.copy_image(bench_img, work / f"bench-bochs-{vendor}-{i}.img")
        r = keel.run_bochs(img, cpu_model=model, timeout=600)
        bad = check_bench_run(r.log, iterations)
        want = "backend=vmx" if vendor == "vmx" else "backend=svm"
        if not bad and want not in r.log:
            bad = f"Keel did not pick {want} on {model}"
        if bad:
            failures[vendor] = f"Bochs {model}: {bad}"
        else:
            results[vendor].append(bench_figures(r.log))

    for i in range(runs):
        say(f"exit cost, Bochs {' and '.join(BOCHS_MODELS.values())}, run {i + 1}/{runs}")
        threads = [threading.Thread(target=one, args=(v, m, i)) for v, m in BOCHS_MODELS.items()
                   if v not in failures]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    details["exit_cost_bochs"] = {}
    for vendor, model in BOCHS_MODELS.items():
        d = details["exit_cost_bochs"][vendor] = {"model": model, "iterations": iterations}
        if not results[vendor]:
            for loop in LOOPS:
                notes[f"{loop}_exit_host_instructions_{vendor}"] = failures.get(vendor, "no run")
            continue
        n0, t0 = results[vendor][0][0]["nop"]
        d["ticks_per_nop_round"] = t0 / n0        # 4 instructions per NOP round
        for loop in LOOPS:
            s = summary([per[loop] for _, per in results[vendor]])
            d[loop] = s
            res[f"{loop}_exit_host_instructions_{vendor}"] = round(s["median"])

    # Where the instructions of one CPUID exit go: a Bochs trace.
    # Now and then a trace comes out empty ("0 guest CPUIDs": Bochs stopped
    # elsewhere than at the guest's magic breakpoint; seen on either model,
    # side by side or alone, not reproduced by hand). A trace takes seconds:
    # up to three tries, and the tries are recorded.
    say("exit cost: tracing one CPUID exit under Bochs, both models")
    profiles = {}
    for v, m in BOCHS_MODELS.items():
        for attempt in range(1, 4):
            p = cpuid_exit_profile(Path(work) / f"try{attempt}", v, m)
            p["attempts"] = attempt
            if "error" not in p:
                break
        profiles[v] = p
    details["cpuid_exit_profile"] = profiles


TRACE_RE = re.compile(r"\] [0-9a-f]{4}:([0-9a-f]{16}) \([^)]*\): ([^;]*)")
HOST_BASE = 0xffff800000000000


def elf_functions(elf):
    """[(address, name)] of ELF's code symbols, sorted."""
    r = subprocess.run(["nm", "-n", "--defined-only", str(elf)], capture_output=True, text=True)
    out = []
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] in "tTwW":
            out.append((int(f[0], 16), f[2]))
    return out


def cpuid_exit_profile(work, vendor, model):
    """Host instructions of one CPUID round trip, by function: bench_exits
    built with Bochs' magic breakpoint before its CPUID loop, then Bochs'
    debugger traces a few thousand instructions (trace on; s N). The round
    between the second and the third guest CPUID is counted; RIPs are
    named from build/keel.elf (as it was when the benchmark started)."""
    d = Path(work) / f"trace-{vendor}"
    d.mkdir(parents=True, exist_ok=True)
    try:
        binary = assemble_bench(d, 1000, defines=("MAGIC_BREAK",))
        img = keel_image(d, "img", keel_cfg(
            "trace", "guest flat file=BENCH.BIN load=0x100000 mode=long"), {"BENCH.BIN": binary})
    except RuntimeError as e:
        return {"error": str(e)}
    text = (keel.TESTS / "bochsrc.in").read_text()
    for key, val in {"MEGS": 512, "CPU": model, "IMAGE": img, "COM1": d / "com1.log",
                     "LOG": d / "bochs.log", "BIOS": keel.BOCHS_BIOS,
                     "VGABIOS": keel.BOCHS_VGABIOS}.items():
        text = text.replace(f"@{key}@", str(val))
    (d / "bochsrc").write_text(text + "magic_break: enabled=1\n")
    (d / "commands").write_text("c\ntrace on\ns 6000\nq\n")
    trace = d / "trace.txt"
    try:
        with open(trace, "wb") as out:
            subprocess.run([keel.BOCHS, "-q", "-f", str(d / "bochsrc"), "-rc", str(d / "commands")],
                           stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                           cwd=d, timeout=300)
    except subprocess.TimeoutExpired:
        return {"error": "Bochs did not finish its trace within 300 s"}
    finally:
        lock = Path(str(img) + ".lock")
        if lock.exists():
            lock.unlink()
    insns = [(int(m.group(1), 16), m.group(2).strip())
             for m in TRACE_RE.finditer(trace.read_text(errors="replace"))]
    guest_cpuid = [i for i, (a, t) in enumerate(insns) if a < HOST_BASE and t.startswith("cpuid")]
    if len(guest_cpuid) < 3:
        return {"error": f"the trace holds {len(guest_cpuid)} guest CPUIDs, 3 needed"}
    i0, i1 = guest_cpuid[1], guest_cpuid[2]
    host = [a for a, _ in insns[i0 + 1:i1] if a >= HOST_BASE]
    funcs = elf_functions(SNAPSHOT.get("elf", BUILD / "keel.elf"))
    addrs = [a for a, _ in funcs]
    by = {}
    for a in host:
        j = bisect.bisect_right(addrs, a) - 1
        # NASM local labels (vmx_vmenter.resume) and GCC clones
        # (run_guest.constprop.0) count for their function.
        name = funcs[j][1].split(".")[0] if j >= 0 else hex(a)
        by[name] = by.get(name, 0) + 1
    return {"model": model, "host_instructions": len(host),
            "guest_instructions": i1 - i0 - len(host),
            "by_function": dict(sorted(by.items(), key=lambda kv: -kv[1]))}


# ---- the table --------------------------------------------------------------------

def table(res):
    notes, details, m = res["notes"], res["details"], res["machine"]
    out = []
    w = 44

    def row(what, *cols):
        out.append(f"  {what:<{w}} " + "  ".join(f"{c:<26}" for c in cols).rstrip())

    def na(key):
        text = notes.get(key, "not measured")
        return text if text.startswith("not available") else f"not available: {text}"

    out.append(f"Keel benchmark, {res['date']}" + ("  (--quick: one run of each)"
                                                     if res["quick"] else
                                                     f"  ({res['runs']} runs: median [min-max])"))
    out.append(f"machine: {m['nproc']} CPUs, {m['cpu_model']}"
               + (f" at {m['cpu_mhz']:.0f} MHz" if m["cpu_mhz"] else "")
               + (f", {m['memory_mib']} MiB" if m["memory_mib"] else "")
               + f"; {m['qemu'] or 'no QEMU'}; {m['bochs'] or 'no Bochs'}")
    if m.get("loadavg_start") is not None:
        out.append(f"load average (1 min) at the start {m['loadavg_start']:.2f}"
                   + (f", at the end {m['loadavg_end']:.2f}" if m.get("loadavg_end") is not None
                      else "")
                   + f" on {m['nproc']} CPUs: timings are only as quiet as the machine")
    out.append("")
    out.append("Boot to the marker on COM1 (seconds from QEMU's start; Keel includes "
               "BIOS, MBR, stage 2 and Keel)")
    row("", "Keel", "bare", "Keel / bare", f"goal <= {GOAL_BOOT_RATIO:.2f}")
    for guest, title in (("linux", "Linux"), ("freedos", "FreeDOS")):
        for accel, label in (("tcg", "QEMU TCG"), ("virtio", "QEMU TCG, Keel's disk on virtio-blk"),
                             ("kvm", "QEMU KVM")):
            if accel == "virtio" and guest != "linux":
                continue
            key = f"{guest}_boot_ratio" + ("" if accel == "tcg" else "_" + accel)
            s = details.get(f"{guest}_boot", {}).get(accel)
            name = f"{title}, {label}"
            if s is None:
                row(name, na(key))
                continue
            keel_col = fmt_sum(s.get("keel_summary")) if s.get("keel_summary") else \
                "not available"
            bare_col = fmt_sum(s.get("bare_summary")) if s.get("bare_summary") else \
                "not available"
            ratio = fmt_sum(s.get("ratio_summary"), 3) if s.get("ratio_summary") else "-"
            row(name, keel_col, bare_col, ratio)
            if s.get("keel_guest_start_summary"):
                row("  Keel: power-on to `guest 1 ... start`",
                    fmt_sum(s["keel_guest_start_summary"]))
            if res.get(key) is None:
                out.append(f"  {'':<{w}} {na(key)}")
    out.append("")

    bench_cost.table(sys.modules[__name__], res, row, out, na)

    out.append("Power-on to the first guest instruction (a flat guest; Keel's `guest 1 ... start` "
               "line)")
    row("", "legacy BIOS: SeaBIOS, MBR, stage 2", "UEFI: OVMF, BOOTX64.EFI")
    cols = []
    for fw in ("seabios", "ovmf"):
        s = details.get("first_guest", {}).get(fw, {}).get("summary")
        cols.append(fmt_sum(s) if s else na(f"first_guest_seconds_{fw}"))
    row("QEMU TCG, -m " + FIRMWARE_MEM, *cols)
    out.append("")

    out.append("Exits per boot, by reason (Keel's `keel: exits` line after the guest stops)")
    for guest, title, goal in (("linux", "Linux", GOAL_LINUX_EXITS), ("freedos", "FreeDOS", None)):
        key = f"{guest}_boot_exits"
        if res.get(key) is None:
            row(title, na(key))
            continue
        s = details[f"{guest}_boot"]["tcg"]
        row(title, f"total {fmt_sum(s['exits_total'], 0)}", f"goal < {goal:,}" if goal else "")
        for reason, n in s["exits_by_reason"].items():
            if n:
                out.append(f"      {reason:<10} {fmt_num(n, 0):>10}  "
                           f"{EXIT_REASONS.get(reason, '')}")
        if guest == "linux":
            bench_cost.exits_rows(sys.modules[__name__], res, row, out, na)
    out.append("")

    smp_table(res, out, row, na)

    out.append("Cost of one exit (tests/guests/bench_exits.asm: each loop minus the NOP loop, "
               "per round trip)")
    row("", *LOOPS, f"goal: cpuid < {GOAL_CPUID_HOST_INSNS} insns")
    tcg = details.get("exit_cost_tcg", {})
    if all(res.get(f"{loop}_exit_tsc_cycles_tcg") is None for loop in LOOPS):
        row("QEMU TCG, host TSC cycles", na("cpuid_exit_tsc_cycles_tcg"))
    else:
        row("QEMU TCG, host TSC cycles (emulation)", *(fmt_sum(tcg.get(loop), 0) for loop in LOOPS))
        mhz = m["cpu_mhz"]
        if mhz:
            row(f"  the same in us at {mhz:.0f} MHz",
                *(fmt_sum(scaled(tcg.get(loop), 1 / mhz), 1) for loop in LOOPS))
    bochs = details.get("exit_cost_bochs", {})
    for vendor, model in BOCHS_MODELS.items():
        d = bochs.get(vendor, {})
        name = f"Bochs {model}, {vendor.upper()}: host insns"
        if all(res.get(f"{loop}_exit_host_instructions_{vendor}") is None for loop in LOOPS):
            row(name, na(f"cpuid_exit_host_instructions_{vendor}"))
            continue
        row(name, *(fmt_sum(d.get(loop), 0) for loop in LOOPS))
    ticks = [f"{v.upper()} {d['ticks_per_nop_round']:.4f}" for v, d in bochs.items()
             if d.get("ticks_per_nop_round")]
    if ticks:
        out.append("  (Bochs' TSC counts instructions: TSC ticks per NOP round of 4 instructions, "
                   "the loop's rdtsc included: " + ", ".join(ticks) + ")")
    for vendor, prof in details.get("cpuid_exit_profile", {}).items():
        if "error" in prof:
            out.append(f"  one CPUID exit traced, {vendor.upper()}: not available: {prof['error']}")
            continue
        funcs = ", ".join(f"{n} {c}" for n, c in prof["by_function"].items())
        out.append(f"  one CPUID exit traced, {vendor.upper()} ({prof['host_instructions']} host "
                   f"instructions): {funcs}")
    out.append("")

    out.append("Idle: host CPU of the QEMU process, Linux at its shell "
               f"(~{res['details']['idle_seconds']:.0f} s"
               " window)")
    for side in ("keel", "bare"):
        key = f"linux_idle_cpu_percent_{side}"
        s = details.get("linux_idle", {}).get("tcg", {}).get(f"{side}_summary")
        row(f"{'Keel' if side == 'keel' else 'bare'}, QEMU TCG (% of one CPU)",
            fmt_sum(s, 1) if s else na(key))
    out.append("")

    out.append("Sizes")
    row("MBR code (build/boot/mbr-code.bin)", fmt_size(res, "mbr_code_bytes"), "of 440")
    sectors = makefile_number("STAGE2_SECTORS")
    row("stage 2 (build/stage2.bin)", fmt_size(res, "stage2_bytes"),
        f"of {sectors * 512:,} ({sectors} sectors)" if sectors else "")
    row("hypervisor image (build/KEEL.BIN)", fmt_size(res, "hv_image_bytes"))
    row("EFI loader (build/BOOTX64.EFI)", fmt_size(res, "efi_loader_bytes"))
    rr = res.get("reserved_ram_bytes")
    row("RAM reserved for Keel (its region)",
        f"{rr >> 20} MiB ({rr:,} bytes)" if rr else na("reserved_ram_bytes"))
    loc = res["lines_of_code"]
    out.append("  lines of code (non-blank, working tree): " +
               ", ".join(f"{d} {v['lines']:,}" for d, v in loc.items()) +
               f"; total {sum(v['lines'] for v in loc.values()):,}")
    return "\n".join(out)


def smp_table(res, out, row, na):
    """The two-CPU rows of the table."""
    details = res["details"]
    out.append(f"Linux on {SMP_CPUS} CPUs, QEMU TCG")
    row("", "Keel", "bare", "Keel / bare")
    s = details.get("linux_boot_2cpus")
    if s and s.get("ratio_summary"):
        row("boot to the marker (s)", fmt_sum(s["keel_summary"]), fmt_sum(s["bare_summary"]),
            fmt_sum(s["ratio_summary"], 3))
    else:
        row("boot to the marker (s)", na("linux_boot_ratio_2cpus"))
    b = details.get("linux_busy_2cpus")
    if b and b.get("ratio_summary"):
        row("two busy shells at once, wall (s)", fmt_sum(summary(b["keel_wall"])),
            fmt_sum(summary(b["bare_wall"])), fmt_sum(b["ratio_summary"], 3))
        row("  their user time, all CPUs (s)", fmt_sum(summary(b["keel_user"])),
            fmt_sum(summary(b["bare_user"])))
    else:
        row("two busy shells at once", na("linux_busy_ratio_2cpus"))
    out.append("")
    out.append("Exits per Linux boot, by reason and by CPU")
    rows = []
    if s and s.get("exits_total"):
        rows.append((f"QEMU TCG (AMD-V), {SMP_CPUS} CPUs", s["exits_by_reason"],
                     s.get("exits_by_cpu", {}), int(s["exits_total"]["median"])))
    else:
        row(f"QEMU TCG (AMD-V), {SMP_CPUS} CPUs", na("linux_boot_exits_2cpus"))
    bochs = details.get("linux_boot_bochs", {})
    for vendor, model in BOCHS_MODELS.items():
        for cpus in (1, 2):
            d = bochs.get(f"{vendor}-{cpus}")
            name = f"Bochs {model} ({vendor.upper()}), {cpus} CPU{'s' * (cpus > 1)}"
            if d is None:
                row(name, na(f"linux_boot_exits_{vendor}_bochs" + ("_2cpus" if cpus == 2 else "")))
                continue
            rows.append((name, d["exits_by_reason"], d["exits_by_cpu"],
                         sum(d["exits_by_reason"].values())))
    for name, by_reason, by_cpu, total in rows:
        goal = f"goal < {GOAL_LINUX_EXITS:,}" if "VMX" in name else ""
        row(name, f"total {total:,}", goal)
        reasons = [r for r, n in by_reason.items() if n]
        out.append("      " + "".join(f"{r:>10}" for r in ["", *reasons]))
        out.append("      " + f"{'all':>10}" + "".join(f"{by_reason[r]:>10,}" for r in reasons))
        for cpu, d in sorted(by_cpu.items()):
            out.append("      " + f"{'cpu ' + str(cpu):>10}" +
                       "".join(f"{d.get(r, 0):>10,}" for r in reasons))
    out.append("")


def makefile_number(name):
    """NAME := N from the Makefile (a limit the build checks), or None."""
    try:
        m = re.search(rf"^{name}\s*:?=\s*(\d+)\s*$", (ROOT / "Makefile").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def scaled(s, factor):
    if not s:
        return None
    return {k: (v * factor if k in ("median", "min", "max") else v) for k, v in s.items()}


def fmt_size(res, key):
    v = res.get(key)
    return f"{v:,} bytes" if v is not None else f"not available: {res['notes'].get(key)}"


# ---- the chart ------------------------------------------------------------------------

def _esc(s):
    return html.escape(str(s), quote=True)


def chart(res):
    """An SVG of three panels: boot-time ratios, exits per boot by reason,
    host instructions per exit."""
    W, pad, label_w = 900, 20, 250
    bar_w = W - label_w - 2 * pad - 90
    parts = []
    y = 40

    def text(x, yy, s, size=12, anchor="start", weight="normal", fill="#222"):
        parts.append(f'<text x="{x:.1f}" y="{yy:.1f}" font-size="{size}" text-anchor="{anchor}" '
                     f'font-weight="{weight}" fill="{fill}">{_esc(s)}</text>')

    def title(s):
        nonlocal y
        y += 14
        text(pad, y, s, 15, weight="bold")
        y += 14

    def hbar(label, value, vmax, color, lo=None, hi=None, shown=None, na_text=None):
        nonlocal y
        text(pad + label_w - 8, y + 13, label, anchor="end")
        x0 = pad + label_w
        if value is None:
            text(x0 + 4, y + 13, na_text or "not available", 11, fill="#999")
        else:
            wpx = max(1.0, bar_w * value / vmax)
            parts.append(f'<rect x="{x0}" y="{y + 2}" width="{wpx:.1f}" height="14" '
                         f'fill="{color}"/>')
            if lo is not None and hi is not None and hi > lo:
                xl, xh = x0 + bar_w * lo / vmax, x0 + bar_w * hi / vmax
                parts.append(f'<line x1="{xl:.1f}" y1="{y + 9}" x2="{xh:.1f}" y2="{y + 9}" '
                             f'stroke="#000" stroke-width="1.5"/>')
                for xx in (xl, xh):
                    parts.append(f'<line x1="{xx:.1f}" y1="{y + 4}" x2="{xx:.1f}" y2="{y + 14}" '
                                 f'stroke="#000" stroke-width="1.5"/>')
            text(x0 + max(wpx, bar_w * (hi or 0) / vmax) + 6, y + 13,
                 shown if shown is not None else fmt_num(value), 11)
        y += 20

    def goal_line(value, vmax, top, label):
        x = pad + label_w + bar_w * value / vmax
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{y}" stroke="#c00" '
                     f'stroke-dasharray="4 3"/>')
        text(x, top - 2, label, 10, anchor="middle", fill="#c00")

    def short(key):
        n = res["notes"].get(key, "not available")
        n = n.removeprefix("not available: ")
        return "not available: " + (n if len(n) <= 70 else n[:67] + "...")

    m = res["machine"]
    text(pad, 22, f"Keel benchmark {res['date']}: {m['nproc']} CPUs, {m['cpu_model']}"
         + (" (--quick)" if res["quick"] else f" ({res['runs']} runs, median with min-max)"),
         13, weight="bold")

    # Boot ratios.
    title("Boot to the marker: Keel / bare (lower is better; 1 = no cost)")
    rows = []
    for guest, gname in (("linux", "Linux"), ("freedos", "FreeDOS")):
        for accel, aname in (("tcg", "TCG"), ("kvm", "KVM")):
            key = f"{guest}_boot_ratio" + ("" if accel == "tcg" else "_kvm")
            s = res["details"].get(f"{guest}_boot", {}).get(accel, {}) or {}
            rs = s.get("ratio_summary")
            rows.append((f"{gname}, QEMU {aname}", res.get(key), rs, key))
    lb = res["details"].get("linux_boot", {})
    rows += [("Linux, Keel / SYSLINUX, IDE", res.get("linux_boot_ratio_syslinux"),
              (lb.get("tcg") or {}).get("syslinux_ratio_summary"), "linux_boot_ratio_syslinux"),
             ("Linux, Keel / SYSLINUX, virtio", res.get("linux_boot_ratio_syslinux_virtio"),
              (lb.get("virtio") or {}).get("syslinux_ratio_summary"),
              "linux_boot_ratio_syslinux_virtio"),
             ("Linux workload (guest's speed)", res.get("linux_workload_ratio"),
              (res["details"].get("linux_workload") or {}).get("ratio_summary"),
              "linux_workload_ratio")]
    vmax = max([GOAL_BOOT_RATIO * 1.5] + [(r[2] or {}).get("max", 0) * 1.1 for r in rows])
    have = any(r[1] is not None for r in rows)
    y += 22 if have else 0
    top = y
    for label, v, rs, key in rows:
        hbar(label, v, vmax, "#4a7fb5", rs and rs["min"], rs and rs["max"],
             None if v is None else f"{v:.3f}", short(key))
    if have:
        goal_line(1.0, vmax, top - 10, "1.0")
        goal_line(GOAL_BOOT_RATIO, vmax, top, f"goal {GOAL_BOOT_RATIO:.2f}")
    y += 10

    # Boot seconds, each side.
    title("Boot to the marker, seconds from QEMU's start (median, min-max)")
    rows = []
    for guest, gname in (("linux", "Linux"), ("freedos", "FreeDOS")):
        for accel, aname in (("tcg", "TCG"), ("kvm", "KVM")):
            s = res["details"].get(f"{guest}_boot", {}).get(accel)
            if s is None and accel == "kvm":
                continue
            s = s or {}
            for side, color in (("keel", "#4a7fb5"), ("bare", "#9bbbd9")):
                why = s.get(f"{side}_unavailable") or "not measured"
                rows.append((f"{gname}, QEMU {aname}, {side}", s.get(f"{side}_summary"), color,
                             "not available: " + (why if len(why) <= 70 else why[:67] + "...")))
    vmax = max([1.0] + [r[1]["max"] * 1.1 for r in rows if r[1]])
    for label, sm, color, why in rows:
        hbar(label, sm and sm["median"], vmax, color, sm and sm["min"], sm and sm["max"],
             sm and f"{sm['median']:.2f} s", why)
    y += 10

    # Exits by reason.
    title("Exits per boot, by reason (median of the runs)")
    for guest, gname, goal in (("linux", "Linux", GOAL_LINUX_EXITS), ("freedos", "FreeDOS", None)):
        by = res.get(f"{guest}_boot_exits_by_reason")
        total = res.get(f"{guest}_boot_exits")
        if not by:
            hbar(f"{gname}: total", None, 1, "#000", na_text=short(f"{guest}_boot_exits"))
            continue
        items = [(k, v) for k, v in by.items() if v]
        vmax = max([total or 1] + ([goal] if goal else [])) * 1.1
        y += 12 if goal else 0
        top = y
        hbar(f"{gname}: total", total, vmax, "#7a5195")
        for k, v in sorted(items, key=lambda kv: -kv[1]):
            hbar(f"{k}", v, vmax, "#bc5090")
        if goal:
            goal_line(goal, vmax, top, f"goal < {goal:,}")
        y += 6
    y += 6

    # Host instructions per exit.
    title("Host instructions per exit (Bochs; loop minus NOP loop)")
    vals = [res.get(f"{loop}_exit_host_instructions_{v}") for v in BOCHS_MODELS for loop in LOOPS]
    vmax = max([GOAL_CPUID_HOST_INSNS * 1.2] + [v * 1.1 for v in vals if v]) or 1
    y += 12 if any(vals) else 0
    top = y
    for vendor in BOCHS_MODELS:
        for loop in LOOPS:
            key = f"{loop}_exit_host_instructions_{vendor}"
            hbar(f"{loop}, {vendor.upper()} ({BOCHS_MODELS[vendor]})", res.get(key), vmax,
                 "#ef5675" if vendor == "vmx" else "#ffa600", na_text=short(key))
    if any(vals):
        goal_line(GOAL_CPUID_HOST_INSNS, vmax, top, f"CPUID goal < {GOAL_CPUID_HOST_INSNS}")
    y += 10

    # One CPUID exit by function.
    profiles = {v: p for v, p in res["details"].get("cpuid_exit_profile", {}).items()
                if "error" not in p}
    if profiles:
        title("One CPUID exit, host instructions by function (Bochs trace)")
        vmax = max(max(p["by_function"].values()) for p in profiles.values()) * 1.15
        for vendor, prof in profiles.items():
            items = list(prof["by_function"].items())
            shown, rest = items[:8], sum(c for _, c in items[8:])
            for name, c in shown + ([("(other functions)", rest)] if rest else []):
                hbar(f"{vendor.upper()}: {name}", c, vmax,
                     "#ef5675" if vendor == "vmx" else "#ffa600")
            y += 6
    y += 20

    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{y}" '
            f'viewBox="0 0 {W} {y}" font-family="sans-serif">'
            f'<rect width="100%" height="100%" fill="#fff"/>')
    return head + "\n" + "\n".join(parts) + "\n</svg>\n"


# ---- main ------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="one run of each, 10,000 rounds per exit loop, a 2 s idle window")
    ap.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    ap.add_argument("--idle-seconds", type=float, default=None,
                    help="idle window (default 10 s, 2 s with --quick)")
    ap.add_argument("--out", type=Path, default=BUILD / "bench",
                    help="where results.json and chart.svg go (default build/bench)")
    ap.add_argument("--keep", action="store_true", help="keep the runs' files (printed)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if not keel.DISK_IMG.exists():
        say(f"{keel.DISK_IMG} is missing: run `make` first (figures that need it will be null)")

    t0 = time.monotonic()
    res = measure(args)
    res["details"]["bench_seconds"] = round(time.monotonic() - t0, 1)
    res["machine"]["loadavg_end"] = loadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(res, indent=2, sort_keys=False) + "\n")
    (args.out / "chart.svg").write_text(chart(res))
    print(table(res))
    print(f"\nwritten: {args.out / 'results.json'}, {args.out / 'chart.svg'} "
          f"({res['details']['bench_seconds']:.0f} s)"
          + (f"; runs kept in {res['details']['workdir']}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
