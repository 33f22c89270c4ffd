"""Your own kernel under Keel in one command (docs/image-tool.md):
`make run GUEST=path` (and run-bochs, run-kvm) with each kind of guest
Keel recognises, the exit status it ends with, a file of no known kind;
tools/keel-run's statuses; `make gdb` in batch mode.

Each test runs make as a user would, with its own image and log
(GUEST_IMG=, GUEST_LOG=) so that tests may run side by side, and a time
limit (TIMEOUT=, which keel-run enforces, and one on make itself)."""
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pexpect
import pytest

from keel import ROOT, GUESTS, Guest, assemble, bochs_missing

BUILD = ROOT / "build"
LINUX = BUILD / "linux"
TOOLS = ROOT / "tools"
MAKE_LIMIT = 120                # seconds for make itself (builds nothing: make ran first)


def make(tmp_path, target, timeout=30, env=None, **variables):
    """`make TARGET VAR=value ...` in the tree, its guest image and log in
    TMP_PATH; returns the CompletedProcess (stdout, stderr as text)."""
    cmd = ["make", "-s", "--no-print-directory", "-C", str(ROOT), target,
           f"GUEST_IMG={tmp_path / 'guest.img'}", f"GUEST_LOG={tmp_path / 'keel.log'}",
           f"TIMEOUT={timeout}"]
    cmd += [f"{k}={v}" for k, v in variables.items()]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=MAKE_LIMIT,
                       env=env)
    r.stdout, r.stderr = (s.decode("latin-1").replace("\r\n", "\n") for s in (r.stdout, r.stderr))
    r.cmd = " ".join(cmd)
    return r


def describe(r):
    return (f"--- command: {r.cmd}\n--- status {r.returncode}\n--- stdout:\n{r.stdout}"
            f"\n--- stderr:\n{r.stderr}")


def expect(r, status, *texts, where="stdout"):
    """Status STATUS and every one of TEXTS in stdout (or stderr)."""
    out = r.stdout if where == "stdout" else r.stderr
    missing = [t for t in texts if t not in out]
    if r.returncode != status or missing:
        raise AssertionError(f"expected status {status} and {missing or texts!r} in {where}\n"
                             f"{describe(r)}")


def assert_each_keel_line_once(r):
    """keel-run merges COM1 and the debug port: a line Keel wrote to both
    is shown once."""
    seen = Counter(line for line in r.stdout.splitlines() if line.startswith("keel: "))
    twice = [line for line, n in seen.items() if n > 1]
    assert not twice, f"shown more than once: {twice}\n{describe(r)}"


# ---- guests ------------------------------------------------------------------------

def multiboot_kernels(tmp_path):
    """An ELF Multiboot kernel and an a.out-kludge one expecting
    cmdline "hello world" (the kernels of tests/test_multiboot.py)."""
    elf, obj, aout = tmp_path / "mbelf.elf", tmp_path / "mbelf.o", tmp_path / "mbinfo.bin"
    subprocess.run(["nasm", "-f", "elf32", f"-I{GUESTS}/", str(GUESTS / "multiboot_elf.asm"),
                    "-o", str(obj)], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext-segment=0x100000", "-e", "start",
                    str(obj), "-o", str(elf)], check=True)
    subprocess.run(["nasm", "-f", "bin", f"-I{GUESTS}/", '-DEXPECT_CMDLINE="hello world"',
                    str(GUESTS / "multiboot_info.asm"), "-o", str(aout)], check=True)
    return elf, aout


def floppy(tmp_path, code=3):
    """A 1.44 MB floppy image whose boot sector exits with CODE."""
    img = assemble(Guest("bootsector_exit.asm", "floppy.img", defines={"EXIT_CODE": code}),
                   tmp_path)
    with open(img, "r+b") as f:
        f.truncate(1474560)
    return img


def flat(tmp_path, asm, name):
    return assemble(Guest(asm, name), tmp_path)


# ---- make run GUEST= -------------------------------------------------------------

def test_make_run_multiboot_elf(tmp_path):
    elf, _ = multiboot_kernels(tmp_path)
    r = make(tmp_path, "run", GUEST=elf)
    expect(r, 0, 'keel: guest 1 "MBELF.ELF" start kind=multiboot',
           "keel: [MBELF.ELF] multiboot elf ok",
           'keel: guest 1 "MBELF.ELF" stop reason=exit-code code=0')
    assert "keel: menu: 1)" not in r.stdout, "a menu was shown\n" + describe(r)
    assert_each_keel_line_once(r)
    # The debug port's lines come between COM1's, in Keel's order.
    lines = r.stdout.splitlines()
    assert lines.index("keel: [MBELF.ELF] multiboot elf ok") < \
        [i for i, line in enumerate(lines) if "stop reason=" in line][0] < \
        lines.index("keel: poweroff code=0"), describe(r)


