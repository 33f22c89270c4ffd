"""Isolation, hostile guests and bad input (docs/security.md).

Hostile test guests (tests/guests/isolation_*.asm, fuzz_guest.asm) try to
reach Keel's region, use VMX/SVM, touch the MSRs Keel guards, move their
APIC, start the other CPUs, reset the machine behind Keel's back, spin with
interrupts off or reset in a storm; each test asserts that Keel stops the
guest the right way, says why in its log, stays alive and runs the next
guest. Addresses inside Keel's region are assembled into the guests (-D)
from the `keel: region base=...` line of a first boot of the same entry
shape. Bad input end to end (a corrupt FAT, guests loaded over Keel, too
little memory) completes tests/test_bad_input.py.

Tests that find a Keel bug are marked xfail(strict=True) with the bug in
their reason; docs/security.md lists them with the proposed fixes.
"""

import os
import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import keel
from keel import (GUESTS, QEMU_EXIT_STAGE2_FATAL, Guest, assemble, assert_fatal, assert_line,
                  assert_no_line, guests_config, make_image, run_bochs, run_qemu)

ROOT = Path(__file__).resolve().parent.parent

QEMU_TIMEOUT = 20
BOCHS_TIMEOUT = 120
BOCHS_VMX = "corei7_skylake_x"
BOCHS_SVM = "zambezi"
MAX_GUESTS = 8                  # CFG_MAX_GUESTS: guests per entry

pytestmark = pytest.mark.usefixtures("disk_img")


# ---- guests, images, log parsing ---------------------------------------------

def config_text(guests, after="poweroff", title="Security"):
    return guests_config(guests, title, after)


def build(tmp_path, guests, after="poweroff", files=None):
    """A copy of build/disk.img whose only entry runs GUESTS."""
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    bins = tmp_path / "bin"
    bins.mkdir(exist_ok=True)
    all_files = dict(files or {})
    for g in guests:
        if g.file not in all_files and g.asm:
            all_files[g.file] = assemble(g, bins)
    return make_image(tmp_path, cfg_text=config_text(guests, after), files=all_files)


def fatal_lines(r):
    """Keel's FATAL lines. Not Result.fatal_lines(): that splits the log
    with splitlines(), which a guest's CR or FF fools (see
    test_guest_output_cannot_forge_log_lines)."""
    return [ln for ln in log_lines(r) if ln.startswith("keel: FATAL:")]


def ended_cleanly(r):
    if fatal_lines(r):
        raise AssertionError(f"Keel reported a fatal error: {fatal_lines(r)[0]!r}\n"
                             f"{r.describe()}")
    if r.timed_out:
        raise AssertionError(f"the run did not end by itself\n{r.describe()}")


STOP_RE = re.compile(r'^keel: guest (\d+) "([^"]+)" stop reason=(\S+)'
                     r'(?: code=(\d+))? exits=(\d+)$')
NPF_RE = re.compile(r"^keel: guest (read|write|fetch) at (0x[0-9a-f]+) "
                    r"\((Keel's region|no memory there)\) rip=(0x[0-9a-f]+): stopped$")
REGION_RE = re.compile(r"keel: region base=(0x[0-9a-f]+) size=(\d+) MiB heap=(\d+) KiB free")


def log_lines(r):
    # Split on LF only: a guest's own bytes must not make lines (see
    # test_guest_output_cannot_forge_log_lines).
    return [ln.rstrip("\r") for ln in r.log.split("\n")]


def guest_blocks(r, cpu_lines=False):
    """{index: [lines from its start line to its exits line]}; with
    CPU_LINES up to the next guest's start, the per-CPU lines included."""
    blocks, cur = {}, None
    for ln in log_lines(r):
        m = re.match(r'^keel: guest (\d+) "[^"]+" start ', ln)
        if m:
            cur = int(m.group(1))
            blocks[cur] = []
        if cur is not None:
            blocks[cur].append(ln)
            if ln.startswith("keel: exits ") and not cpu_lines:
                cur = None
    return blocks


def stop_of(r, index, guest, cpu_lines=False):
    """(reason, code, block lines) of guest INDEX; fails when it did not
    start or stop. CPU_LINES: as guest_blocks()."""
    block = guest_blocks(r, cpu_lines).get(index)
    start = f'keel: guest {index} "{guest.file}" start kind={guest.kind}'
    if not block or block[0] != start:
        raise AssertionError(f"guest {index} ({guest.label or guest.file}): expected "
                             f"{start!r}\n{r.describe()}")
    for ln in block:
        m = STOP_RE.match(ln)
        if m and int(m.group(1)) == index:
            return m.group(3), (None if m.group(4) is None else int(m.group(4))), block
    raise AssertionError(f"guest {index} ({guest.label or guest.file}) started but has no "
                         f"stop line\n{r.describe()}")


def exits_of(block):
    for ln in block:
        if ln.startswith("keel: exits "):
            return {k: int(v) for k, v in re.findall(r"([a-z][a-z0-9-]*)=(\d+)", ln[12:])}
    return {}


def region_of(r):
    line = assert_line(r, "keel: region base=")
    m = REGION_RE.search(line)
    assert m, f"cannot parse {line!r}\n{r.describe()}"
    base, size, free = int(m.group(1), 16), int(m.group(2)) << 20, int(m.group(3)) << 10
    return base, size, free


def expect_poweroff(r):
    ended_cleanly(r)
    assert_line(r, "keel: poweroff code=0")


def boots_of_keel(r):
    """How often Keel's hypervisor started in this run (1 unless the
    machine was reset behind its back)."""
    return sum(1 for ln in log_lines(r) if ln.startswith("keel: Keel ") and "hypervisor" in ln)


def batches(items, n=MAX_GUESTS):
    return [items[i:i + n] for i in range(0, len(items), n)]


# ---- 1. memory isolation -------------------------------------------------------

# Keel's region (lib/region.h, docs/handoff.md, hv/mem.c): the image (with
# .bss) at the base, the hand-off (64 KiB) right after it, then the heap;
# the loaded files at the top, the first guest's topmost. Once a guest
# stops, its file goes back to the guests after it (`keel: region gave
# ...`): the region's top moves down a page per guest here. hv/mem.c
# paging_init() takes the heap's first pages for Keel's page tables (PML4 first; how many, `keel: paging: ... N
# tables` says: it depends on the CPU's page sizes and the MTRRs); then the
# backend allocates, in this order, SVM: host save area, IOPM (3), MSRPM
# (2), VMCB, host VMCB, NPT root; VMX: VMXON region, I/O bitmaps (2), MSR
# bitmap, VMCS, EPT root.
HANDOFF_SIZE = 64 << 10
PAGE = 4096
VM_CONTROL_PAGE = {"svm": 6, "vmx": 4}      # after Keel's page tables
NESTED_ROOT_PAGE = {"svm": 8, "vmx": 5}
PAGING_RE = re.compile(r"keel: paging: Keel maps .*, (\d+) tables$")


