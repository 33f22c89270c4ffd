"""The CPU Keel shows a guest (issues 15 and 16; docs/security.md "MSRs",
docs/kvm.md "The self-check"): the self-check guest on each emulator and
vendor, machine checks, the watchdog, PAE paging set up through an exit,
and the ACPI sleep request written a byte at a time.

The self-check guest (tests/guests/selfcheck.asm, `make run-kvm CHECK=1`)
prints one `check: PASS|FAIL|SKIP name: ...` line per check; each test
here asserts that no check failed and that the checks its emulator can
show passed. Where an emulator cannot show a rule (SMCA, WAITPKG, PT on
real CPUs), tests/unit/test_msr.c and test_cpuid.c hold it.
"""

import glob
import shutil
import subprocess
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from keel import (QEMU_EXIT_POWEROFF, Guest, assemble, assert_line, assert_no_line,
                  assert_status, guests_config, make_image, run_bochs, run_qemu)

pytestmark = pytest.mark.usefixtures("disk_img")

QEMU_TIMEOUT = 30
BOCHS_TIMEOUT = 240

HELLO = Guest("hello_real.asm", "HELLO.BIN")


def selfcheck(defines=None):
    return Guest("selfcheck.asm", "SELFCHK.ELF", line="guest multiboot file=SELFCHK.ELF",
                 defines=defines or {}, kind="multiboot")


def build(tmp_path, guests, title="CPU"):
    bins = Path(tmp_path) / "bin"
    bins.mkdir(exist_ok=True)
    files = {g.file: assemble(g, bins) for g in guests}
    return make_image(tmp_path, cfg_text=guests_config(guests, title), files=files)


def stop_line(r, index, name):
    for line in r.lines:
        if line.startswith(f'keel: guest {index} "{name}" stop '):
            return line
    raise AssertionError(f"no stop line for guest {index} {name}\n{r.describe()}")


CHECK_RE = re.compile(r"^keel: \[SELFCHK\.ELF\] check: (PASS|FAIL|SKIP) (\S+): (.*)$")


def checks(r):
    """{name: (result, text)} from the self-check's lines."""
    out = {}
    for line in r.lines:
        m = CHECK_RE.match(line)
        if m:
            out[m.group(2)] = (m.group(1), m.group(3))
    return out


def expect_selfcheck(r, must_pass):
    """No check failed, the guest ended with code 0, and every check in
    must_pass passed (the ones this emulator can show)."""
    found = checks(r)
    failed = {k: v for k, v in found.items() if v[0] == "FAIL"}
    assert not failed, f"self-check failures: {failed}\n{r.describe()}"
    missing = [k for k in must_pass if found.get(k, ("none",))[0] != "PASS"]
    assert not missing, (f"checks that should pass here did not: "
                         f"{[(k, found.get(k)) for k in missing]}\n{r.describe()}")
    assert_line(r, " passed, 0 failed, ")
    assert 'stop reason=exit-code code=0 ' in stop_line(r, 1, "SELFCHK.ELF"), r.describe()
    assert not r.fatal_lines(), r.describe()


# Every emulator and vendor.
COMMON = ["cpuid.keel", "cpuid.virt-hidden", "cpuid.osxsave", "cpuid.xsave-size",
          "cpuid.apic-bit", "cpuid.apic-id", "cpuid.pconfig", "cpuid.sgx", "cpuid.pt",
          "msr.pt", "msr.microcode", "msr.paravirt", "msr.efer", "msr.mtrr",
          "xsetbv.rules", "debug.dr7", "debug.step-cpuid", "debug.step-hlt"]


def test_selfcheck_qemu_svm(tmp_path):
    """QEMU TCG, AMD-V, 6 GiB (RAM above 4 GiB): every check passes or is
    skipped for a feature the CPU lacks. Before issues 15/16 were fixed
    here, OSXSAVE and OSPKE followed Keel's CR4, the PT and microcode MSRs
    reached the CPU, an EFER write with a reserved bit failed the VM
    entry, and single steps over CPUID and HLT lost their #DB."""
    r = run_qemu(build(tmp_path, [selfcheck()]), timeout=QEMU_TIMEOUT, mem="6G")
    expect_selfcheck(r, COMMON + ["cpuid.ospke", "cpuid.rdtscp", "msr.patch-loader", "msr.amd",
                                  "ram.high", "nmi.self"])


