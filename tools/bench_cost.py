"""What Keel costs where users feel it, for `make bench` (tools/bench.py;
docs/performance.md):

  SYSLINUX       the same kernel, initrd and command line booted by Debian's
                 SYSLINUX from a copy of the same disk image (SYSLINUX's MBR,
                 `syslinux --install` on partition 1), same controller: the
                 boot loader a user would run instead of Keel.
  workload       a CPU- and memory-bound job inside the Linux guest (gzip and
                 sha256sum of keelwork=N MiB in tmpfs, tools/mkinitramfs.sh),
                 timed on the host between its two console lines, Keel and
                 bare -kernel.
  Keel's start   the `keel: boot tsc` line: the TSC from power-on to stage 2,
                 the menu, the files read, the hypervisor's entry and the first
                 guest instruction (QEMU TCG: host ticks; Bochs: instructions),
                 and SYSLINUX's under Bochs to the kernel's first instruction.
  Keel's RAM     `keel: region use ...`: the region less the files.
  standard kernel  exits per boot of Debian's linux-image-amd64 with the same
                 initramfs, by reason and I/O port, on QEMU's default CPU (an
                 AMD family 0Fh) and on an EPYC (family 17h).

The functions take B, tools/bench.py's own module (its runners, images and
statistics), as their first argument.
"""

import ctypes
import mmap
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

GOAL_SYSLINUX_RATIO = 1.05
GOAL_WORKLOAD_RATIO = 1.02
GOAL_KEEL_RAM = 4 << 20
GOAL_STD_EXITS = 2000

SYSLINUX_MBR = Path("/usr/lib/syslinux/mbr/mbr.bin")
PART1_OFFSET = 2048 * 512
WORK_BEGIN, WORK_END = "KEEL-WORK-BEGIN", "KEEL-WORK-END"
WORK_MIB, WORK_MIB_QUICK = 64, 4
WORK_REPS, WORK_PAIRS = 3, 3     # the job three times a boot; three pairs of boots
STD_CPU_MODERN = "EPYC"          # family 17h: no AMD GART, so no aperture scan

KEYS = ("linux_boot_ratio_virtio", "linux_boot_ratio_syslinux",
        "linux_boot_ratio_syslinux_virtio", "linux_workload_ratio", "keel_ram_bytes",
        "keel_start_seconds", "keel_start_keel_seconds", "linux_std_boot_exits",
        "linux_std_boot_exits_epyc")

TSC_RE = re.compile(r"keel: boot tsc stage2=(\d+) menu=(\d+) loaded=(\d+) hv=(\d+) guest=(\d+)")
USE_RE = re.compile(r"keel: region use image=(\d+) KiB handoff=(\d+) KiB tables=(\d+) KiB "
                    r"per-cpu=(\d+) KiB cpus=(\d+) files=(\d+) KiB free=(\d+) KiB")
REGION_RE = re.compile(r"keel: region base=0x[0-9a-f]+ size=(\d+) MiB")
IO_RE = re.compile(r"^keel: io exits (.*)$", re.M)
IO_ITEM_RE = re.compile(r"(in|out):(0x[0-9a-f]+)/(\d)=(\d+)")
PHASES = (("bios_mbr", "BIOS and MBR"), ("stage2", "stage 2 to the menu"),
          ("read", "stage 2 reads KEEL.BIN and the files"),
          ("to_hv", "stage 2 to the hypervisor"), ("hv", "Keel's start to the guest"))


# ---- what Keel's log says ---------------------------------------------------------------

def boot_tsc(log):
    """{"stage2": .., "guest": ..} from `keel: boot tsc`, or None."""
    m = TSC_RE.search(log)
    if not m:
        return None
    return dict(zip(("stage2", "menu", "loaded", "hv", "guest"), map(int, m.groups())))