def keel_pt_pages(r):
    """How many pages Keel's own page tables took (hv/mem.c)."""
    m = next((PAGING_RE.search(ln) for ln in log_lines(r) if PAGING_RE.search(ln)), None)
    assert m, f"no `keel: paging:` line\n{r.describe()}"
    return int(m.group(1))
IMAGE_SIZE = 2048               # isolation_access.inc pads every image to this

ACC = {"read": 1, "write": 2, "exec": 3, "walk": 4, "gdt": 5, "ins": 6}
# An instruction fetch is logged as "read" under QEMU's SVM: the NPF error
# code's I/D bit is only set when the host runs with EFER.NXE (as for #PF,
# APM 8.4.2), which Keel does not set.
LOG_ACCESS = {"read": ("read",), "write": ("write",), "exec": ("fetch", "read"),
              "walk": ("read", "write", "fetch"), "gdt": ("read", "write"),
              "ins": ("write",)}
MODES = {"real": ("isolation_real.asm", 0x10000),
         "protected": ("isolation_pm.asm", 0x100000),
         "long": ("isolation_long.asm", 0x100000)}
ABOVE_RAM = 0x140000000         # 5 GiB: no RAM there with -m 512, device space (UC)
CONTROL_RAM = 0x300000          # ordinary guest RAM for the control runs