@pytest.mark.bochs
@pytest.mark.parametrize("model,extra", [
    ("corei7_skylake_x", ["cpuid.invpcid", "cpuid.xsaves", "wait.mwait-if0"]),
    ("tigerlake", ["cpuid.ospke", "cpuid.rdpid", "cpuid.invpcid", "cpuid.xsaves",
                   "wait.mwait-if0"]),
    ("zambezi", ["cpuid.rdtscp", "msr.patch-loader", "msr.amd"]),
    pytest.param("ryzen", ["cpuid.xsaves", "msr.smca", "msr.amd"], marks=pytest.mark.full),
    pytest.param("corei7_icelake_u", ["cpuid.rdpid", "cpuid.xsaves"], marks=pytest.mark.full),
], ids=["skylake-vmx", "tigerlake-vmx", "zambezi-svm", "ryzen-svm", "icelake-vmx"])
def test_selfcheck_bochs(tmp_path, model, extra):
    """Bochs, VT-x and AMD-V models. The self-NMI arrives once on both
    vendors (it used to stop the machine under VT-x when it came while Keel
    ran in VMX root operation: NMI exiting and virtual NMIs now, issue 14).
    On the AMD models a guest's data breakpoint used to stop Keel with a
    #DB in Keel right after VMRUN (Bochs reports it there); ryzen's SMCA
    bank MSRs are read through Keel."""
    r = run_bochs(build(tmp_path, [selfcheck()]), cpu_model=model, timeout=BOCHS_TIMEOUT)
    expect_selfcheck(r, COMMON + extra + ["nmi.self"])


# ---- machine checks -------------------------------------------------------------

MCE_WAIT = Guest("mce_wait.asm", "MCE.BIN")
MCE_STATUS = 0xBE00000000000000      # VAL, OVER clear, UC, EN, MISCV, ADDRV, PCC
MCE_COMMAND = f"mce 0 1 {MCE_STATUS:#x} 0x5 0x1234000 0x86"  # bank 1, MCG_STATUS RIPV|MCIP