def phases(t):
    """The boot's phases in TSC ticks (PHASES) from boot_tsc()."""
    return {"bios_mbr": t["stage2"], "stage2": t["menu"] - t["stage2"],
            "read": t["loaded"] - t["menu"], "to_hv": t["hv"] - t["loaded"],
            "hv": t["guest"] - t["hv"], "total": t["guest"], "keel": t["guest"] - t["stage2"]}


def region_use(log):
    """{"region": bytes, "image": .., "free": .., "keel": region - files} or None."""
    m, r = USE_RE.search(log), REGION_RE.search(log)
    if not m or not r:
        return None
    kib = dict(zip(("image", "handoff", "tables", "per_cpu", "cpus", "files", "free"),
                   map(int, m.groups())))
    out = {k: v << 10 for k, v in kib.items() if k != "cpus"}
    out["cpus"] = kib["cpus"]
    out["region"] = int(r[1]) << 20
    out["keel"] = out["region"] - out["files"]
    return out


def io_ports(log):
    """{"out:0xcf8/4": n, ...} from the first guest's `keel: io exits`, or None."""
    m = IO_RE.search(log)
    if not m:
        return None
    return {f"{d}:{p}/{s}": int(n) for d, p, s, n in IO_ITEM_RE.findall(m[1])}


def series_fields(others):
    out = {"boot_tsc": [], "region_use": None, "io_ports": []}
    for label, _ in others:
        out.update({f"{label}_seconds": [], f"{label}_ratios": [], f"{label}_unavailable": None})
    return out


def keel_run_figures(log, out):
    """A Keel run's boot timestamps, region use and I/O ports, into OUT."""
    t = boot_tsc(log)
    if t:
        out["boot_tsc"].append(t)
    out["region_use"] = out["region_use"] or region_use(log)
    p = io_ports(log)
    if p is not None:
        out["io_ports"].append(p)


def median_ports(lists):
    keys = sorted({k for p in lists for k in p})
    by = {k: statistics.median([p.get(k, 0) for p in lists]) for k in keys}
    return dict(sorted(((k, int(v)) for k, v in by.items()), key=lambda kv: -kv[1]))


# ---- SYSLINUX on a copy of the same disk image ---------------------------------------------

def syslinux_missing():
    if shutil.which("syslinux") is None:
        return "syslinux not installed (apt-get install syslinux)"
    if not SYSLINUX_MBR.exists():
        return f"{SYSLINUX_MBR} missing (apt-get install syslinux-common)"
    return None


def syslinux_image(B, keel_img, out_dir, cmdline):
    """A copy of KEEL_IMG (a Keel image with BZIMAGE and INITRD) that boots
    them with SYSLINUX instead: its MBR boots the active partition 1, whose
    boot record and ldlinux.* `syslinux --install` writes, and SYSLINUX.CFG
    names the same files and command line. (path, None) or (None, why)."""
    why = syslinux_missing()
    if why:
        return None, why
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    img = B.keel.copy_image(keel_img, out_dir / "syslinux.img")
    with open(img, "r+b") as f:
        mbr = bytearray(f.read(512))
        mbr[:440] = SYSLINUX_MBR.read_bytes()[:440]
        mbr[446] = 0x80                 # partition 1 active (it already is)
        f.seek(0)
        f.write(mbr)
    r = subprocess.run(["syslinux", "--install", "--offset", str(PART1_OFFSET), str(img)],
                       capture_output=True, text=True)
    if r.returncode:
        return None, f"syslinux --install failed: {(r.stderr or r.stdout).strip()[:200]}"
    cfg = out_dir / "SYSLINUX.CFG"
    cfg.write_text("DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL BZIMAGE\n"
                   f"  INITRD INITRD\n  APPEND {cmdline}\n")
    r = subprocess.run(["mcopy", "-o", "-i", f"{img}@@{PART1_OFFSET}", str(cfg), "::SYSLINUX.CFG"],
                       env=dict(os.environ, MTOOLS_SKIP_CHECK="1"), capture_output=True, text=True)
    if r.returncode:
        return None, f"mcopy SYSLINUX.CFG failed: {r.stderr.strip()[:200]}"
    return img, None


