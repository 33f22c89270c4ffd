"""Test guests under Keel (tests/guests/*.asm, docs/log.md).

Each test assembles its guests from tests/guests/ with NASM, copies them
onto a copy of build/disk.img with a KEEL.CFG naming them (tests/keel.py),
boots it and checks Keel's log: the start line, the exact stop line
(reason and exit code), the lines that go with the behaviour, and counts
from the `keel: exits ...` line that follows the stop line.

Every guest ends with hypercall 2 and an exit code that says which of its
checks failed (the .asm file lists them), or stops in the way under test.
QEMU runs take about a second each; one Bochs run (AMD model, zambezi)
boots a representative subset of the guests in one entry.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from keel import (QEMU_EXIT_POWEROFF, Guest, assemble, assert_line, assert_lines_in_order,
                  assert_no_line, assert_status, guests_config, make_image, run_bochs,
                  run_qemu)

ROOT = Path(__file__).resolve().parent.parent

QEMU_TIMEOUT = 15
BOCHS_TIMEOUT = 240
BOCHS_AMD_MODEL = "zambezi"

# build/disk.img must exist (conftest.py fails clearly when it does not).
pytestmark = pytest.mark.usefixtures("disk_img")

HELLO_REAL = "hello from a real-mode guest"
HELLO_PROTECTED = "hello from a protected-mode guest"
HELLO_LONG = "hello from a long-mode guest"


# ---- guests and images ------------------------------------------------------

def config(guests, title="Test guests", after="poweroff"):
    return guests_config(guests, title, after)


def build_image(tmp_path, guests, title="Test guests"):
    """A copy of build/disk.img whose KEEL.CFG runs GUESTS in one entry."""
    bins = Path(tmp_path) / "bin"
    bins.mkdir(exist_ok=True)
    files = {}
    for g in guests:
        files.setdefault(g.file, assemble(g, bins))
    return make_image(tmp_path, cfg_text=config(guests, title), files=files)


def boot(tmp_path, guests, timeout=QEMU_TIMEOUT):
    """Boots GUESTS (one entry, after poweroff) under QEMU; the Result."""
    result = run_qemu(build_image(tmp_path, guests), timeout=timeout)
    check_ended(result)
    return result


def check_ended(result):
    """The run ended by itself (Keel powered off) and nothing was fatal."""
    if result.fatal_lines():
        raise AssertionError(f"Keel reported a fatal error: {result.fatal_lines()[0]!r}\n"
                             f"{result.describe()}")
    if result.timed_out:
        raise AssertionError(f"the run did not end by itself within its time limit "
                             f"(Keel should power off after the last guest)\n"
                             f"{result.describe()}")


# ---- log parsing ------------------------------------------------------------

STOP_RE = re.compile(r'^keel: guest (\d+) "([^"]+)" stop reason=(\S+)'
                     r'(?: code=(\d+))? exits=(\d+)$')


@dataclass
class Stop:
    line: str
    index: int
    name: str
    reason: str
    code: int
    total: int
    exits: dict                 # the `keel: exits` line after it: {"cpuid": 1, ...}
    exits_line: str


def parse_exits(line):
    """{"cpuid": 1, "hlt": 0, ...} from a `keel: exits ...` line."""
    body = line.split("keel: exits ", 1)[1]
    return {k: int(v) for k, v in re.findall(r"([a-z][a-z0-9-]*)=(\d+)", body)}


def stops(result):
    """Every guest stop in the log, in order, with its exits line."""
    lines = [ln.rstrip("\r") for ln in result.lines]
    out = []
    for i, line in enumerate(lines):
        m = STOP_RE.match(line)
        if not m:
            continue
        exits_line = next((ln for ln in lines[i + 1:] if ln.startswith("keel: exits ")), "")
        out.append(Stop(line, int(m.group(1)), m.group(2), m.group(3),
                        None if m.group(4) is None else int(m.group(4)),
                        int(m.group(5)), parse_exits(exits_line) if exits_line else {},
                        exits_line))
    return out


def expect_stop(result, index, guest, reason, code=None):
    """Asserts guest INDEX (counted from 1) of the entry started and stopped
    with exactly this stop line; returns its Stop."""
    name = guest.file if isinstance(guest, Guest) else guest
    assert_line(result, f'keel: guest {index} "{name}" start kind=flat')
    if reason == "exit-code":
        want = f'keel: guest {index} "{name}" stop reason=exit-code code={code} exits='
    else:
        want = f'keel: guest {index} "{name}" stop reason={reason} exits='
    found = [s for s in stops(result) if s.index == index and s.name == name]
    if not found:
        raise AssertionError(f"guest {index} {name}: expected a stop line starting "
                             f"{want!r}; there is none.\n{result.describe()}")
    s = found[0]
    if not s.line.startswith(want):
        why = ""
        if reason == "exit-code" and s.reason == "exit-code":
            asm = guest.asm if isinstance(guest, Guest) else name
            why = (f" (exit code {s.code}: see the list of exit codes at the top "
                   f"of tests/guests/{asm})")
        raise AssertionError(f"guest {index} {name}: expected the stop line {want!r}...; "
                             f"got {s.line!r}{why}\n{result.describe()}")
    if not s.exits:
        raise AssertionError(f"guest {index} {name}: no 'keel: exits' line after "
                             f"{s.line!r}\n{result.describe()}")
    if sum(s.exits.values()) != s.total:
        raise AssertionError(f"guest {index} {name}: the stop line says exits={s.total} "
                             f"but the exits line adds up to {sum(s.exits.values())}: "
                             f"{s.exits_line!r}\n{result.describe()}")
    return s


def expect_exits(result, stop, **want):
    """Asserts counts of STOP's exits line. A value is an exact count, or a
    (low, high) pair (high None: no limit). Keys use '_' for '-'."""
    bad = []
    for key, exp in want.items():
        kind = key.replace("_", "-")
        got = stop.exits.get(kind)
        if isinstance(exp, tuple):
            lo, hi = exp
            ok = got is not None and got >= lo and (hi is None or got <= hi)
            text = f">= {lo}" if hi is None else f"{lo}..{hi}"
        else:
            ok = got == exp
            text = str(exp)
        if not ok:
            bad.append(f"{kind}={got} (expected {text})")
    if bad:
        raise AssertionError(f"guest {stop.index} {stop.name}: wrong exit counts: "
                             f"{', '.join(bad)}\nexits line: {stop.exits_line!r}\n"
                             f"{result.describe()}")


# No exit of these kinds is expected from any of the flat test guests.
NEVER = dict(cr=0, xsetbv=0, invd=0, exception=0, init=0, sipi=0, intr=0, nmi=0, preempt=0)


# ---- the guests --------------------------------------------------------------

HELLO = Guest("hello_real.asm", "HELLO.BIN")
HELLO_PM = Guest("hello_protected.asm", "HELLOPM.BIN", 0x100000, "protected")
HELLO_LM = Guest("hello_long.asm", "HELLOLM.BIN", 0x100000, "long")
CPUID = Guest("cpuid_leaf.asm", "CPUID.BIN")
HLT_CLI = Guest("hlt_cli.asm", "HLTCLI.BIN")
HLT_STI = Guest("hlt_sti.asm", "HLTSTI.BIN")
PORTS = Guest("ports.asm", "PORTS.BIN")
RESET_CF9 = Guest("reset_cf9.asm", "RESETCF9.BIN")
RESET_KBC = Guest("reset_kbc.asm", "RESETKBC.BIN")
CF9_NO_RESET = Guest("cf9_no_reset.asm", "CF9NORST.BIN")
MSR = Guest("msr.asm", "MSR.BIN")
SVM_INSN = Guest("svm_insn.asm", "SVMINSN.BIN")
SVM_INSN_PM = Guest("svm_insn_pm.asm", "SVMPM.BIN", 0x100000, "protected")
HC_UNKNOWN = Guest("hypercall_unknown.asm", "HCUNK.BIN", 0x100000, "long")
TRIPLE = Guest("triple_fault.asm", "TRIPLE.BIN")
POWEROFF = Guest("poweroff.asm", "POWEROFF.BIN")
STACK = Guest("initial_stack.asm", "STACK.BIN", 0x100000, "protected")


def region_guest(asm, file, target):
    return Guest(asm, file, 0x100000, "protected", {"TARGET": hex(target)})


# ---- QEMU: one behaviour per test -------------------------------------------

@pytest.mark.parametrize("guest,text", [
    (HELLO, HELLO_REAL),
    (HELLO_PM, HELLO_PROTECTED),
    (HELLO_LM, HELLO_LONG),
], ids=["real", "protected", "long"])
def test_hello(tmp_path, guest, text):
    """Each CPU mode a flat guest may start in: the guest prints a line
    through hypercall 1 and exits with code 0. One hypercall per character
    (the line end included) plus the exit; one CPUID (vendor detection)."""
    r = boot(tmp_path, [guest])
    s = expect_stop(r, 1, guest, "exit-code", 0)
    assert_lines_in_order(r, [f'keel: guest 1 "{guest.file}" start kind=flat',
                              f"keel: [{guest.file}] {text}",
                              s.line, "keel: exits ", "keel: poweroff code=0"])
    expect_exits(r, s, hypercall=len(text + "\n") + 1, cpuid=1, io=0, msr=0, hlt=0,
                 npf=0, virt_insn=0, shutdown=0, **NEVER)
    assert_status(r, QEMU_EXIT_POWEROFF)


def test_cpuid_leaf(tmp_path):
    """CPUID shows Keel (40000000h: max leaf 40000001h, "KeelKeelKeel"),
    the hypervisor bit, and hides VMX and SVM (leaf 8000000Ah all zero).
    Every CPUID exits: 7 in all (vendor check + 6 leaves)."""
    r = boot(tmp_path, [CPUID])
    s = expect_stop(r, 1, CPUID, "exit-code", 0)
    expect_exits(r, s, cpuid=7, hypercall=1, io=0, msr=0, hlt=0, **NEVER)


def test_hlt_cli_stops_guest(tmp_path):
    """HLT with interrupts off can never end: Keel stops the guest. It
    runs the HLT once more first (two exits), in case an SMI the guest
    raised is still pending (hv/exit.c handle_hlt)."""
    r = boot(tmp_path, [HLT_CLI])
    s = expect_stop(r, 1, HLT_CLI, "hlt")
    expect_exits(r, s, hlt=2, hypercall=0, cpuid=1, **NEVER)


def test_hlt_sti_wakes_on_timer(tmp_path):
    """HLT with interrupts on waits for the next interrupt: the BIOS timer
    (IRQ 0 through the real IVT) wakes the guest, its tick count moves on
    by 3, and the guest exits with 0. Each HLT is one exit."""
    r = boot(tmp_path, [HLT_STI])
    s = expect_stop(r, 1, HLT_STI, "exit-code", 0)
    expect_exits(r, s, hlt=(3, 1000), hypercall=1, **NEVER)


def test_ports_pass_through(tmp_path):
    """Ports Keel does not intercept reach the devices without an exit:
    the debug port 0xE9 (a line in the log without Keel's prefix), CMOS
    0x70/0x71 read-back, the PIT counting, POST port 0x80."""
    r = boot(tmp_path, [PORTS])
    s = expect_stop(r, 1, PORTS, "exit-code", 0)
    line = assert_line(r, "ports: written to port 0xe9 by the guest")
    assert line == "ports: written to port 0xe9 by the guest", \
        f"expected the guest's own line on port 0xE9 as it is, got {line!r}\n{r.describe()}"
    expect_exits(r, s, io=0, hypercall=1, **NEVER)


def test_reset_cf9(tmp_path):
    """OUT 0CF9h, 06h (RST_CPU) is a reset request: Keel stops the guest
    instead of letting the machine reset."""
    r = boot(tmp_path, [RESET_CF9])
    s = expect_stop(r, 1, RESET_CF9, "reset")
    assert_lines_in_order(r, ["keel: guest reset request: port 0xcf9 value 0x06", s.line])
    expect_exits(r, s, io=1, hypercall=0, **NEVER)


def test_reset_kbc(tmp_path):
    """Keyboard-controller command 0FEh (pulse reset) is a reset request.
    The guest's status reads of port 64h exit too (the port is intercepted)
    and go to the real controller."""
    r = boot(tmp_path, [RESET_KBC])
    s = expect_stop(r, 1, RESET_KBC, "reset")
    assert_lines_in_order(r, ["keel: guest reset request: keyboard controller command 0xfe",
                              s.line])
    expect_exits(r, s, io=(2, None), hypercall=0, **NEVER)


def test_cf9_without_rst_cpu_is_no_reset(tmp_path):
    """A write to 0CF9h without bit 2 is done on the real register and the
    guest goes on (2 reads + 2 writes, all exits)."""
    r = boot(tmp_path, [CF9_NO_RESET])
    s = expect_stop(r, 1, CF9_NO_RESET, "exit-code", 0)
    assert_no_line(r, "guest reset request")
    expect_exits(r, s, io=4, hypercall=1, **NEVER)


def test_msr(tmp_path):
    """EFER reads hide SVME, EFER writes with SVME and any access to VM_CR
    or VM_HSAVE_PA raise #GP, EFER writes without SVME work, the TSC MSR is
    not intercepted. 8 MSR exits: EFER 2 reads + 2 writes, VM_CR and
    VM_HSAVE_PA a read and a write each (the TSC read does not exit)."""
    r = boot(tmp_path, [MSR])
    s = expect_stop(r, 1, MSR, "exit-code", 0)
    expect_exits(r, s, msr=8, hypercall=1, **NEVER)


def test_svm_insn_real_mode(tmp_path):
    """VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT raise #UD in a real-mode
    guest (the CPU may refuse them itself before Keel's intercept)."""
    r = boot(tmp_path, [SVM_INSN])
    s = expect_stop(r, 1, SVM_INSN, "exit-code", 0)
    expect_exits(r, s, virt_insn=(0, 6), hypercall=1, **NEVER)


def test_svm_insn_protected_mode(tmp_path):
    """The same six instructions in protected mode: each is intercepted and
    Keel injects #UD (virt-insn=6)."""
    r = boot(tmp_path, [SVM_INSN_PM])
    s = expect_stop(r, 1, SVM_INSN_PM, "exit-code", 0)
    expect_exits(r, s, virt_insn=6, hypercall=1, **NEVER)


def test_hypercall_unknown(tmp_path):
    """Hypercall 12345h returns -1 (all 64 bits) and changes no other
    register; hypercall 0 (version) returns a positive number."""
    r = boot(tmp_path, [HC_UNKNOWN])
    s = expect_stop(r, 1, HC_UNKNOWN, "exit-code", 0)
    expect_exits(r, s, hypercall=3, **NEVER)


def test_triple_fault(tmp_path):
    """INT3 with an empty IDT: #GP, #DF, shutdown. Keel catches the
    shutdown and stops the guest. Under SVM Keel intercepts #GP (hv/gp.c),
    so it sees the three faults as exception exits -- the #GP, the #GP
    while it is delivered (now a #DF), the #GP while the #DF is delivered
    (the shutdown) -- and no shutdown exit."""
    r = boot(tmp_path, [TRIPLE])
    s = expect_stop(r, 1, TRIPLE, "triple-fault")
    assert_lines_in_order(r, ["keel: guest triple fault (shutdown) at rip=", s.line])
    expect_exits(r, s, shutdown=0, hypercall=0, **dict(NEVER, exception=3))


def test_poweroff(tmp_path):
    """The DESIGN.md payload (RAX=84000008h, VMMCALL) powers off at once:
    the guest configured after it never starts; QEMU exits with status 1
    (isa-debug-exit, code 0)."""
    r = boot(tmp_path, [POWEROFF, HELLO])
    s = expect_stop(r, 1, POWEROFF, "poweroff")
    assert_lines_in_order(r, [s.line, "keel: exits ", "keel: poweroff code=0"])
    assert_no_line(r, 'keel: guest 2 "HELLO.BIN" start')
    assert_no_line(r, HELLO_REAL)
    expect_exits(r, s, hypercall=1, cpuid=1, **NEVER)
    assert_status(r, QEMU_EXIT_POWEROFF)


def test_stops_hand_over_to_next_guest(tmp_path):
    """HLT with interrupts off, both resets and a triple fault each stop
    their guest and Keel starts the next one; the last says hello."""
    guests = [HLT_CLI, RESET_CF9, RESET_KBC, TRIPLE, HELLO]
    r = boot(tmp_path, guests)
    expect_stop(r, 1, HLT_CLI, "hlt")
    expect_stop(r, 2, RESET_CF9, "reset")
    expect_stop(r, 3, RESET_KBC, "reset")
    expect_stop(r, 4, TRIPLE, "triple-fault")
    expect_stop(r, 5, HELLO, "exit-code", 0)
    assert_lines_in_order(r, [f'keel: guest {i} "{g.file}" start kind=flat'
                              for i, g in enumerate(guests, 1)] +
                          [f"keel: [HELLO.BIN] {HELLO_REAL}", "keel: poweroff code=0"])


REGION_RE = re.compile(r"keel: region base=(0x[0-9a-f]+) size=(\d+) MiB")


def region_of(result):
    line = assert_line(result, "keel: region base=")
    m = REGION_RE.search(line)
    assert m, f"cannot parse the region line {line!r}\n{result.describe()}"
    return int(m.group(1), 16), int(m.group(2)) << 20


@pytest.mark.parametrize("asm,file,access", [
    ("region_write.asm", "REGWRITE.BIN", "write"),
    ("region_read.asm", "REGREAD.BIN", "read"),
], ids=["write", "read"])
def test_region_access_faults(tmp_path, asm, file, access):
    """A guest access to Keel's own region is a nested-page fault: Keel
    stops that guest (reason=fault) and the next guest still runs.

    First boot: the same entry with the access aimed at ordinary RAM (2
    MiB) -- it works (exit code 0), and Keel's log gives its region. Second
    boot: aimed at region base + 0x1000."""
    probe_guest = region_guest(asm, file, 0x200000)
    (tmp_path / "probe").mkdir()
    probe = boot(tmp_path / "probe", [probe_guest, HELLO])
    expect_stop(probe, 1, probe_guest, "exit-code", 0)
    expect_stop(probe, 2, HELLO, "exit-code", 0)
    base, size = region_of(probe)

    target = base + 0x1000
    guest = region_guest(asm, file, target)
    (tmp_path / "run").mkdir()
    r = boot(tmp_path / "run", [guest, HELLO])
    assert region_of(r) == (base, size), \
        f"Keel's region moved between two boots of the same entry\n{r.describe()}"
    s = expect_stop(r, 1, guest, "fault")
    assert_lines_in_order(r, [f"keel: guest {access} at {target:#x} (Keel's region) rip=",
                              s.line])
    expect_exits(r, s, npf=1, hypercall=0, **NEVER)
    expect_stop(r, 2, HELLO, "exit-code", 0)
    assert_line(r, f"keel: [HELLO.BIN] {HELLO_REAL}")


def test_initial_stack_is_usable(tmp_path):
    """The stack Keel starts a protected-mode guest at 0x100000 with takes
    a push and gives the value back."""
    r = boot(tmp_path, [STACK])
    expect_stop(r, 1, STACK, "exit-code", 0)


# ---- Bochs, AMD model: a subset in one boot ---------------------------------

BOCHS_SUBSET = [HELLO, CPUID, MSR, SVM_INSN, SVM_INSN_PM, POWEROFF]


@pytest.mark.bochs
def test_bochs_amd_subset(tmp_path):
    """hello_real, cpuid_leaf, msr, svm_insn (real and protected mode) and
    poweroff in one entry under Bochs' AMD model (SVM with NRIP save, which
    QEMU lacks): one boot, every stop line. (triple_fault cannot run under
    Bochs 2.7: see test_bochs_amd_triple_fault.)"""
    guests = BOCHS_SUBSET
    r = run_bochs(build_image(tmp_path, guests, title="Bochs subset"),
                  cpu_model=BOCHS_AMD_MODEL, timeout=BOCHS_TIMEOUT)
    check_ended(r)
    assert_line(r, "keel: cpu vendor=AMD backend=svm")
    assert_line(r, "keel: svm on: nrips=yes")
    s = expect_stop(r, 1, HELLO, "exit-code", 0)
    assert_line(r, f"keel: [HELLO.BIN] {HELLO_REAL}")
    expect_exits(r, s, hypercall=len(HELLO_REAL + "\n") + 1, cpuid=1, **NEVER)
    s = expect_stop(r, 2, CPUID, "exit-code", 0)
    expect_exits(r, s, cpuid=7, hypercall=1, **NEVER)
    s = expect_stop(r, 3, MSR, "exit-code", 0)
    expect_exits(r, s, msr=8, hypercall=1, **NEVER)
    s = expect_stop(r, 4, SVM_INSN, "exit-code", 0)
    expect_exits(r, s, virt_insn=(0, 6), hypercall=1, **NEVER)
    s = expect_stop(r, 5, SVM_INSN_PM, "exit-code", 0)
    expect_exits(r, s, virt_insn=6, hypercall=1, **NEVER)
    s = expect_stop(r, 6, POWEROFF, "poweroff")
    expect_exits(r, s, hypercall=1, **NEVER)
    assert_lines_in_order(r, [f'keel: guest {i} "{g.file}" start kind=flat'
                              for i, g in enumerate(guests, 1)] +
                          ["keel: poweroff code=0"])


@pytest.mark.bochs
@pytest.mark.skip(reason=(
    "Bochs 2.7 limitation, not Keel's: a triple fault inside an SVM guest does "
    "not cause #VMEXIT(SHUTDOWN) even when intercepted; cpu/exception.cc calls "
    "VMexit_TripleFault() for VMX only, then resets the whole machine (or, with "
    "the debugger built in, stops at its prompt). Measured: 'exception(): 3rd "
    "(13) exception with no resolution, shutdown status is 00h, resetting'. "
    "QEMU covers it: test_triple_fault."))
def test_bochs_amd_triple_fault(tmp_path):
    r = run_bochs(build_image(tmp_path, [TRIPLE, POWEROFF], title="Bochs triple fault"),
                  cpu_model=BOCHS_AMD_MODEL, timeout=BOCHS_TIMEOUT)
    check_ended(r)
    expect_stop(r, 1, TRIPLE, "triple-fault")
    expect_stop(r, 2, POWEROFF, "poweroff")


# ---- Bochs, Intel model: every test guest under VT-x -------------------------

BOCHS_VMX_MODEL = "corei7_skylake_x"

# (guest, stop reason, exit code) in the order one entry runs them; the
# guests are unchanged except that hypercall.inc picks VMCALL at run time.
BOCHS_VMX_RUN = [
    (HELLO, "exit-code", 0), (HELLO_PM, "exit-code", 0), (HELLO_LM, "exit-code", 0),
    (CPUID, "exit-code", 0), (HLT_STI, "exit-code", 0), (PORTS, "exit-code", 0),
    (CF9_NO_RESET, "exit-code", 0), (MSR, "exit-code", 0), (SVM_INSN, "exit-code", 0),
    (SVM_INSN_PM, "exit-code", 0), (HC_UNKNOWN, "exit-code", 0), (STACK, "exit-code", 0),
    (HLT_CLI, "hlt", None), (RESET_CF9, "reset", None), (RESET_KBC, "reset", None),
    (TRIPLE, "triple-fault", None), (POWEROFF, "poweroff", None),
]


def vmx_batches():
    """BOCHS_VMX_RUN in entries of at most 8 guests (CFG_MAX_GUESTS)."""
    return [BOCHS_VMX_RUN[i:i + 8] for i in range(0, len(BOCHS_VMX_RUN), 8)]


@pytest.mark.bochs
@pytest.mark.parametrize("batch", range(len(vmx_batches())))
def test_bochs_vmx_all_guests(tmp_path, batch):
    """Every test guest under Bochs' Skylake-X model (VMX with EPT, VPID and
    unrestricted guest), up to 8 per boot: each one's stop line, in order.
    The last batch ends with the power-off guest."""
    run = vmx_batches()[batch]
    guests = [g for g, _, _ in run]
    r = run_bochs(build_image(tmp_path, guests, title="Bochs VMX"),
                  cpu_model=BOCHS_VMX_MODEL, timeout=BOCHS_TIMEOUT)
    check_ended(r)
    assert_line(r, "keel: cpu vendor=Intel backend=vmx")
    assert_line(r, "keel: vmx on:")
    assert_line(r, "keel: ept: ")
    for i, (g, reason, code) in enumerate(run, 1):
        expect_stop(r, i, g, reason, code)
    if HELLO in guests:
        assert_line(r, f"keel: [HELLO.BIN] {HELLO_REAL}")
    assert_line(r, "keel: poweroff code=0")