def test_make_run_uefi_multiboot_elf(tmp_path):
    """run-uefi GUEST=: the same kernel through OVMF and Keel's EFI loader
    (docs/disk.md "Two ways in"), the same result."""
    if not any(Path(p).exists() for p in ("/usr/share/OVMF/OVMF_CODE_4M.fd",
                                          "/usr/share/OVMF/OVMF_CODE.fd")):
        pytest.skip("OVMF is missing (apt-get install ovmf): run-uefi cannot run")
    elf, _ = multiboot_kernels(tmp_path)
    r = make(tmp_path, "run-uefi", timeout=60, GUEST=elf)
    expect(r, 0, "keel: efi loader on UEFI firmware",
           'keel: guest 1 "MBELF.ELF" start kind=multiboot', "keel: [MBELF.ELF] multiboot elf ok",
           'keel: guest 1 "MBELF.ELF" stop reason=exit-code code=0')
    assert_each_keel_line_once(r)


def test_make_run_aout_kludge_with_cmdline(tmp_path):
    _, aout = multiboot_kernels(tmp_path)
    r = make(tmp_path, "run", GUEST=aout, CMDLINE="hello world")
    expect(r, 0, "kind=multiboot", "keel: [MBINFO.BIN] multiboot: cmdline=hello world mmap",
           "stop reason=exit-code code=0")


def test_make_run_flat_with_load_mode_and_trace(tmp_path):
    binary = flat(tmp_path, "hello_real.asm", "hello.bin")
    r = make(tmp_path, "run", GUEST=binary, LOAD="0x10000", MODE="real", TRACE=2)
    expect(r, 0, 'keel: guest 1 "HELLO.BIN" start kind=flat',
           "keel: trace 1 cpuid rip=0x7 cs.base=0x10000 leaf=0x0 subleaf=0x0",
           "keel: trace 2 hypercall ", "keel: trace: the first 2 exits were logged",
           "keel: [HELLO.BIN] hello from a real-mode guest")