def image_pages():
    """KEEL.BIN's size in memory (its header's mem_size), in 4 KiB pages."""
    header = keel.read_part1_file(keel.DISK_IMG, "KEEL.BIN")[:32]
    return -(-struct.unpack_from("<I", header, 12)[0] // PAGE)


def region_targets(base, size, nmods, backend, pt_pages):
    """{name: address} of pages of Keel's region for an entry loading
    NMODS files of IMAGE_SIZE bytes each, with PT_PAGES pages of Keel's
    page tables first in the heap. "last" is the region's last page while
    guest 1 runs (guest N: N - 1 pages lower, see last_page())."""
    handoff = base + image_pages() * PAGE
    heap = handoff + HANDOFF_SIZE
    return {
        "image": base,                                  # first page: KEEL.BIN
        "handoff": handoff,                             # Multiboot info
        "file": base + size - nmods * PAGE,             # the last guest's file: the lowest
        "keel-pml4": heap,                              # Keel's own page tables
        "vm-control": heap + (pt_pages + VM_CONTROL_PAGE[backend]) * PAGE,   # VMCB / VMCS
        "nested-root": heap + (pt_pages + NESTED_ROOT_PAGE[backend]) * PAGE,  # NPT / EPT root
        "middle": base + size // 2,
        "last": base + size - PAGE,
    }


def last_page(targets, target, index):
    """TARGET's address for guest INDEX (from 0): the files of the guests
    before it have gone back, so the region's last page is lower."""
    return targets[target] - (index * PAGE if target == "last" else 0)


@dataclass
class Attack:
    mode: str
    access: str
    target: str                 # a region_targets() name, "ram" or "above-ram"

    def guest(self, i, address, control=False):
        asm, load = MODES[self.mode]
        g = Guest(asm, f"ISO{i:02d}.BIN", load, self.mode,
                  {"TARGET": hex(address), "ACCESS": ACC[self.access],
                   "CONTROL": int(control)},
                  f"{self.mode} {self.access} at {self.target} ({address:#x})")
        return g

    def expected_gpa(self, address):
        return address + 0x10 if self.access == "gdt" else address


def attack_matrix(targets, modes=("real", "protected", "long"),
                  accesses=("read", "write", "exec")):
    out = [Attack(m, a, t) for t in targets for m in modes for a in accesses]
    # The CPU's own accesses, once per mode, at Keel's first page.
    out += [Attack("real", "ins", "image"),
            Attack("protected", "walk", "image"), Attack("protected", "gdt", "image"),
            Attack("protected", "ins", "image"),
            Attack("long", "walk", "image"), Attack("long", "gdt", "image")]
    return out


ALL_TARGETS = ("image", "handoff", "file", "keel-pml4", "vm-control", "nested-root",
               "middle", "last")
BOCHS_TARGETS = ("image", "vm-control", "last")


def probe_region(tmp_path, runner):
    """Control boots: the same accesses aimed at ordinary RAM must all
    complete (exit code 0), which shows that the guests do what they claim;
    so must a read and a write above RAM, beyond 4 GiB: device space up to
    the CPU's physical-address width is mapped (UC) like the PCI hole.
    Returns Keel's region and the pages of its page tables from the
    first boot's log."""
    controls = [Attack(m, a, "ram") for m in MODES for a in ("read", "write", "exec")]
    controls += [Attack("real", "ins", "ram"), Attack("protected", "walk", "ram"),
                 Attack("protected", "gdt", "ram"), Attack("protected", "ins", "ram"),
                 Attack("long", "walk", "ram"), Attack("long", "gdt", "ram"),
                 Attack("long", "read", "above-ram"), Attack("long", "write", "above-ram")]
    region = None
    for b, batch in enumerate(batches(controls)):
        guests = [a.guest(i, ABOVE_RAM if a.target == "above-ram" else CONTROL_RAM + i * 0x10000,
                          control=True)
                  for i, a in enumerate(batch)]
        r = runner(build(tmp_path / f"control{b}", guests))
        expect_poweroff(r)
        for i, g in enumerate(guests, 1):
            reason, code, _ = stop_of(r, i, g)
            assert (reason, code) == ("exit-code", 0), \
                (f"control guest {i} ({g.label}) should complete: got {reason} {code}\n"
                 f"{r.describe()}")
        region = region or region_of(r)[:2] + (keel_pt_pages(r),)
    return region


def run_attacks(tmp_path, runner, backend, attacks):
    """Boots the attacks in entries of 8 and checks every one."""
    base, size, pt_pages = probe_region(tmp_path, runner)
    checked = 0
    for b, batch in enumerate(batches(attacks)):
        targets = region_targets(base, size, len(batch), backend, pt_pages)
        guests = [a.guest(i, last_page(targets, a.target, i)) for i, a in enumerate(batch)]
        r = runner(build(tmp_path / f"batch{b}", guests))
        expect_poweroff(r)
        rb, rs, free = region_of(r)
        assert (rb, rs) == (base, size), \
            f"Keel's region moved between boots: {(base, size)} -> {(rb, rs)}\n{r.describe()}"
        heap = targets["file"] - free - keel_pt_pages(r) * PAGE
        assert heap == targets["keel-pml4"], \
            (f"the heap starts at {heap:#x}, not at {targets['keel-pml4']:#x} as the "
             f"layout in this test assumes\n{r.describe()}")
        for i, (a, g) in enumerate(zip(batch, guests), 1):
            addr = last_page(targets, a.target, i - 1)
            reason, code, block = stop_of(r, i, g)
            if reason == "exit-code" and code == 0:
                raise AssertionError(f"ISOLATION BROKEN: guest {i} ({g.label}) completed "
                                     f"its access\n{r.describe()}")
            assert reason == "fault", \
                f"guest {i} ({g.label}): expected reason=fault, got {reason}\n{r.describe()}"
            npf = [NPF_RE.match(ln) for ln in block]
            npf = [m for m in npf if m]
            assert len(npf) == 1, \
                f"guest {i} ({g.label}): expected one fault line\n{r.describe()}"
            kind, gpa = npf[0].group(1), int(npf[0].group(2), 16)
            where = "Keel's region"
            want = a.expected_gpa(addr)
            assert gpa == want and npf[0].group(3) == where and kind in LOG_ACCESS[a.access], \
                (f"guest {i} ({g.label}): expected a {'/'.join(LOG_ACCESS[a.access])} fault "
                 f"at {want:#x} ({where}), got {npf[0].group(0)!r}\n{r.describe()}")
            assert exits_of(block).get("npf") == 1, block
            checked += 1
    assert checked == len(attacks)
    return checked


def qemu(**kw):
    kw.setdefault("timeout", QEMU_TIMEOUT)
    return lambda img: run_qemu(img, **kw)


def bochs(**kw):
    kw.setdefault("timeout", BOCHS_TIMEOUT)
    kw.setdefault("cpu_model", BOCHS_VMX)
    return lambda img: run_bochs(img, **kw)


def test_isolation_qemu_svm(tmp_path):
    """Every page class of Keel's region (image, hand-off, a loaded file,
    Keel's page tables, the VMCB, the NPT root, the middle, the last page)
    read, written and executed from real (unreal), protected and long mode,
    plus the CPU's own accesses (page walk, descriptor load, INS): each is
    a nested-page fault that stops just that guest with the right address;
    Keel runs the next one and powers off."""
    n = run_attacks(tmp_path, qemu(), "svm", attack_matrix(ALL_TARGETS))
    assert n == 8 * 3 * 3 + 6


@pytest.mark.bochs
def test_isolation_bochs_vmx(tmp_path):
    """The same attacks under VT-x with EPT (Bochs Skylake-X) on three page
    classes: Keel's first page, the VMCS page and the last page."""
    n = run_attacks(tmp_path, bochs(), "vmx", attack_matrix(BOCHS_TARGETS))
    assert n == 3 * 3 * 3 + 6


# ---- 2. virtualization instructions, MSRs, the APIC, the other CPUs ------------

INSN = Guest("isolation_insn.asm", "INSN.BIN", 0x100000, "protected", label="VMX/SVM insns")
MSRS = Guest("isolation_msr.asm", "MSR.BIN", 0x100000, "protected", label="VM MSRs")
XSETBV = Guest("isolation_xsetbv.asm", "XSETBV.BIN", 0x100000, "protected", label="XSETBV")
FORGE = Guest("isolation_log_forge.asm", "FORGE.BIN", label="log forging")
HELLO = Guest("hello_real.asm", "HELLO.BIN", label="hello")
HELLO_TEXT = "hello from a real-mode guest"
INSN_NAMES = ["VMXON", "VMXOFF", "VMCLEAR", "VMPTRLD", "VMPTRST", "VMREAD", "VMWRITE",
              "VMLAUNCH", "VMRESUME", "INVEPT", "INVVPID", "VMFUNC", "VMRUN", "VMLOAD",
              "VMSAVE", "STGI", "CLGI", "SKINIT", "INVLPGA", "GETSEC"]
INVLPGA_BIT = 1 << INSN_NAMES.index("INVLPGA")


def apic_guest(region):
    return Guest("isolation_apic_base.asm", "APIC.BIN", 0x100000, "protected",
                 {"REGION": hex(region)}, "APIC base over Keel")


_region_cache = {}


def region_base(tmp_path_factory, emulator):
    """Keel's region for an entry of a few small guests (one probe boot per
    emulator and session)."""
    if emulator not in _region_cache:
        tmp = tmp_path_factory.mktemp(f"probe-{emulator}")
        runner = qemu() if emulator == "qemu" else bochs()
        r = runner(build(tmp, [HELLO]))
        expect_poweroff(r)
        _region_cache[emulator] = region_of(r)[:2]
    return _region_cache[emulator]


_hostile_cache = {}


def hostile_run(tmp_path_factory, emulator):
    """One boot per emulator of INSN, MSR, APIC, FORGE, XSETBV and HELLO,
    shared by the tests below. XSETBV comes last but one: under VT-x it
    took Keel down before f285e65 (KEEL-SEC-3)."""
    if emulator not in _hostile_cache:
        base, size = region_base(tmp_path_factory, emulator)
        guests = [INSN, MSRS, apic_guest(base), FORGE, XSETBV, HELLO]
        tmp = tmp_path_factory.mktemp(f"hostile-{emulator}")
        runner = qemu() if emulator == "qemu" else bochs()
        r = runner(build(tmp, guests))
        assert region_of(r)[:2] == (base, size), r.describe()
        _hostile_cache[emulator] = (r, guests)
    return _hostile_cache[emulator]


def guest_result(r, guests, guest):
    i = [g.file for g in guests].index(guest.file) + 1
    return stop_of(r, i, guests[i - 1])


EMULATORS = [pytest.param("qemu", id="qemu-svm"),
             pytest.param("bochs", id="bochs-vmx", marks=pytest.mark.bochs)]


@pytest.mark.parametrize("emulator", EMULATORS)
def test_virt_insns_raise_ud(tmp_path_factory, emulator):
    """VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH,
    VMRESUME, INVEPT, INVVPID, VMFUNC, VMRUN, VMLOAD, VMSAVE, STGI, CLGI,
    SKINIT (and GETSEC) in a protected-mode guest: each raises #UD in the
    guest (INVLPGA has its own test)."""
    r, guests = hostile_run(tmp_path_factory, emulator)
    reason, code, block = guest_result(r, guests, INSN)
    assert reason == "exit-code", r.describe()
    assert any("insn: 20 tried" in ln for ln in block), r.describe()
    bad = [n for i, n in enumerate(INSN_NAMES) if code & (1 << i) and n != "INVLPGA"]
    assert not bad, f"no #UD for {bad} (exit code {code:#x})\n{r.describe()}"


def test_invlpga_raises_ud_qemu_svm(tmp_path_factory):
    r, guests = hostile_run(tmp_path_factory, "qemu")
    reason, code, _ = guest_result(r, guests, INSN)
    assert reason == "exit-code" and not code & INVLPGA_BIT, r.describe()


SVM_RAX = Guest("svm_insn_rax.asm", "SVMRAX.BIN", 0x100000, "protected",
                label="SVM insns with unaligned rAX")


@pytest.mark.parametrize("emulator", [
    pytest.param("qemu", id="qemu-svm"),
    pytest.param(BOCHS_SVM, id="bochs-svm", marks=pytest.mark.bochs),
    pytest.param(BOCHS_VMX, id="bochs-vmx", marks=pytest.mark.bochs),
])
def test_svm_insns_with_unaligned_rax_raise_ud(tmp_path, emulator):
    """VMRUN, VMLOAD and VMSAVE with rAX not page-aligned (which SVM
    checks before the intercept, raising #GP) raise #UD, as on a CPU
    without SVM; the guest's own #GPs still arrive with their error codes
    (a bad selector, a null SS, INT n past the IDT, a fault while #UD is
    delivered), a #GP while #GP is delivered is a double fault, and a fault
    while that is delivered ends the guest as a triple fault (on AMD-V,
    Keel's #GP intercept combines them as the CPU would)."""
    guest, checks = SVM_RAX, 18
    if emulator == BOCHS_SVM:
        # Bochs 2.7 leaves a stale EXITINTINFO when INT n faults while it
        # is delivered (docs/emulators.md): that one check is left out.
        guest, checks = Guest(SVM_RAX.asm, SVM_RAX.file, SVM_RAX.load, SVM_RAX.mode,
                              {"NO_INT_N": 1}, SVM_RAX.label), 17
    img = build(tmp_path, [guest, HELLO])
    runner = qemu() if emulator == "qemu" else bochs(cpu_model=emulator)
    r = runner(img)
    reason, _, block = stop_of(r, 1, SVM_RAX)
    bad = [ln for ln in block if ln.startswith("keel: [SVMRAX.BIN] svm rax: ") and
           "checks, mask" not in ln]
    assert not bad, "checks failed:\n" + "\n".join(bad) + "\n" + r.describe()
    assert f"keel: [SVMRAX.BIN] svm rax: {checks} checks, mask 0x00000000" in block, \
        r.describe()
    assert reason == "triple-fault", r.describe()
    assert_line(r, f"keel: [HELLO.BIN] {HELLO_TEXT}")
    expect_poweroff(r)


@pytest.mark.parametrize("emulator", EMULATORS)
def test_vm_msrs_refused(tmp_path_factory, emulator):
    """EFER.SVME hidden and not settable; VM_CR and VM_HSAVE_PA #GP;
    IA32_FEATURE_CONTROL reads as locked with VMX off and cannot be
    written; the VMX capability MSRs 480h-491h #GP on read and write
    (46 checks; on AMD the Intel-only MSRs may also read as 0)."""
    r, guests = hostile_run(tmp_path_factory, emulator)
    reason, code, block = guest_result(r, guests, MSRS)
    assert (reason, code) == ("exit-code", 0), \
        f"{code} of the 46 MSR checks failed (lines 'msr ...')\n{r.describe()}"
    assert any("msr: 46 checks" in ln for ln in block), r.describe()


# KEEL-SEC-2 (docs/security.md), fixed: IA32_APIC_BASE was not intercepted
# and a guest could move its LAPIC window over Keel's region.


@pytest.mark.parametrize("emulator", EMULATORS)
def test_apic_base_cannot_cover_keel(tmp_path_factory, emulator):
    """WRMSR IA32_APIC_BASE with Keel's region base must raise #GP."""
    r, guests = hostile_run(tmp_path_factory, emulator)
    reason, code, _ = guest_result(r, guests, guests[2])
    assert (reason, code) == ("exit-code", 0), r.describe()


# KEEL-SEC-3 (docs/security.md), fixed in f285e65: under VT-x a guest's XSETBV
# made Keel run XSETBV with its own CR4.OSXSAVE clear (#UD, Keel FATAL), and
# passed values the CPU refuses on to it.


@pytest.mark.parametrize("emulator", EMULATORS)
def test_xsetbv_refused(tmp_path_factory, emulator):
    """XSETBV with AVX-without-SSE, bit 32, XCR1 or x87 clear raises #GP in
    the guest, XCR0 = 3 works, and Keel runs the next guest (KEEL-SEC-3)."""
    r, guests = hostile_run(tmp_path_factory, emulator)
    assert not fatal_lines(r), r.describe()
    reason, code, _ = guest_result(r, guests, XSETBV)
    assert (reason, code) == ("exit-code", 0), r.describe()
    reason, code, _ = guest_result(r, guests, HELLO)
    assert (reason, code) == ("exit-code", 0), r.describe()
    expect_poweroff(r)


def test_hostile_guests_leave_keel_running_qemu(tmp_path_factory):
    """After the VMX/SVM instructions, the MSRs, the APIC move, the log
    forging and XSETBV, the last guest of the entry still says hello and
    Keel powers off."""
    r, guests = hostile_run(tmp_path_factory, "qemu")
    expect_poweroff(r)
    assert stop_of(r, len(guests), HELLO)[:2] == ("exit-code", 0)
    assert_line(r, f"keel: [HELLO.BIN] {HELLO_TEXT}")


# KEEL-SEC-7 (docs/security.md), fixed: hypercall 1 passed CR/FF/ESC into
# Keel's log and a guest could forge log lines.


def test_guest_output_cannot_forge_log_lines(tmp_path_factory):
    r, guests = hostile_run(tmp_path_factory, "qemu")
    line = next(ln for ln in log_lines(r) if ln.startswith("keel: [FORGE.BIN]"))
    ctl = sorted({f"{ord(c):#04x}" for c in line if ord(c) < 0x20 or ord(c) == 0x7F})
    assert not ctl, f"control bytes {ctl} from the guest in Keel's log line {line!r}"
    assert not [ln for ln in r.log.splitlines() if ln.startswith("keel: FATAL: forged")]


# KEEL-SEC-4 (docs/security.md), fixed: the guest's INIT-SIPI started an AP
# outside Keel that read Keel's region. Now every AP is a vCPU of the
# guest's (docs/cpus.md): the same INIT-SIPI starts it under Keel, where
# its read of Keel's region is a fault like any other.


def sipi_guest(region):
    return Guest("isolation_sipi.asm", "SIPI.BIN", 0x100000, "protected",
                 {"REGION": hex(region)}, "INIT-SIPI to the APs")


def check_sipi(r, guest, base):
    """The AP the guest started ran its code under Keel: its read of
    Keel's region (from unreal mode, no less) is a nested-page fault that
    stops the guest, and the next guest runs."""
    ended_cleanly(r)
    reason, code, block = stop_of(r, 1, guest)
    assert reason == "fault", \
        f"the AP's read of Keel's region was no fault: did it run outside Keel?\n{r.describe()}"
    assert any(NPF_RE.match(ln) and int(NPF_RE.match(ln).group(2), 16) == base and
               NPF_RE.match(ln).group(3) == "Keel's region" for ln in block), r.describe()
    assert stop_of(r, 2, HELLO)[:2] == ("exit-code", 0), r.describe()


def test_guest_sipi_starts_aps_under_keel_qemu(tmp_path, tmp_path_factory):
    """With two CPUs, the guest's INIT-SIPI-SIPI to all other CPUs starts
    the AP at the guest's code under Keel, never outside it."""
    base, _ = region_base(tmp_path_factory, "qemu")
    g = sipi_guest(base)
    r = run_qemu(build(tmp_path, [g, HELLO]), timeout=QEMU_TIMEOUT, extra=("-smp", "2"))
    check_sipi(r, g, base)


@pytest.mark.bochs
def test_guest_sipi_starts_aps_under_keel_bochs(tmp_path, tmp_path_factory):
    """The same under Bochs' Skylake-X with 'cpu: count=2'."""
    base, _ = region_base(tmp_path_factory, "bochs")
    g = sipi_guest(base)
    r = run_bochs(build(tmp_path, [g, HELLO]), cpu_model=BOCHS_VMX, timeout=BOCHS_TIMEOUT,
                  cpus=2)
    check_sipi(r, g, base)


def nmi_ap_guest(region):
    return Guest("isolation_nmi_ap.asm", "NMIAP.BIN", 0x100000, "protected",
                 {"REGION": hex(region)}, "an NMI to an AP through the I/O APIC")


def check_nmi_ap(r, guest, how):
    """tests/guests/isolation_nmi_ap.asm: the AP, which this guest never
    started, took no NMI at the guest's handler: it waits for a start-up
    IPI under Keel (the log says where)."""
    ended_cleanly(r)
    assert_line(r, f"keel: cpus: 1 AP ready, waiting for the guest's INIT-SIPI ({how}")
    reason, code, block = stop_of(r, 1, guest)
    assert (reason, code) == ("exit-code", 0), \
        f"an AP ran the guest's NMI handler outside Keel\n{r.describe()}"
    assert "keel: [NMIAP.BIN] nmi: no AP ran guest code" in block, r.describe()
    assert stop_of(r, 2, HELLO)[:2] == ("exit-code", 0), r.describe()


def test_nmi_cannot_reach_an_ap_qemu(tmp_path, tmp_path_factory):
    """With two CPUs, an NMI routed through the I/O APIC to an AP that
    waits for a start-up IPI must not run guest code there (it waits in
    Keel, with GIF set)."""
    base, _ = region_base(tmp_path_factory, "qemu")
    g = nmi_ap_guest(base)
    r = run_qemu(build(tmp_path, [g, HELLO]), timeout=QEMU_TIMEOUT, extra=("-smp", "2"))
    check_nmi_ap(r, g, "in Keel with GIF set")


@pytest.mark.bochs
@pytest.mark.parametrize("model,how", [(BOCHS_VMX, "in Keel"), (BOCHS_SVM, "in Keel with GIF set")])
def test_nmi_cannot_reach_an_ap_bochs(tmp_path, tmp_path_factory, model, how):
    """The same under Bochs with 'cpu: count=2', on both vendors (Bochs
    2.7's VT-x keeps INITs pending, so its APs wait in Keel too)."""
    base, _ = region_base(tmp_path_factory, "bochs")
    g = nmi_ap_guest(base)
    r = run_bochs(build(tmp_path, [g, HELLO]), cpu_model=model, timeout=BOCHS_TIMEOUT, cpus=2)
    check_nmi_ap(r, g, how)


LAPIC = Guest("lapic_writes.asm", "LAPIC.BIN", 0x100000, "long",
              label="local APIC writes through Keel")


def check_lapic(r):
    """tests/guests/lapic_writes.asm: 14 checks of APIC writes Keel does for
    the guest, then an INC it does not emulate, which stops the guest."""
    ended_cleanly(r)
    reason, code, block = stop_of(r, 1, LAPIC)
    assert (reason, code) != ("exit-code", 77), \
        f"Keel let an APIC write it cannot decode through\n{r.describe()}"
    assert reason == "fault", f"check {code} failed (tests/guests/lapic_writes.asm)\n{r.describe()}"
    assert "keel: [LAPIC.BIN] lapic: 14 checks" in block, r.describe()
    assert any("does not emulate" in ln and "ff 83 80 00 00 00" in ln for ln in block), r.describe()
    assert stop_of(r, 2, HELLO)[:2] == ("exit-code", 0), r.describe()


def test_lapic_writes_qemu(tmp_path):
    check_lapic(run_qemu(build(tmp_path, [LAPIC, HELLO]), timeout=QEMU_TIMEOUT))


@pytest.mark.bochs
def test_lapic_writes_bochs(tmp_path):
    check_lapic(run_bochs(build(tmp_path, [LAPIC, HELLO]), cpu_model=BOCHS_VMX,
                          timeout=BOCHS_TIMEOUT))


X2APIC = Guest("x2apic.asm", "X2APIC.BIN", 0x100000, "long",
               label="x2APIC registers through Keel")


def run_x2apic(r):
    """tests/guests/x2apic.asm ran to exit code 0 and HELLO after it;
    returns its line."""
    ended_cleanly(r)
    reason, code, block = stop_of(r, 1, X2APIC)
    assert (reason, code) == ("exit-code", 0), \
        f"check {code} failed (tests/guests/x2apic.asm)\n{r.describe()}"
    assert stop_of(r, 2, HELLO)[:2] == ("exit-code", 0), r.describe()
    return next(ln for ln in block if ln.startswith("keel: [X2APIC.BIN] x2apic: "))


def test_x2apic_qemu(tmp_path):
    """QEMU 7.2's TCG offers no x2APIC: the guest says so and Keel hides
    nothing it should not (the check runs where x2APIC exists: Bochs)."""
    line = run_x2apic(run_qemu(build(tmp_path, [X2APIC, HELLO]), timeout=QEMU_TIMEOUT))
    assert line.endswith(("x2apic: not offered", "x2apic: 7 checks")), line


@pytest.mark.bochs
def test_x2apic_bochs(tmp_path):
    """Bochs' Skylake-X has x2APIC: the ICR and LVT MSRs go through Keel, a
    reserved ICR bit is #GP in the guest (not a fault in Keel), an INIT in
    LINT0 is masked, a self-IPI arrives, INIT-SIPI to others is dropped,
    and IA32_APIC_BASE mode changes follow the SDM."""
    r = run_bochs(build(tmp_path, [X2APIC, HELLO]), cpu_model=BOCHS_VMX, timeout=BOCHS_TIMEOUT)
    assert run_x2apic(r) == "keel: [X2APIC.BIN] x2apic: 7 checks", r.describe()


INIT_SELF = Guest("isolation_init_self.asm", "INIT.BIN", 0x100000, "protected",
                  label="INIT to itself")


def check_init_self(r):
    ended_cleanly(r)
    assert boots_of_keel(r) == 1, \
        f"Keel started twice: the guest's INIT reset the machine\n{r.describe()}"
    reason, code, block = stop_of(r, 1, INIT_SELF)
    assert reason == "reset", r.describe()
    assert any("guest reset request: INIT IPI to its own CPU" in ln for ln in block), r.describe()
    assert stop_of(r, 2, HELLO)[:2] == ("exit-code", 0), \
        f"the guest after the INIT did not run\n{r.describe()}"
    expect_poweroff(r)


def test_self_init_stays_in_keel_qemu(tmp_path):
    check_init_self(run_qemu(build(tmp_path, [INIT_SELF, HELLO]), timeout=QEMU_TIMEOUT))


@pytest.mark.bochs
def test_self_init_stays_in_keel_bochs(tmp_path):
    check_init_self(run_bochs(build(tmp_path, [INIT_SELF, HELLO]), cpu_model=BOCHS_VMX,
                              timeout=BOCHS_TIMEOUT))


RESET_METHODS = {
    1: ("port 0x92 bit 0", True),
    2: ("keyboard controller command 0xf0", True),
    3: ("keyboard controller output port (0xd1, then bit 0 clear)", True),
    4: ("16-bit OUT 0xcf8 with 0x06 in the 0xcf9 byte", False),
    5: ("16-bit OUT 0x64 with 0xfe in the low byte", True),
}
RESET_IDS = {1: "port92", 2: "kbc-f0", 3: "kbc-d1-outport", 4: "outw-cf8", 5: "outw-64"}
# KEEL-SEC-6 (docs/security.md), fixed: port 0x92, KBC 0xF0-0xFE/0xD1 and
# 16-bit writes used to reset the machine behind Keel's back.


@pytest.mark.parametrize("method", [pytest.param(m, id=RESET_IDS[m]) for m in RESET_METHODS])
def test_reset_request_stays_in_keel(tmp_path, method):
    """A guest's reset request never resets the machine (DESIGN.md): Keel
    stops the guest with reason=reset, or the platform ignores the write
    and the guest goes on; either way the next guest runs."""
    g = Guest("isolation_reset.asm", "RESET.BIN", defines={"METHOD": method},
              label=RESET_METHODS[method][0])
    r = run_qemu(build(tmp_path, [g, HELLO]), timeout=QEMU_TIMEOUT)
    ended_cleanly(r)
    assert boots_of_keel(r) == 1, r.describe()
    reason, code, _ = stop_of(r, 1, g)
    assert reason == "reset" or (reason, code) == ("exit-code", 0), r.describe()
    assert stop_of(r, 2, HELLO)[:2] == ("exit-code", 0), r.describe()
    expect_poweroff(r)


# ---- 5. bad input end to end (what tests/test_bad_input.py does not cover) -----

def fat16_layout(image):
    """Offsets of partition 1's FATs, root directory and data area."""
    with open(image, "rb") as f:
        f.seek(keel.PART1_OFFSET)
        bs = f.read(512)
    bps, = struct.unpack_from("<H", bs, 11)
    spc, rsvd, nfats = bs[13], struct.unpack_from("<H", bs, 14)[0], bs[16]
    root_ents, = struct.unpack_from("<H", bs, 17)
    fat_sectors, = struct.unpack_from("<H", bs, 22)
    assert bps == 512 and fat_sectors, "partition 1 is not the FAT16 volume disk.img.mk makes"
    total = struct.unpack_from("<H", bs, 19)[0] or struct.unpack_from("<I", bs, 32)[0]
    fat = keel.PART1_OFFSET + rsvd * bps
    root = fat + nfats * fat_sectors * bps
    data_sectors = total - rsvd - nfats * fat_sectors - (root_ents * 32 + bps - 1) // bps
    return {"fat": fat, "fat_bytes": fat_sectors * bps, "nfats": nfats, "root": root,
            "root_entries": root_ents, "cluster_bytes": spc * bps,
            "clusters": data_sectors // spc}


def fat16_entry(image, name):
    """(offset of the directory entry, first cluster, size) of NAME in the
    root directory of partition 1."""
    lay = fat16_layout(image)
    base, ext = (name.split(".") + [""])[:2]
    want = base.ljust(8).encode() + ext.ljust(3).encode()
    with open(image, "rb") as f:
        f.seek(lay["root"])
        root = f.read(lay["root_entries"] * 32)
    for i in range(lay["root_entries"]):
        e = root[i * 32:(i + 1) * 32]
        if e[:11] == want:
            return lay["root"] + i * 32, struct.unpack_from("<H", e, 26)[0], \
                struct.unpack_from("<I", e, 28)[0]
    raise AssertionError(f"{name} not in partition 1's root directory")


def fat16_set(image, cluster, value):
    """Sets FAT entry CLUSTER to VALUE in every FAT copy."""
    lay = fat16_layout(image)
    for k in range(lay["nfats"]):
        keel.write_at(image, lay["fat"] + k * lay["fat_bytes"] + cluster * 2,
                      struct.pack("<H", value))


def free_cluster(image):
    lay = fat16_layout(image)
    with open(image, "rb") as f:
        f.seek(lay["fat"])
        fat = f.read(lay["fat_bytes"])
    for c in range(lay["clusters"] + 1, 2, -1):
        if struct.unpack_from("<H", fat, c * 2)[0] == 0:
            return c
    raise AssertionError("no free cluster")


def corrupt_loop(name):
    def patch(img):
        _, c, _ = fat16_entry(img, name)
        fat16_set(img, c, c)                    # the cluster links to itself
    return patch


def corrupt_free_link(name):
    def patch(img):
        _, c, _ = fat16_entry(img, name)
        fat16_set(img, c, free_cluster(img))    # ... to a free cluster
    return patch


def corrupt_size(name, size):
    def patch(img):
        off, _, _ = fat16_entry(img, name)
        keel.write_at(img, off + 28, struct.pack("<I", size))
    return patch


def corrupt_first_cluster(name, cluster):
    def patch(img):
        off, _, _ = fat16_entry(img, name)
        keel.write_at(img, off + 26, struct.pack("<H", cluster))
    return patch


GOOD_CFG = 'timeout 0\nentry "Bad FAT"\n  guest flat file=HELLO.BIN load=0x10000\n'
FAT_CASES = [
    ("cfg-loop", corrupt_loop("KEEL.CFG"), "KEEL.CFG: corrupt cluster chain"),
    ("cfg-free-link", corrupt_free_link("KEEL.CFG"), "KEEL.CFG: corrupt cluster chain"),
    ("guest-loop", corrupt_loop("HELLO.BIN"),
     "HELLO.BIN: corrupt cluster chain"),
    ("guest-size-beyond-chain", corrupt_size("HELLO.BIN", 200000),
     "HELLO.BIN: corrupt cluster chain"),
    ("guest-first-cluster-out-of-range", corrupt_first_cluster("HELLO.BIN", 0xFFF0),
     "HELLO.BIN: corrupt cluster chain"),
    ("keel-bin-loop", corrupt_loop("KEEL.BIN"), "KEEL.BIN: corrupt cluster chain"),
    ("keel-bin-free-cluster-0", corrupt_first_cluster("KEEL.BIN", 0),
     "KEEL.BIN: corrupt cluster chain"),
]


@pytest.mark.parametrize("patch,words", [c[1:] for c in FAT_CASES],
                         ids=[c[0] for c in FAT_CASES])
def test_corrupt_fat(image, patch, words):
    """A corrupt cluster chain (a loop, a link to a free cluster, a size the
    chain cannot hold, a first cluster out of range or 0) stops stage 2 with
    one FATAL line naming the file, never a hang or a wild read."""
    r = run_qemu(image(cfg_text=GOOD_CFG, patch=patch), timeout=10)
    assert_fatal(r, words, status=QEMU_EXIT_STAGE2_FATAL)
    assert_no_line(r, "keel: entering long mode")


def test_memory_16_mib(image):
    """-m 16: no room for Keel's region above 16 MiB: stage 2 says so."""
    r = run_qemu(image(cfg_text=GOOD_CFG), timeout=10, mem="16")
    assert_fatal(r, "not enough memory: Keel needs", status=QEMU_EXIT_STAGE2_FATAL)
    assert_no_line(r, "keel: entering long mode")


@pytest.mark.skip(reason="VM_CR.SVMDIS cannot be set from outside: QEMU 7.2 has no VM_CR "
                  "(its TCG reads unknown MSRs as 0) and Bochs 2.7 offers no option for it; "
                  "hv/cpu.c's check of VM_CR.SVMDIS is covered by reading the code only")
def test_svm_disabled_by_firmware():
    pass


def multiboot_at(tmp_path, address):
    """tests/guests/multiboot_elf.asm linked to load at ADDRESS."""
    obj, elf = tmp_path / "mb.o", tmp_path / "MBKEEL.ELF"
    for cmd in (["nasm", "-f", "elf32", f"-I{GUESTS}/", str(GUESTS / "multiboot_elf.asm"),
                 "-o", str(obj)],
                ["ld", "-m", "elf_i386", f"-Ttext-segment={address:#x}", "-e", "start", str(obj),
                 "-o", str(elf)]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout}{r.stderr}"
    return elf


def test_guests_loaded_over_keel_are_refused(tmp_path, tmp_path_factory):
    """KEEL.CFG cannot place a guest over Keel: a flat image at the region's
    base, one that straddles its first byte, one in the PCI hole and one in
    the BIOS ROM under 4 GiB, a Multiboot kernel linked at the region's
    base, a "Linux kernel" that is no bzImage and a "floppy image" of 113
    bytes each stop with reason=load-error and exits=0, and the last guest
    still says hello."""
    base, size = region_base(tmp_path_factory, "qemu")
    mb = multiboot_at(tmp_path, base)
    pad = Guest("isolation_pm.asm", "PAD.BIN", 0, "protected",
                {"TARGET": hex(CONTROL_RAM), "ACCESS": 1, "CONTROL": 1})
    pad_bin = assemble(pad, tmp_path)      # IMAGE_SIZE bytes
    guests = [
        Guest("", "PAD.BIN", base, "protected", label="flat at the region base"),
        Guest("", "PAD2.BIN", base - IMAGE_SIZE // 2, "protected",
              label="flat across the region's first byte"),
        Guest("", "PAD3.BIN", 0xF0000000, "protected", label="flat in the PCI hole"),
        Guest("", "PAD4.BIN", 0xFFFFF000, "protected", label="flat in the BIOS ROM"),
        Guest("", "MBKEEL.ELF", label="multiboot at the region base", kind="multiboot",
              line="guest multiboot file=MBKEEL.ELF"),
        Guest("", "HELLO.BIN", label="linux kernel that is no bzImage", kind="linux",
              line="guest linux kernel=HELLO.BIN"),
        Guest("", "FLOPPY.IMG", label="bios image of 113 bytes", kind="bios",
              line="guest bios image=FLOPPY.IMG"),
        Guest("hello_real.asm", "HELLO2.BIN", label="hello"),
    ]
    files = {"PAD.BIN": pad_bin, "PAD2.BIN": pad_bin, "PAD3.BIN": pad_bin,
             "PAD4.BIN": pad_bin, "MBKEEL.ELF": mb,
             "HELLO.BIN": assemble(HELLO, tmp_path), "FLOPPY.IMG": assemble(HELLO, tmp_path)}
    r = run_qemu(build(tmp_path, guests, files=files), timeout=QEMU_TIMEOUT)
    expect_poweroff(r)
    assert region_of(r)[:2] == (base, size), r.describe()
    for i, g in enumerate(guests[:-1], 1):
        reason, code, block = stop_of(r, i, g)
        if i <= 5:      # the flat and Multiboot loaders say why
            assert any("is not guest RAM" in ln for ln in block), \
                f"guest {i} ({g.label}): no 'is not guest RAM' line\n{r.describe()}"
        assert reason == "load-error", \
            f"guest {i} ({g.label}): expected reason=load-error, got {reason}\n{r.describe()}"
    assert stop_of(r, len(guests), guests[-1])[:2] == ("exit-code", 0), r.describe()
    assert not [ln for ln in log_lines(r) if "fault" in ln], r.describe()


# ---- 6. guests that fault, halt, spin or reset ----------------------------------

CLI_LOOP = Guest("isolation_cli_loop.asm", "CLILOOP.BIN", label="cli; jmp $")
TRIPLE = Guest("triple_fault.asm", "TRIPLE.BIN", label="triple fault")
HLT_CLI = Guest("hlt_cli.asm", "HLTCLI.BIN", label="hlt with interrupts off")
RESET_CF9 = Guest("reset_cf9.asm", "RESETCF9.BIN", label="reset through 0xcf9")
SPIN_SECONDS = 3


def test_cli_spin_holds_the_cpu(tmp_path):
    """Under SVM a guest that spins with interrupts off keeps the CPU:
    nothing in the loop exits and SVM has no preemption timer, so Keel
    never runs again and the next guest never starts. This is the
    documented limit on AMD (docs/security.md, "What Keel does not
    protect"), measured here: after the guest's line, SPIN_SECONDS of
    silence with the emulator still running, no stop line and no second
    boot. (VT-x: test_cli_spin_stopped_by_watchdog_vmx.)"""
    r = run_qemu(build(tmp_path, [CLI_LOOP, HELLO]), timeout=SPIN_SECONDS)
    assert r.timed_out, f"the spinning guest ended the run\n{r.describe()}"
    assert_line(r, "keel: [CLILOOP.BIN] spinning with interrupts off")
    assert not fatal_lines(r), r.describe()
    assert_no_line(r, 'keel: guest 1 "CLILOOP.BIN" stop')
    assert_no_line(r, 'keel: guest 2 "HELLO.BIN" start')
    assert boots_of_keel(r) == 1


@pytest.mark.bochs
def test_cli_spin_stopped_by_watchdog_vmx(tmp_path):
    """Under VT-x a guest line may ask for a watchdog (watchdog=SECONDS;
    none otherwise): the VMX-preemption timer gives Keel the CPU back, and
    after a second with interrupts off and no exit the spinning guest
    stops with reason=stuck and the next guest runs (a few seconds under
    Bochs). tests/test_cpu.py shows busy guests that are not stopped."""
    spin = Guest(CLI_LOOP.asm, CLI_LOOP.file, label=CLI_LOOP.label,
                 line="guest flat file=CLILOOP.BIN load=0x10000 watchdog=1")
    r = run_bochs(build(tmp_path, [spin, HELLO]), cpu_model=BOCHS_VMX, timeout=BOCHS_TIMEOUT)
    assert_line(r, "watchdog=preemption-timer")
    assert_line(r, "keel: guest looped with interrupts off and no exit for 1 s (watchdog=1")
    assert stop_of(r, 1, spin)[0] == "stuck", r.describe()
    assert stop_of(r, 2, HELLO)[:2] == ("exit-code", 0), r.describe()
    expect_poweroff(r)


def test_faulting_guests_hand_over(tmp_path):
    """A triple fault, HLT with interrupts off and a 0xCF9 reset each stop
    their guest with their own reason, between hostile guests, and the
    last guest runs."""
    guests = [TRIPLE, HLT_CLI, RESET_CF9, HELLO]
    r = run_qemu(build(tmp_path, guests), timeout=QEMU_TIMEOUT)
    expect_poweroff(r)
    assert [stop_of(r, i, g)[0] for i, g in enumerate(guests, 1)] == \
        ["triple-fault", "hlt", "reset", "exit-code"], r.describe()


STORM_SECONDS = 6
STORM_MIN_RESTARTS = 20
STORM_MAX_BYTES_PER_ROUND = 1024


def test_reset_storm_stays_bounded(tmp_path):
    """A reset (0xCF9) and a triple fault, then `after restart`, as fast as
    Keel can restart them, for STORM_SECONDS: Keel keeps running (no
    FATAL, no second boot, the run only ends at the time limit), restarts
    at least STORM_MIN_RESTARTS times, and every round adds the same few
    log lines (at most STORM_MAX_BYTES_PER_ROUND bytes): nothing grows per
    round. Keel's heap is printed only once (`region ... heap=N KiB free`),
    so its use per round cannot be seen yet: docs/security.md proposes a
    `heap=` field on each start line and a restart limit."""
    r = run_qemu(build(tmp_path, [RESET_CF9, TRIPLE], after="restart"), timeout=STORM_SECONDS)
    assert r.timed_out, f"the storm ended the run\n{r.describe()[:4000]}"
    assert not fatal_lines(r) and boots_of_keel(r) == 1, r.describe()[:4000]
    lines = log_lines(r)
    marks = [i for i, ln in enumerate(lines) if ln == "keel: after: restart"]
    assert len(marks) >= STORM_MIN_RESTARTS, \
        f"only {len(marks)} restarts in {STORM_SECONDS} s\n{r.describe()[:4000]}"
    rounds = [lines[a + 1:b + 1] for a, b in zip(marks, marks[1:])]
    sizes = {sum(len(ln) + 1 for ln in rd) for rd in rounds}
    shapes = {tuple(re.sub(r"0x[0-9a-f]+|\d+", "N", ln) for ln in rd) for rd in rounds}
    assert len(shapes) == 1, f"rounds differ: {shapes}"
    assert max(sizes) <= STORM_MAX_BYTES_PER_ROUND and max(sizes) - min(sizes) <= 16, sizes


# ---- 3. the fuzz guest ----------------------------------------------------------

# `make test` runs FUZZ_COUNT sequences per mode from a fixed seed; tools/fuzz.sh
# guest N SEED runs these tests with KEEL_FUZZ_COUNT and KEEL_FUZZ_SEED set.
FUZZ_SEED = int(os.environ.get("KEEL_FUZZ_SEED", "1"))
FUZZ_COUNT = int(os.environ.get("KEEL_FUZZ_COUNT", "300"))
FUZZ_QEMU_TIMEOUT = 30 + FUZZ_COUNT // 200          # QEMU: ~1000 sequences/s per mode
FUZZ_BOCHS_TIMEOUT = 60 + FUZZ_COUNT // 50          # Bochs: ~300 sequences/s per mode
FUZZ_RE = re.compile(r"fuzz: mode=(\w+) seed=(\d+) sequences=(\d+) instructions=(\d+) "
                     r"exceptions=(\d+) hypercalls=(\d+)")


def fuzz_guests(seed=FUZZ_SEED, count=FUZZ_COUNT, xsetbv=1):
    d = {"SEED": seed, "COUNT": count, "XSETBV": xsetbv}
    return [Guest("fuzz_guest.asm", "FUZZPM.BIN", 0x100000, "protected", dict(d),
                  "fuzz, protected mode"),
            Guest("fuzz_guest.asm", "FUZZLM.BIN", 0x100000, "long", dict(d, LONG=1),
                  "fuzz, long mode")]


def check_fuzz(r, guests, count):
    """Both fuzz guests ran COUNT sequences and exited with 0, the guest
    after them says hello, Keel powered off; returns the summaries."""
    ended_cleanly(r)
    out = []
    for i, g in enumerate(guests, 1):
        reason, code, block = stop_of(r, i, g)
        assert (reason, code) == ("exit-code", 0), \
            f"{g.label}: expected exit code 0, got {reason} {code}\n{r.describe()[-6000:]}"
        m = [FUZZ_RE.search(ln) for ln in block]
        m = [x for x in m if x]
        assert m and int(m[0].group(3)) == count, r.describe()[-6000:]
        out.append(m[0])
    assert stop_of(r, len(guests) + 1, HELLO)[:2] == ("exit-code", 0)
    expect_poweroff(r)
    return out


def test_fuzz_guest_qemu_svm(tmp_path):
    """FUZZ_COUNT random sequences in protected and in long mode (fixed
    seed): Keel survives every one, the guests' summaries come out and
    the next guest runs."""
    guests = fuzz_guests()
    r = run_qemu(build(tmp_path, guests + [HELLO]), timeout=FUZZ_QEMU_TIMEOUT)
    for m in check_fuzz(r, guests, FUZZ_COUNT):
        assert int(m.group(5)) > 0 and int(m.group(6)) > 0, m.group(0)


@pytest.mark.bochs
def test_fuzz_guest_bochs_vmx(tmp_path):
    """The same under VT-x, XSETBV left out (the next test adds it)."""
    guests = fuzz_guests(xsetbv=0)
    r = run_bochs(build(tmp_path, guests + [HELLO]), cpu_model=BOCHS_VMX,
                  timeout=FUZZ_BOCHS_TIMEOUT)
    check_fuzz(r, guests, FUZZ_COUNT)


@pytest.mark.bochs
def test_fuzz_guest_bochs_vmx_with_xsetbv(tmp_path):
    """With XSETBV in the mix (under VT-x every XSETBV exits to Keel): the
    fuzz guest found KEEL-SEC-3 in its first sequences before f285e65."""
    guests = fuzz_guests()
    r = run_bochs(build(tmp_path, guests + [HELLO]), cpu_model=BOCHS_VMX,
                  timeout=FUZZ_BOCHS_TIMEOUT)
    check_fuzz(r, guests, FUZZ_COUNT)