def syslinux_args(img, iface, mem):
    return ["-m", mem, "-drive", f"file={img},format=raw,if={iface}"]


# ---- after a boot series: SYSLINUX, Keel's start, Keel's RAM --------------------------------

def host_tsc_hz(res):
    """The host's TSC rate, which QEMU TCG's guests count in: measured
    against the wall clock over 0.2 s (RDTSC from a page of machine code),
    else /proc/cpuinfo's MHz; remembered in res["machine"]["tsc_mhz"]."""
    m = res["machine"]
    if m.get("tsc_mhz") is None:
        try:
            # rdtsc; shl rdx, 32; or rax, rdx; ret
            page = mmap.mmap(-1, mmap.PAGESIZE,
                             prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
            page.write(bytes.fromhex("0f3148c1e2204809d0c3"))
            rdtsc = ctypes.CFUNCTYPE(ctypes.c_uint64)(
                ctypes.addressof(ctypes.c_char.from_buffer(page)))
            t0, c0 = time.perf_counter(), rdtsc()
            time.sleep(0.2)
            t1, c1 = time.perf_counter(), rdtsc()
            m["tsc_mhz"] = round((c1 - c0) / (t1 - t0) / 1e6, 1)
        except (OSError, ValueError, AttributeError):
            m["tsc_mhz"] = m.get("cpu_mhz")
    return (m["tsc_mhz"] or 0) * 1e6


def record_series(B, res, accel, s):
    """Keys from a Linux boot series (accel "tcg" = IDE, "virtio")."""
    notes, details = res["notes"], res["details"]
    if accel not in ("tcg", "virtio"):
        return
    suffix = "" if accel == "tcg" else "_virtio"
    if "syslinux_ratios" in s:
        s["syslinux_summary"] = B.summary(s["syslinux_seconds"])
        s["syslinux_ratio_summary"] = B.summary(s["syslinux_ratios"])
        key = f"linux_boot_ratio_syslinux{suffix}"
        if s["syslinux_ratio_summary"]:
            res[key] = round(s["syslinux_ratio_summary"]["median"], 3)
        else:
            notes[key] = "not available: " + (s.get("syslinux_unavailable") or
                                               s["keel_unavailable"] or "?")
    hz = host_tsc_hz(res)
    if s["boot_tsc"] and hz:
        ph = [phases(t) for t in s["boot_tsc"]]
        s["start_seconds"] = {k: B.summary([p[k] / hz for p in ph])
                              for k in (*(p for p, _ in PHASES), "total", "keel")}
        if accel == "tcg":
            res["keel_start_seconds"] = round(s["start_seconds"]["total"]["median"], 3)
            res["keel_start_keel_seconds"] = round(s["start_seconds"]["keel"]["median"], 3)
    elif accel == "tcg":
        why = "no `keel: boot tsc` line in Keel's log" if hz else \
            "the host's TSC rate is unknown"
        notes["keel_start_seconds"] = notes["keel_start_keel_seconds"] = \
            "not available: " + (s["keel_unavailable"] or why)
    if s["io_ports"]:
        s["io_ports_median"] = median_ports(s["io_ports"])
        if accel == "tcg":
            res["linux_boot_io_exits_by_port"] = s["io_ports_median"]
    if accel == "tcg" and s.get("region_use"):
        res["keel_ram_bytes"] = s["region_use"]["keel"]
        details["region_use"] = s["region_use"]


def keel_ram_fallback(res, log):
    """keel_ram_bytes from a run without Linux (the exit-cost guest)."""
    if res.get("keel_ram_bytes") is None:
        u = region_use(log)
        if u:
            res["keel_ram_bytes"] = u["keel"]
            res["details"]["region_use"] = u


# ---- the guest's own speed ---------------------------------------------------------------------

def workload(B, res, work, runs, quick, kernel, initrd):
    """Pairs of boots, Keel then bare -kernel, each running the keelwork
    job WORK_REPS times. A job's figure is the CPU time the QEMU process
    spent on it (utime + stime between the console lines: what emulating
    the guest's work costs, which other processes on the machine barely
    move), a boot's its fastest job, a pair's ratio Keel's over bare's.
    The wall-clock seconds are kept beside them."""
    notes, details = res["notes"], res["details"]
    mib = WORK_MIB_QUICK if quick else WORK_MIB
    reps, pairs = (1, 1) if quick else (WORK_REPS, min(runs, WORK_PAIRS))
    cmdline = f"{B.LINUX_CMDLINE} {B.LINUX_STOP_ARG} keelwork={mib}x{reps}"
    img = B.linux_image(work, "workload-img", kernel, initrd, cmdline)
    sides = {"keel": ["-m", B.LINUX_MEM, "-drive", f"file={img},format=raw,if=ide"],
             "bare": ["-m", B.LINUX_MEM, "-kernel", str(kernel), "-initrd", str(initrd),
                      "-append", cmdline]}
    marks = [(f"{WORK_BEGIN} {i}/{reps} ", f"{WORK_END} {i}/{reps} ") for i in range(1, reps + 1)]
    d = details["linux_workload"] = {"mib": mib, "reps": reps, "measure": "QEMU's CPU seconds",
                                     "keel_seconds": [], "bare_seconds": [],
                                     "keel_wall_seconds": [], "bare_wall_seconds": [],
                                     "keel_runs": [], "bare_runs": [], "ratios": [],
                                     "wall_ratios": [], "unavailable": None}
    for i in range(pairs):
        got, wall = {}, {}
        for side, args in sides.items():
            B.say(f"linux workload ({mib} MiB x {reps}) run {i + 1}/{pairs}: {side}")
            r = B.run_qemu(args, Path(work) / f"workload-{side}-{i}", marks[-1][1], 1800,
                           watch=[m for pair in marks for m in pair])
            cpu = [r.marks_cpu[e] - r.marks_cpu[b] for b, e in marks
                   if b in r.marks_cpu and e in r.marks_cpu]
            walls = [r.marks[e] - r.marks[b] for b, e in marks if b in r.marks and e in r.marks]
            if len(cpu) < reps:
                why = B.keel_failure(r, WORK_END) if side == "keel" else \
                    B.bare_failure(r, WORK_END)
                if "KEEL-LINUX-MARKER" in r.text() and WORK_BEGIN not in r.text():
                    why = (f"the initramfs does not know keelwork= ({B.rel(initrd)} predates "
                           "it: `make linux` rebuilds it)")
                d["unavailable"] = f"{side}: {why}"
                break
            got[side], wall[side] = min(cpu), min(walls)
            d[f"{side}_runs"].append(cpu)
            d[f"{side}_seconds"].append(got[side])
            d[f"{side}_wall_seconds"].append(wall[side])
        if d["unavailable"]:
            break
        d["ratios"].append(got["keel"] / got["bare"])
        d["wall_ratios"].append(wall["keel"] / wall["bare"])
    for k in ("keel", "bare", "ratio", "wall_ratio"):
        d[f"{k}_summary"] = B.summary(d[f"{k}s" if "ratio" in k else f"{k}_seconds"])
    if d["ratio_summary"]:
        res["linux_workload_ratio"] = round(d["ratio_summary"]["median"], 3)
    else:
        notes["linux_workload_ratio"] = "not available: " + (d["unavailable"] or "not measured")


# ---- Debian's standard kernel: exits per boot --------------------------------------------------

def std_kernel(B):
    p = Path(os.environ.get("LINUX_STD_BZIMAGE") or B.BUILD / "linux-std" / "vmlinuz")
    return p if p.exists() else None


def std_kernel_exits(B, res, work, runs, initrd):
    """Keel boots Debian's standard kernel with the same initramfs: exits
    by reason and by I/O port, on QEMU_CPU (runs) and on an EPYC (one)."""
    notes, details = res["notes"], res["details"]
    kernel = std_kernel(B)
    d = details["linux_std_boot"] = {}
    if kernel is None or initrd is None:
        why = ("build/linux-std/vmlinuz missing (`make linux-std` fetches Debian's "
               "linux-image-amd64; LINUX_STD_BZIMAGE= names another)") if kernel is None else \
            "no initramfs (`make linux`)"
        notes["linux_std_boot_exits"] = notes["linux_std_boot_exits_epyc"] = \
            f"not available: {why}"
        return
    d["kernel"] = str(kernel)
    cmdline = f"{B.LINUX_CMDLINE} {B.LINUX_STOP_ARG}"
    img = B.linux_image(work, "linux-std-img", kernel, initrd, cmdline)
    args = ["-m", B.LINUX_MEM, "-drive", f"file={img},format=raw,if=ide"]
    for cpu, key, n in ((B.QEMU_CPU, "linux_std_boot_exits", min(runs, 3)),
                        (STD_CPU_MODERN, "linux_std_boot_exits_epyc", 1)):
        e = d[cpu] = {"cpu": cpu, "exits": [], "io_ports": [], "unavailable": None}
        for i in range(n):
            B.say(f"linux standard kernel, -cpu {cpu}, run {i + 1}/{n}: Keel")
            r = B.run_qemu(args, Path(work) / f"linux-std-{cpu}-{i}", B.LINUX_MARKER, 300,
                           after_marker="exit", cpu=cpu)
            _, exits = B.parse_exits(r.log)
            if exits is None:
                e["unavailable"] = B.keel_failure(r, B.LINUX_MARKER) if r.marker_time is None \
                    else "no `keel: exits` line after the guest stopped"
                break
            e["exits"].append(exits)
            e["io_ports"].append(io_ports(r.log) or {})
        e["by_reason"], e["total"] = B.exits_summary(e["exits"])
        if e["total"]:
            res[key] = int(e["total"]["median"])
            e["io_ports_median"] = median_ports(e["io_ports"])
        else:
            notes[key] = "not available: " + (e["unavailable"] or "not measured")
    res["linux_std_boot_exits_by_reason"] = d[B.QEMU_CPU].get("by_reason")
    res["linux_std_boot_io_exits_by_port"] = d[B.QEMU_CPU].get("io_ports_median")


# ---- Keel's start under Bochs, and SYSLINUX's -------------------------------------------------

BOCHS_STOP_RE = re.compile(r"Next at t=(\d+)\s*\n\(0\) \[0x0*100000\] [0-9a-f]{4}:[0-9a-f]+ "
                           r"\([^)]*\): (\w+)")


def bochs_syslinux(B, img, work, model):
    """Instructions from power-on to the kernel's first instruction under
    SYSLINUX: Bochs' debugger stops at linear 0x100000, where SYSLINUX's
    own code runs first and then the bzImage's startup_32 (its first
    instruction is CLD). Returns (instructions, None) or (None, why)."""
    d = Path(work) / f"bochs-syslinux-{model}"
    d.mkdir(parents=True, exist_ok=True)
    disk = B.keel.copy_image(img, d / "disk.img")
    text = (B.keel.TESTS / "bochsrc.in").read_text()
    for key, val in {"MEGS": 1024, "CPU": model, "IMAGE": disk, "COM1": d / "com1.log",
                     "LOG": d / "bochs.log", "BIOS": B.keel.BOCHS_BIOS,
                     "VGABIOS": B.keel.BOCHS_VGABIOS}.items():
        text = text.replace(f"@{key}@", str(val))
    (d / "bochsrc").write_text(text)
    (d / "commands").write_text("lb 0x100000\n" + "c\n" * 3 + "q\n")
    try:
        r = subprocess.run([B.keel.BOCHS, "-q", "-f", str(d / "bochsrc"), "-rc",
                            str(d / "commands")], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, errors="replace", cwd=d, timeout=300)
        out = r.stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
    finally:
        lock = Path(str(disk) + ".lock")
        if lock.exists():
            lock.unlink()
    for t, insn in BOCHS_STOP_RE.findall(out):
        if insn == "cld":
            return int(t), None
    return None, "Bochs never stopped at the kernel's first instruction (CLD at 0x100000)"


def bochs_start(B, res, work, keel_img, syslinux_img):
    """Keel's start in instructions under both Bochs models (side by side),
    and SYSLINUX's under the AMD one. Deterministic, unlike seconds."""
    details = res["details"]
    out = details["keel_start_bochs"] = {}
    why = B.keel.bochs_missing()
    if why:
        out["unavailable"] = why
        return

    def keel_side(vendor, model):
        img = B.keel.copy_image(keel_img, Path(work) / f"bochs-start-{vendor}.img")
        r = B.keel.run_bochs(img, cpu_model=model, timeout=600, megs=1024,
                             stop_at="keel: boot tsc")
        t = boot_tsc(r.log)
        out[vendor] = {"model": model, **phases(t)} if t else \
            {"model": model, "unavailable": "no `keel: boot tsc` line under Bochs"}

    def syslinux_side(model):
        n, why = bochs_syslinux(B, syslinux_img, work, model) if syslinux_img else \
            (None, "no SYSLINUX image")
        out["syslinux"] = {"model": model, "total": n} if n else \
            {"model": model, "unavailable": why}

    B.say("Keel's start under Bochs, both models, and SYSLINUX's")
    threads = [threading.Thread(target=keel_side, args=(v, m))
               for v, m in B.BOCHS_MODELS.items()]
    threads.append(threading.Thread(target=syslinux_side, args=(B.BOCHS_MODELS["svm"],)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---- the table ------------------------------------------------------------------------------

def fmt_ports(ports, limit=6):
    if not ports:
        return "none"
    items = list(ports.items())
    text = ", ".join(f"{k} {v:,}" for k, v in items[:limit])
    return text + (f", {len(items) - limit} more" if len(items) > limit else "")


def table(B, res, row, out, na):
    """The rows of what Keel costs, after the boot-time rows."""
    details, fs = res["details"], B.fmt_sum
    lb = details.get("linux_boot", {})

    out.append("Beside SYSLINUX: the same kernel, initrd and command line from a copy of the "
               "same disk image (seconds to the marker)")
    row("", "Keel", "SYSLINUX", "Keel / SYSLINUX", f"goal <= {GOAL_SYSLINUX_RATIO:.2f}")
    for accel, label, key in (("tcg", "IDE", "linux_boot_ratio_syslinux"),
                              ("virtio", "virtio-blk", "linux_boot_ratio_syslinux_virtio")):
        s = lb.get(accel) or {}
        if res.get(key) is None:
            row(f"Linux, QEMU TCG, {label}", na(key))
            continue
        row(f"Linux, QEMU TCG, {label}", fs(s.get("keel_summary")),
            fs(s.get("syslinux_summary")), fs(s.get("syslinux_ratio_summary"), 3))
    out.append("")

    out.append("The guest's own speed: gzip and sha256sum in tmpfs inside Linux (the QEMU "
               "process's CPU seconds for the job, best of the boot's jobs)")
    w = details.get("linux_workload") or {}
    row("", "Keel", "bare", "Keel / bare", f"goal <= {GOAL_WORKLOAD_RATIO:.2f}")
    if res.get("linux_workload_ratio") is None:
        row("Linux workload", na("linux_workload_ratio"))
    else:
        row(f"Linux workload, {w['mib']} MiB x {w['reps']}, QEMU TCG", fs(w["keel_summary"]),
            fs(w["bare_summary"]), fs(w["ratio_summary"], 3))
        row("  the same in wall-clock seconds", fs(B.summary(w["keel_wall_seconds"])),
            fs(B.summary(w["bare_wall_seconds"])), fs(w["wall_ratio_summary"], 3))
    out.append("")

    out.append("Keel's start: power-on to the first guest instruction (`keel: boot tsc`)")
    for accel, label in (("tcg", "QEMU TCG, IDE (seconds)"),
                         ("virtio", "QEMU TCG, virtio-blk (seconds)")):
        st = (lb.get(accel) or {}).get("start_seconds")
        if not st:
            if accel == "tcg":
                row(label, na("keel_start_seconds"))
            continue
        row(label, f"total {fs(st['total'], 3)}", f"Keel's part {fs(st['keel'], 3)}")
        out.append("      " + "; ".join(f"{what} {fs(st[k], 3)}" for k, what in PHASES))
    bs = details.get("keel_start_bochs") or {}
    if bs.get("unavailable"):
        row("Bochs (instructions)", f"not available: {bs['unavailable']}")
    for vendor in B.BOCHS_MODELS:
        v = bs.get(vendor)
        if not v:
            continue
        name = f"Bochs {v['model']} (instructions)"
        if "unavailable" in v:
            row(name, f"not available: {v['unavailable']}")
            continue
        row(name, f"total {v['total']:,}", f"Keel's part {v['keel']:,}")
        out.append("      " + "; ".join(f"{what} {v[k]:,}" for k, what in PHASES))
    sl = bs.get("syslinux")
    if sl:
        row(f"  SYSLINUX, Bochs {sl['model']}: to the kernel's first instruction",
            f"{sl['total']:,}" if sl.get("total") else f"not available: {sl['unavailable']}")
    out.append("")

    out.append("Keel's RAM: its region less the files it holds for guests (`keel: region use`)")
    u = details.get("region_use")
    if res.get("keel_ram_bytes") is None or not u:
        row("Keel's own RAM", na("keel_ram_bytes"))
    else:
        row("Keel's own RAM", f"{u['keel'] / (1 << 20):.2f} MiB ({u['keel']:,} bytes)",
            f"goal <= {GOAL_KEEL_RAM >> 20} MiB")
        out.append(f"      region {u['region'] >> 20} MiB = image {u['image'] >> 10} KiB, hand-off "
                   f"{u['handoff'] >> 10} KiB, tables {u['tables'] >> 10} KiB, per-CPU "
                   f"{u['per_cpu'] >> 10} KiB ({u['cpus']} CPU{'s' if u['cpus'] != 1 else ''}), "
                   f"free {u['free'] >> 10} KiB, files {u['files'] >> 10} KiB")
    out.append("")


def exits_rows(B, res, row, out, na):
    """Rows after the cloud kernel's exits: its I/O ports, and the
    standard kernel's exits by reason and port."""
    ports = res.get("linux_boot_io_exits_by_port")
    if ports is not None:
        out.append(f"      io by port: {fmt_ports(ports)}")
    d = res["details"].get("linux_std_boot") or {}
    for cpu, key, what in ((B.QEMU_CPU, "linux_std_boot_exits", "AMD family 0Fh"),
                           (STD_CPU_MODERN, "linux_std_boot_exits_epyc", "AMD family 17h")):
        title = f"Linux, Debian's standard kernel, -cpu {cpu} ({what})"
        e = d.get(cpu) or {}
        if res.get(key) is None:
            row(title, na(key))
            continue
        row(title, f"total {B.fmt_sum(e['total'], 0)}", f"goal < {GOAL_STD_EXITS:,}")
        out.append("      " + ", ".join(f"{k} {v:,}" for k, v in e["by_reason"].items() if v))
        out.append(f"      io by port: {fmt_ports(e.get('io_ports_median'))}")