def test_make_run_floppy_image_exit_code(tmp_path):
    img = floppy(tmp_path, code=3)
    r = make(tmp_path, "run", GUEST=img)
    # make itself exits 2 when a command fails; it names keel-run's status.
    expect(r, 2, 'keel: guest 1 "FLOPPY.IMG" start kind=bios',
           "keel: [FLOPPY.IMG] hello from a boot sector")
    expect(r, 2, 'keel-run: keel: guest 1 "FLOPPY.IMG" stop reason=exit-code code=3',
           "Error 3", where="stderr")
    # The image make wrote, run by keel-run alone: the code is the status.
    k = subprocess.run([sys.executable, str(TOOLS / "keel-run"), "--timeout", "30",
                        str(tmp_path / "guest.img")], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert k.returncode == 3, f"keel-run: status {k.returncode}\n{k.stdout}\n{k.stderr}"


def test_make_run_bzimage_initrd_cmdline(tmp_path):
    if not (LINUX / "vmlinuz").exists() or not (LINUX / "initrd.gz").exists():
        pytest.skip("build/linux has no kernel and initramfs (make linux)")
    r = make(tmp_path, "run", timeout=90, GUEST=LINUX / "vmlinuz",
             INITRD=LINUX / "initrd.gz", CMDLINE="console=ttyS0 keeltest=1")
    # keeltest=1: /init prints the marker and powers the machine off.
    expect(r, 0, 'keel: guest 1 "VMLINUZ" start kind=linux', "KEEL-LINUX-MARKER",
           'keel: guest 1 "VMLINUZ" stop reason=poweroff')
    assert "keel-run:" not in r.stderr, describe(r)


@pytest.mark.full
def test_make_run_linux_shell_by_hand(tmp_path):
    """A person at the terminal: Linux's shell on COM1, a command typed,
    then poweroff -f; make ends with status 0."""
    if not (LINUX / "vmlinuz").exists():
        pytest.skip("build/linux has no kernel and initramfs (make linux)")
    child = pexpect.spawn("make", ["-s", "--no-print-directory", "-C", str(ROOT), "run",
                                   f"GUEST={LINUX / 'vmlinuz'}", f"INITRD={LINUX / 'initrd.gz'}",
                                   f"GUEST_IMG={tmp_path / 'guest.img'}",
                                   f"GUEST_LOG={tmp_path / 'keel.log'}", "TIMEOUT=120"],
                          timeout=90, encoding="latin-1")
    try:
        child.expect("KEEL-LINUX-MARKER")
        child.expect(r"# ")
        child.sendline("echo sum=$((6*7))")
        child.expect("sum=42")
        child.sendline("poweroff -f")
        child.expect('stop reason=poweroff')
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, f"make ended with {child.exitstatus}\n{child.before}"


def test_make_run_file_of_no_known_kind(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 40)
    r = make(tmp_path, "run", GUEST=junk)
    lines = [line for line in r.stderr.splitlines() if line.startswith("keel-image:")]
    assert r.returncode != 0 and len(lines) == 1, describe(r)
    for words in ("not a guest Keel can place", "Multiboot header", "first 8 KiB",
                  "bzImage", "0x55AA at byte 510", "LOAD= and MODE="):
        assert words in lines[0], f"{words!r} not in {lines[0]!r}"
    assert "keel: stage2" not in r.stdout, "an emulator ran\n" + describe(r)


def test_make_run_flat_needs_load_and_mode(tmp_path):
    binary = flat(tmp_path, "hello_real.asm", "hello.bin")
    r = make(tmp_path, "run", GUEST=binary, LOAD="0x10000")
    expect(r, 2, "keel-image:", "needs both a load address and a mode", where="stderr")


def test_make_run_bad_value_names_the_line(tmp_path):
    """What Keel's parser refuses, make run refuses before booting,
    naming KEEL.CFG's line: a real-mode load that is not 16-byte aligned."""
    binary = flat(tmp_path, "hello_real.asm", "hello.bin")
    r = make(tmp_path, "run", GUEST=binary, LOAD="0x10001", MODE="real")
    expect(r, 2, "keel-image: KEEL.CFG:5: load 0x10001 is not 16-byte aligned "
           "(needed for mode=real)", where="stderr")


def cpus_known():
    r = subprocess.run([str(BUILD / "tools" / "keel-cfgcheck"), "-"], capture_output=True,
                       input=b"entry A\n guest flat file=A load=0x10000 cpus=1\n")
    return r.returncode == 0


def test_make_run_cpus_passes_through(tmp_path):
    """CPUS=N becomes cpus=N on the guest line. Until Keel's parser knows
    the key (issue 14), its own error shows; then the guest runs."""
    binary = flat(tmp_path, "hello_real.asm", "hello.bin")
    r = make(tmp_path, "run", GUEST=binary, LOAD="0x10000", MODE="real", CPUS=2)
    if cpus_known():
        expect(r, 0, "stop reason=exit-code code=0")
    else:
        expect(r, 2, "keel-image: KEEL.CFG:5: unknown key 'cpus' for guest flat",
               where="stderr")


@pytest.mark.bochs
def test_make_run_bochs_vmx(tmp_path):
    if bochs_missing():
        pytest.skip(bochs_missing())
    elf, _ = multiboot_kernels(tmp_path)
    r = make(tmp_path, "run-bochs", timeout=90, GUEST=elf, TRACE=1)
    expect(r, 0, "keel: cpu vendor=Intel backend=vmx", "keel: trace 1 cpuid rip=0x",
           "keel: [MBELF.ELF] multiboot elf ok", "stop reason=exit-code code=0")
    assert "Bochs x86 Emulator" not in r.stdout, describe(r)
    assert_each_keel_line_once(r)


def test_make_run_kvm(tmp_path):
    """run-kvm GUEST=: tools/run-kvm.sh's checks against a fake KVM host
    (tests/test_where.py) and, for QEMU, a stub that runs it without KVM
    (-cpu max for -cpu host): the rest of the path is the real one."""
    from test_where import FakeKvmHost
    host = FakeKvmHost(tmp_path, vendor="AuthenticAMD")
    host.qemu.write_text(
        "#!/usr/bin/python3\nimport os, sys\nout, a = [], sys.argv[1:]\n"
        "while a:\n"
        "    x = a.pop(0)\n"
        "    if x == '-enable-kvm': continue\n"
        "    if x == '-cpu' and a[0] == 'host': a.pop(0); out += ['-cpu', 'max']; continue\n"
        "    out.append(x)\n"
        "os.execvp('qemu-system-x86_64', ['qemu-system-x86_64'] + out)\n")
    binary = flat(tmp_path, "hello_real.asm", "hello.bin")
    r = make(tmp_path, "run-kvm", env=host.env(), GUEST=binary, LOAD="0x10000", MODE="real")
    expect(r, 0, "keel: [HELLO.BIN] hello from a real-mode guest", "stop reason=exit-code code=0")
    # Without a usable /dev/kvm the check's line shows and nothing boots.
    r = make(tmp_path, "run-kvm", env=host.env(KVM_DEV=tmp_path / "nokvm"), GUEST=binary,
             LOAD="0x10000", MODE="real")
    assert r.returncode != 0 and "run-kvm: " in r.stderr and "KVM is off" in r.stderr, describe(r)


# ---- keel-run's statuses ----------------------------------------------------------

def keel_image(tmp_path, binary, *extra):
    img = tmp_path / f"{Path(binary).stem}.img"
    subprocess.run([sys.executable, str(TOOLS / "keel-image"), "create", str(img), "--guest",
                    str(binary), *extra], check=True, capture_output=True)
    return img


def keel_run(img, *args, timeout=30):
    r = subprocess.run([sys.executable, str(TOOLS / "keel-run"), "--timeout", str(timeout),
                        *args, str(img)], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout + 30)
    r.stdout, r.stderr = (s.decode("latin-1") for s in (r.stdout, r.stderr))
    r.cmd = f"keel-run {img}"
    return r


def test_keel_run_statuses(tmp_path):
    real = ("--load", "0x10000", "--mode", "real")
    # HLT with interrupts off: stopped otherwise, 125, the stop line last.
    r = keel_run(keel_image(tmp_path, flat(tmp_path, "hlt_cli.asm", "hltcli.bin"), *real))
    expect(r, 125, "keel-run: keel: guest 1 \"HLTCLI.BIN\" stop reason=hlt", where="stderr")
    # Hypercall 0x84000008 (power off): a clean end, 0.
    r = keel_run(keel_image(tmp_path, flat(tmp_path, "poweroff.asm", "poweroff.bin"), *real))
    expect(r, 0, "stop reason=poweroff")
    # A guest that never stops: the time limit, 124.
    loop = tmp_path / "loop.bin"
    loop.write_bytes(b"\xeb\xfe")          # jmp $
    r = keel_run(keel_image(tmp_path, loop, *real), timeout=3)
    expect(r, 124, "keel-run: no guest stopped within --timeout 3", where="stderr")
    # A kernel's own test harness ending QEMU through isa-debug-exit (port
    # 0xF4 is not Keel's): its value is the status.
    dbgexit = tmp_path / "dbgexit.bin"
    dbgexit.write_bytes(b"\xb0\x05\xe6\xf4\xeb\xfe")   # mov al, 5; out 0xf4, al; jmp $
    r = keel_run(keel_image(tmp_path, dbgexit, *real))
    expect(r, 5, "keel-run: the guest wrote 0x5 to isa-debug-exit (port 0xf4): QEMU ended "
           "with status 11", where="stderr")


def test_keel_run_fatal(tmp_path):
    """A stage-2 FATAL (KEEL.CFG names a file that is not there): 126 and
    the FATAL line."""
    binary = flat(tmp_path, "hello_real.asm", "hello.bin")
    img = keel_image(tmp_path, binary, "--load", "0x10000", "--mode", "real")
    subprocess.run([sys.executable, str(TOOLS / "keel-image"), "config", str(img),
                    "timeout 0", "entry X", "guest flat file=GONE.BIN load=0x10000"],
                   check=True, capture_output=True)
    r = keel_run(img)
    expect(r, 126, "keel-run: keel: FATAL: GONE.BIN", where="stderr")


# ---- make gdb -----------------------------------------------------------------------

def gdb_batch(tmp_path, script, **variables):
    (tmp_path / "t.gdb").write_text(script)
    return make(tmp_path, "gdb", GDB_ARGS=f"-nx -batch -x {tmp_path / 't.gdb'}", **variables)


def test_make_gdb_stops_at_dispatcher_on_cpuid(tmp_path):
    binary = flat(tmp_path, "hello_real.asm", "hello.bin")
    r = gdb_batch(tmp_path, "continue\ncontinue\n"
                  "while e->kind != VMEXIT_CPUID\n  continue\nend\n"
                  "keel-exit\np e->kind\nkill\n",
                  GUEST=binary, LOAD="0x10000", MODE="real")
    expect(r, 0, "Temporary breakpoint 1, 0xffffffff8", "in svm_vmrun ()",
           "Breakpoint 3, exit_dispatch (v=", "VMEXIT_CPUID code=0x72 info1=0x0",
           "$1 = VMEXIT_CPUID")
    first = r.stdout.index("svm_vmrun ()")
    assert first < r.stdout.index("exit_dispatch (v="), describe(r)


def test_make_gdb_guest_symbols(tmp_path):
    """GUEST= an ELF kernel: its symbols too; a breakpoint at its entry
    stops inside the guest, with the Multiboot magic in EAX."""
    elf, _ = multiboot_kernels(tmp_path)
    r = gdb_batch(tmp_path, "hbreak start\ncontinue\ncontinue\np/x $eax\ninfo symbol $pc\nkill\n",
                  GUEST=elf)
    expect(r, 0, "in start ()", "= 0x2badb002", "start in section .text of")
    assert re.search(r"Breakpoint \d+, 0x0+10100c in start \(\)", r.stdout), describe(r)