def _inject_when(workdir_glob, text, monitor, commands, gap=0.7, limit=20):
    """Sends COMMANDS to QEMU's monitor once TEXT is in the debug-port log."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        logs = glob.glob(workdir_glob)
        if logs and text in Path(logs[0]).read_text(errors="replace"):
            break
        time.sleep(0.05)
    else:
        return
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(monitor))
    for c in commands:
        s.sendall((c + "\n").encode())
        time.sleep(gap)
    s.close()


def test_machine_checks_in_keel_reach_the_guest(tmp_path):
    """Two machine checks (QEMU's monitor `mce`) arrive while Keel halts
    in the guest's place: Keel logs MCG_STATUS and the bank, clears MCIP
    and hands each #MC to the guest, whose handler leaves MCG_STATUS
    alone. Before: Keel ran with CR4.MCE clear and the first #MC shut
    the CPU down (QEMU: 'CR4.MCE=0, triple fault'); had it been set, the
    idle IDT took vector 18 for an interrupt; and with MCIP left set the
    second #MC is a shutdown."""
    img = build(tmp_path, [MCE_WAIT, HELLO])
    monitor = Path(tmp_path) / "mon"
    t = threading.Thread(target=_inject_when,
                         args=(str(img.parent / "*.qemu.*" / "debugcon.log"), "mce: waiting",
                               monitor, [MCE_COMMAND, MCE_COMMAND]))
    t.start()
    r = run_qemu(img, timeout=QEMU_TIMEOUT,
                 extra=["-monitor", f"unix:{monitor},server=on,wait=off"])
    t.join()
    lines = [ln for ln in r.lines if "machine check" in ln]
    assert len([ln for ln in lines if "MCG_STATUS=0x5 (RIPV MCIP)" in ln]) == 2, r.describe()
    assert len([ln for ln in lines if "bank 1: status=0x" in ln and "addr=0x1234000 misc=0x86"
                in ln]) == 2, r.describe()
    assert len([ln for ln in lines if 'handed to guest 1 "MCE.BIN" (#MC)' in ln]) == 2, \
        r.describe()
    assert_line(r, "keel: [MCE.BIN] mce: 2 machine checks")
    assert "stop reason=exit-code code=0 " in stop_line(r, 1, "MCE.BIN"), r.describe()
    assert "stop reason=exit-code code=0 " in stop_line(r, 2, "HELLO.BIN"), r.describe()
    assert_status(r, QEMU_EXIT_POWEROFF)


# ---- the watchdog ---------------------------------------------------------------

def busy(ticks):
    return Guest("busy_if0.asm", "BUSY.BIN", defines={"TICKS": hex(ticks)})


CLI_LOOP_WD = Guest("isolation_cli_loop.asm", "CLILOOP.BIN",
                    line="guest flat file=CLILOOP.BIN load=0x10000 watchdog=1")


@pytest.mark.bochs
def test_watchdog_only_where_asked_vmx(tmp_path):
    """Bochs VT-x (its TSC runs at 100 MHz of emulated time): a guest
    that computes and then waits in MWAIT with interrupts off for 2^28
    TSC ticks each, with no exit, runs to its end (no guest line asks for
    a watchdog); a guest that spins with interrupts off on a line with
    watchdog=1 stops after that second with reason=stuck, and the next
    guest runs."""
    r = run_bochs(build(tmp_path, [busy(1 << 28), CLI_LOOP_WD, HELLO]),
                  cpu_model="corei7_skylake_x", timeout=BOCHS_TIMEOUT)
    line = assert_line(r, "keel: [BUSY.BIN] busy: computed ")
    assert "in MWAIT with interrupts off" in line, r.describe()
    assert "stop reason=exit-code code=0 " in stop_line(r, 1, "BUSY.BIN"), r.describe()
    assert_line(r, 'keel: guest 2 "CLILOOP.BIN" watchdog=1 s: stopped after that long')
    assert_line(r, "keel: guest looped with interrupts off and no exit for 1 s (watchdog=1")
    assert "stop reason=stuck " in stop_line(r, 2, "CLILOOP.BIN"), r.describe()
    assert "stop reason=exit-code code=0 " in stop_line(r, 3, "HELLO.BIN"), r.describe()
    assert_no_line(r, 'guest 1 "BUSY.BIN" watchdog')


@pytest.mark.bochs
@pytest.mark.full
def test_busy_past_the_old_watchdog_vmx(tmp_path):
    """The same busy guest for 2^31 TSC ticks of computing and 2^31 in
    MWAIT with interrupts off: four periods of the watchdog every guest
    used to have (2^29 ticks; three in a row stopped it, as it stopped
    Debian's standard kernel decompressing itself). Not stopped now.
    About 2 minutes under Bochs."""
    r = run_bochs(build(tmp_path, [busy(1 << 31), HELLO]), cpu_model="corei7_skylake_x",
                  timeout=600)
    assert "stop reason=exit-code code=0 " in stop_line(r, 1, "BUSY.BIN"), r.describe()
    assert_no_line(r, "guest looped with interrupts off")


def test_watchdog_not_available_svm(tmp_path):
    """AMD-V has no preemption timer: a guest line that asks for a
    watchdog is told so in the log, and the guest runs as it would."""
    g = Guest("hello_real.asm", "HELLO.BIN",
              line="guest flat file=HELLO.BIN load=0x10000 watchdog=5")
    r = run_qemu(build(tmp_path, [g]), timeout=QEMU_TIMEOUT)
    assert_line(r, 'keel: guest 1 "HELLO.BIN" watchdog=5 s not available: the svm backend has '
                   "no preemption timer")
    assert "stop reason=exit-code code=0 " in stop_line(r, 1, "HELLO.BIN"), r.describe()


# ---- Keel's own assumptions (issue 15 item 9) ------------------------------------

@pytest.mark.parametrize("emulator", ["qemu", pytest.param("bochs", marks=pytest.mark.bochs)])
def test_pae_paging_set_up_by_an_emulated_cr0_write(tmp_path, emulator):
    """A MOV to CR0 that turns on PAE paging and exits (VT-x: it changes
    CR0.NE) leaves the guest on the PDPTEs it set up; one with a reserved
    bit in a present PDPTE is #GP (Bochs VT-x; QEMU's TCG runs the MOV
    itself without checking). Before: the VMCS's PDPTE fields stayed 0
    and the guest triple-faulted at its next fetch."""
    defines = {"NO_RESERVED": 1} if emulator == "qemu" else {}
    g = Guest("pae_cr0.asm", "PAE.BIN", 0x100000, "protected", defines)
    img = build(tmp_path, [g, HELLO])
    r = run_qemu(img, timeout=QEMU_TIMEOUT) if emulator == "qemu" else \
        run_bochs(img, cpu_model="corei7_skylake_x", timeout=BOCHS_TIMEOUT)
    assert "stop reason=exit-code code=0 " in stop_line(r, 1, "PAE.BIN"), r.describe()
    if emulator == "bochs":
        assert re.search(r" cr=[1-9]", next(ln for ln in r.lines if ln.startswith("keel: exits"))), \
            f"the MOV to CR0 did not exit\n{r.describe()}"


@pytest.mark.parametrize("emulator", ["qemu", pytest.param("bochs", marks=pytest.mark.bochs)])
def test_sleep_request_in_the_second_byte_of_pm1_cnt(tmp_path, emulator):
    """SLP_EN is bit 13 of PM1_CNT: a byte write of 20h to PM1a_CNT + 1
    is a sleep request (here SLP_TYP 0), which Keel takes as the guest's
    power-off like a 16-bit write. Before, only the register's first port
    was intercepted and the byte reached the chipset."""
    g = Guest("pm1_byte.asm", "PM1.BIN", 0x100000, "protected")
    img = build(tmp_path, [g, HELLO])
    r = run_qemu(img, timeout=QEMU_TIMEOUT) if emulator == "qemu" else \
        run_bochs(img, cpu_model="corei7_skylake_x", timeout=BOCHS_TIMEOUT)
    port = assert_line(r, "keel: [PM1.BIN] pm1: PM1a_CNT at ").rsplit(" ", 1)[1]
    assert_line(r, f"keel: guest asked for ACPI sleep state SLP_TYP=0 (port 0x{int(port, 16):x}): "
                   "power off")
    assert "stop reason=poweroff " in stop_line(r, 1, "PM1.BIN"), r.describe()
    assert_no_line(r, "went past Keel")
    assert_line(r, "keel: poweroff code=0")


def test_run_kvm_check_image_on_com1(tmp_path):
    """`make run-kvm CHECK=1` boots build/selfcheck.img (made from
    build/disk.img with the self-check as its only entry). What a user
    sees is COM1: the report must be there, one line per check and the
    summary, as well as in Keel's log. Booted here under QEMU TCG (no
    KVM on this machine), on a copy."""
    root = Path(__file__).resolve().parent.parent
    made = subprocess.run(["make", "-s", "--no-print-directory", "build/selfcheck.img"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    img = Path(tmp_path) / "selfcheck.img"
    shutil.copyfile(root / "build" / "selfcheck.img", img)
    r = run_qemu(img, timeout=QEMU_TIMEOUT)
    assert_line(r, "check: Keel self-check on AuthenticAMD", where="serial")
    assert_line(r, "check: PASS cpuid.osxsave: ", where="serial")
    summary = assert_line(r, " passed, 0 failed, ", where="serial")
    assert re.search(r"check: \d+ passed, 0 failed, \d+ skipped", summary), r.describe()
    assert len([ln for ln in r.serial.splitlines() if ln.startswith("check: ")]) <= 40, \
        f"the report should fit a screen or two\n{r.describe()}"
    assert_status(r, QEMU_EXIT_POWEROFF)


LINUX_STD = Path(__file__).resolve().parent.parent / "build" / "linux-std" / "vmlinuz"
LINUX_INITRD = Path(__file__).resolve().parent.parent / "build" / "linux" / "initrd.gz"


@pytest.mark.bochs
@pytest.mark.full
def test_debian_standard_kernel_bochs_vmx(tmp_path):
    """Debian's standard kernel (linux-image-amd64, what a user installs;
    build/linux-std/vmlinuz) boots under Bochs VT-x to the busybox
    initramfs's marker. Before, the watchdog every guest had stopped it
    11 exits into its boot, while it decompressed itself with interrupts
    off (`guest looped with interrupts off ... for 3 watchdog periods`).
    About 12 minutes on a busy machine here (732 s)."""
    if not LINUX_STD.exists() or not LINUX_INITRD.exists():
        pytest.skip(f"{LINUX_STD} or {LINUX_INITRD} missing: `make linux linux-std`")
    cfg = ('timeout 0\ndefault 1\n\nentry "Debian standard kernel"\n'
           '  guest linux kernel=BZSTD initrd=INITRD cmdline="console=ttyS0 keeltest=1"\n'
           "  after poweroff\n")
    img = make_image(tmp_path, cfg_text=cfg, files={"BZSTD": LINUX_STD, "INITRD": LINUX_INITRD})
    r = run_bochs(img, cpu_model="corei7_skylake_x", timeout=1800, megs=1024)
    assert_line(r, "KEEL-LINUX-MARKER", where="serial")
    assert_no_line(r, "guest looped with interrupts off")
    assert "stop reason=poweroff " in stop_line(r, 1, "BZSTD"), r.describe()


@pytest.mark.parametrize("model", ["Opteron_G4", "EPYC"])
def test_osxsave_left_clear_where_qemu_hangs_on_it(tmp_path, model):
    """QEMU 7.2 hangs at a MOV to CR4 that sets OSXSAVE on models with
    XSAVE but not XSAVEOPT (Opteron_G4/G5): Keel leaves the bit clear
    there, says so, and runs its guest; on a model with XSAVEOPT (EPYC) it
    sets the bit and says nothing."""
    r = run_qemu(build(tmp_path, [HELLO]), cpu=model, timeout=QEMU_TIMEOUT)
    assert_status(r, QEMU_EXIT_POWEROFF)
    assert stop_line(r, 1, "HELLO.BIN").startswith(
        'keel: guest 1 "HELLO.BIN" stop reason=exit-code code=0'), r.describe()
    told = [ln for ln in r.lines if ln.startswith("keel: cpu: XSAVE without XSAVEOPT")]
    assert len(told) == (1 if model == "Opteron_G4" else 0), r.describe()
