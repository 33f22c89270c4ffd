"""Where Keel runs besides `make run` (DESIGN.md "Where it runs").

- tools/run-kvm.sh (`make run-kvm`, docs/kvm.md): each check on a host
  that cannot run Keel under KVM, driven with fake /dev/kvm, sysfs and
  /proc/cpuinfo files, and the QEMU command line it starts (a stub QEMU
  records it). This machine has no usable KVM, so no test boots Keel
  under KVM.
- tools/usb-write.sh (`make usb DEV=...`, docs/hardware.md): every
  refusal against a fake sysfs tree and scratch files standing in for
  disks, two refusals against this machine's real disks, a write and
  its read-back check, a corrupted read-back; then the written "stick"
  boots Keel under QEMU as a USB mass-storage device.
- The Bochs debugger walk of docs/debugging.md, run non-interactively on
  a DEBUG_ENTRY=1 build: the magic breakpoint before VM entry, a step
  over VMLAUNCH/VMRUN to the guest's first instruction at 1000:0000, and
  Keel's entry-failure dump after a VM entry made to fail on purpose.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import keel
from keel import QEMU_EXIT_POWEROFF, assert_lines_in_order, assert_status, make_image

ROOT = keel.ROOT
RUN_KVM = ROOT / "tools" / "run-kvm.sh"
USB_WRITE = ROOT / "tools" / "usb-write.sh"

SCRIPT_TIMEOUT = 30             # seconds for one run of a tools/ script
QEMU_TIMEOUT = 15
BOCHS_TIMEOUT = 60
BUILD_TIMEOUT = 600

HELLO_CFG = """timeout 0
default 1

entry "Test guest: real-mode hello"
  guest flat file=HELLO.BIN load=0x10000 mode=real
  after poweroff
"""
HELLO = "hello from a real-mode guest"


def run_script(cmd, env, timeout=SCRIPT_TIMEOUT, **kw):
    r = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=timeout, **kw)
    r.described = (f"--- command: {' '.join(map(str, cmd))}\n--- status {r.returncode}\n"
                   f"--- stdout:\n{r.stdout}--- stderr:\n{r.stderr}")
    return r


def assert_one_line(r, prefix, status, *words, stream="stderr", only_from=None):
    """Asserts exit STATUS and that STREAM holds exactly one line, starting
    with PREFIX and containing every one of WORDS; returns the line. With
    ONLY_FROM, lines not starting with it (dd's statistics) are ignored,
    and the line must also be the last."""
    lines = getattr(r, stream).splitlines()
    if only_from is not None:
        if lines and not lines[-1].startswith(only_from):
            lines.append("(not the last line)")
        lines = [ln for ln in lines if ln.startswith(only_from)]
    problems = []
    if r.returncode != status:
        problems.append(f"expected exit status {status}")
    if len(lines) != 1 or not lines[0].startswith(prefix):
        problems.append(f"expected exactly one {stream} line starting with {prefix!r}, "
                        f"saw {len(lines)} lines")
    else:
        missing = [w for w in words if w not in lines[0]]
        if missing:
            problems.append(f"the line lacks {missing!r}")
    if problems:
        raise AssertionError("; ".join(problems) + f"\n{r.described}")
    return lines[0]


# ---- tools/run-kvm.sh ------------------------------------------------------

CPU_FLAGS = {"GenuineIntel": "fpu vme de pse tsc msr pae mce cx8 apic vmx ept lm",
             "AuthenticAMD": "fpu vme de pse tsc msr pae mce cx8 apic svm npt lm"}
MODULE = {"GenuineIntel": "kvm_intel", "AuthenticAMD": "kvm_amd"}


class FakeKvmHost:
    """A /dev/kvm, /sys and /proc/cpuinfo for run-kvm.sh, in a directory
    everyone may enter (the unusable-device test runs as nobody)."""

    def __init__(self, base, vendor="GenuineIntel", flags=None, nested="Y",
                 module=True, device=True):
        self.dir = Path(tempfile.mkdtemp(prefix="kvmhost.", dir=base))
        self.dir.chmod(0o755)
        self.kvm = self.dir / "kvm"
        if device:
            self.kvm.write_bytes(b"")
            self.kvm.chmod(0o666)
        self.sysfs = self.dir / "sys"
        mod = self.sysfs / "module" / MODULE.get(vendor, "kvm_intel")
        (self.sysfs / "module" / "kvm" / "parameters").mkdir(parents=True)
        if module:
            (mod / "parameters").mkdir(parents=True)
            if nested is not None:
                (mod / "parameters" / "nested").write_text(nested + "\n")
        self.cpuinfo = self.dir / "cpuinfo"
        flags = CPU_FLAGS.get(vendor, CPU_FLAGS["GenuineIntel"]) if flags is None else flags
        cpu = (f"processor\t: 0\nvendor_id\t: {vendor}\ncpu family\t: 6\n"
               f"model name\t: a fake CPU\nflags\t\t: {flags}\n\n")
        self.cpuinfo.write_text(cpu + cpu.replace(": 0\n", ": 1\n", 1))
        for p in (self.sysfs, self.cpuinfo):
            subprocess.run(["chmod", "-R", "a+rX", str(p)], check=True)
        self.image = self.dir / "disk.img"
        self.image.write_bytes(b"\0" * 512)
        self.args_file = self.dir / "qemu.args"
        self.qemu = self.dir / "qemu-stub"
        self.qemu.write_text("#!/bin/sh\n"
                             f"printf '%s\\n' \"$@\" > '{self.args_file}'\n"
                             "exit 1\n")
        self.qemu.chmod(0o755)

    def env(self, **kw):
        env = dict(os.environ, KVM_DEV=str(self.kvm), SYSFS_ROOT=str(self.sysfs),
                   CPUINFO=str(self.cpuinfo), QEMU_BIN=str(self.qemu))
        env.update({k: str(v) for k, v in kw.items()})
        return env

    def run(self, *args, prefix=(), **kw):
        return run_script([*prefix, RUN_KVM, *args], self.env(**kw))


def test_run_kvm_on_this_machine():
    """The real host: run-kvm.sh --check either passes (a host that can run
    Keel under KVM) or names the first missing piece in one line."""
    r = run_script([RUN_KVM, "--check"], dict(os.environ))
    if r.returncode == 0:
        pytest.skip("this host passes every check: boot Keel with make run-kvm")
    assert_one_line(r, "run-kvm: ", 2)


@pytest.mark.parametrize("vendor,words", [
    ("GenuineIntel", ["is missing", "VT-x", "modprobe kvm_intel"]),
    ("AuthenticAMD", ["is missing", "AMD-V", "modprobe kvm_amd"]),
    ("CentaurHauls", ["is missing", "modprobe kvm_intel", "modprobe kvm_amd"]),
])
def test_run_kvm_no_device(tmp_path, vendor, words):
    host = FakeKvmHost(tmp_path, vendor=vendor, device=False)
    assert_one_line(host.run(), "run-kvm: ", 2, str(host.kvm), *words)
    assert not host.args_file.exists()


@pytest.fixture
def public_tmp():
    """A scratch directory outside pytest's (which only its owner may
    enter), for files another user must reach."""
    d = Path(tempfile.mkdtemp(prefix="keel-where."))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_run_kvm_device_not_usable(public_tmp):
    host = FakeKvmHost(public_tmp)
    host.kvm.chmod(0o600)
    prefix = ()
    if os.geteuid() == 0:
        # Root opens any file: run the check as nobody.
        if shutil.which("setpriv") is None:
            pytest.skip("running as root and setpriv (util-linux) is missing")
        prefix = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    line = assert_one_line(host.run(prefix=prefix), "run-kvm: ", 2, "is not usable by",
                           "group kvm", "usermod -aG kvm")
    assert "-rw-------" in line, line


def test_run_kvm_unknown_vendor(tmp_path):
    host = FakeKvmHost(tmp_path, vendor="CentaurHauls")
    assert_one_line(host.run(), "run-kvm: ", 2, "CentaurHauls",
                    "neither GenuineIntel nor AuthenticAMD")


@pytest.mark.parametrize("vendor,flag", [("GenuineIntel", "vmx"), ("AuthenticAMD", "svm")])
def test_run_kvm_cpu_without_flag(tmp_path, vendor, flag):
    host = FakeKvmHost(tmp_path, vendor=vendor, flags="fpu vme pae lm hypervisor")
    assert_one_line(host.run(), "run-kvm: ", 2, f"no {flag} flag", "firmware")


@pytest.mark.parametrize("vendor", ["GenuineIntel", "AuthenticAMD"])
def test_run_kvm_module_not_loaded(tmp_path, vendor):
    host = FakeKvmHost(tmp_path, vendor=vendor, module=False)
    assert_one_line(host.run(), "run-kvm: ", 2, f"{MODULE[vendor]} is not loaded",
                    f"modprobe {MODULE[vendor]}")


@pytest.mark.parametrize("vendor,nested", [("GenuineIntel", "N"), ("AuthenticAMD", "0")])
def test_run_kvm_nested_off(tmp_path, vendor, nested):
    host = FakeKvmHost(tmp_path, vendor=vendor, nested=nested)
    mod = MODULE[vendor]
    assert_one_line(host.run(), "run-kvm: ", 2, "nested virtualization is off",
                    f"nested = {nested}",
                    f'echo "options {mod} nested=1" > /etc/modprobe.d/kvm-nested.conf',
                    f"modprobe -r {mod} && modprobe {mod}")
    assert not host.args_file.exists()


def test_run_kvm_missing_image(tmp_path):
    host = FakeKvmHost(tmp_path)
    assert_one_line(host.run(tmp_path / "none.img"), "run-kvm: ", 2, "none.img is missing",
                    "make")


def test_run_kvm_check_only(tmp_path):
    host = FakeKvmHost(tmp_path)
    r = host.run("--check")
    assert r.returncode == 0 and not r.stdout and not r.stderr, r.described
    assert not host.args_file.exists()


@pytest.mark.parametrize("vendor,nested", [("GenuineIntel", "Y"), ("AuthenticAMD", "1")])
def test_run_kvm_starts_qemu_with_kvm(tmp_path, vendor, nested):
    """All checks pass: QEMU gets KVM, the host CPU and make run's devices,
    and its status (the stub's 1, as for Keel's poweroff) is passed on."""
    host = FakeKvmHost(tmp_path, vendor=vendor, nested=nested)
    r = host.run(host.image)
    assert r.returncode == 1 and not r.stderr, r.described
    args = host.args_file.read_text().splitlines()
    joined = " ".join(args)
    for want in ["-enable-kvm", "-cpu host", "-m 1024", "-no-reboot", "-display none",
                 "-serial mon:stdio", f"-drive file={host.image},format=raw,if=ide",
                 f"-debugcon file:{host.dir}/keel.log",
                 "-device isa-debug-exit,iobase=0xf4,iosize=4"]:
        assert want in joined, f"QEMU was not given {want!r}; it got: {args!r}"


# ---- tools/usb-write.sh: refusals and the write --------------------------

STICK_BYTES = 8 * 1000 ** 3     # what the fake sysfs says an 8 GB stick holds
IMAGE_BYTES = 3 * 1024 * 1024 + 4096    # not a multiple of dd's 4 MiB blocks


class FakeMachine:
    """A sysfs tree, /dev directory, mount table and swap list for
    usb-write.sh. Disks are regular files in dev/ (USB_WRITE_ALLOW_FILE=1).
    The system lives on vdq (partition 1 on /, 2 on /boot), which is not
    the disk under test unless a test says so."""

    def __init__(self, base):
        self.base = Path(base)
        self.sys = self.base / "sys"
        self.dev = self.base / "dev"
        self.dev.mkdir(parents=True)
        self.mounts = self.base / "mounts"
        self.swaps = self.base / "swaps"
        self.mount_lines = ["sysfs /sys sysfs rw,nosuid 0 0", "proc /proc proc rw 0 0",
                            "/dev/vdq1 / ext4 rw,relatime 0 0",
                            "/dev/vdq2 /boot ext4 rw,relatime 0 0"]
        self.swap_lines = []
        self.disk("vdq", removable=0, parts=(1, 2), model="Fake system disk", vendor="")
        self.image = self.base / "disk.img"
        self.image.write_bytes((bytes(range(251)) * (IMAGE_BYTES // 251 + 1))[:IMAGE_BYTES])

    def disk(self, name, size=STICK_BYTES, removable=1, parts=(), model="Cruzer Blade",
             vendor="SanDisk", file_bytes=None):
        """A whole disk NAME with partitions PARTS; returns its dev/ file."""
        d = self.sys / "devices" / "pci0000:00" / "usb1" / "block" / name
        (d / "device").mkdir(parents=True)
        (d / "removable").write_text(f"{removable}\n")
        (d / "size").write_text(f"{size // 512}\n")
        (d / "device" / "model").write_text(f"{model:<16}\n")
        (d / "device" / "vendor").write_text(f"{vendor:<8}\n")
        self._link(self.sys / "block" / name, d)
        self._link(self.sys / "class" / "block" / name, d)
        dev = self.dev / name
        with open(dev, "wb") as f:
            f.truncate(IMAGE_BYTES * 2 if file_bytes is None else file_bytes)
        for p in parts:
            pd = d / f"{name}{p}"
            pd.mkdir()
            (pd / "partition").write_text(f"{p}\n")
            (pd / "size").write_text("2048\n")
            self._link(self.sys / "class" / "block" / f"{name}{p}", pd)
            (self.dev / f"{name}{p}").write_bytes(b"")
        return dev

    def device_mapper(self, index, mapper_name, slaves):
        """dm-INDEX (LVM or LUKS) on SLAVES, with /dev/mapper/MAPPER_NAME."""
        d = self.sys / "devices" / "virtual" / "block" / f"dm-{index}"
        (d / "slaves").mkdir(parents=True)
        for s in slaves:
            self._link(d / "slaves" / s, (self.sys / "class" / "block" / s).resolve())
        self._link(self.sys / "class" / "block" / f"dm-{index}", d)
        (self.dev / f"dm-{index}").write_bytes(b"")
        (self.dev / "mapper").mkdir(exist_ok=True)
        os.symlink(f"../dm-{index}", self.dev / "mapper" / mapper_name)

    @staticmethod
    def _link(link, target):
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(target, link.parent), link)

    def env(self, **kw):
        self.mounts.write_text("\n".join(self.mount_lines) + "\n")
        self.swaps.write_text("Filename\tType\tSize\tUsed\tPriority\n" +
                              "".join(line + "\n" for line in self.swap_lines))
        env = {k: v for k, v in os.environ.items() if k not in ("CONFIRM", "DD")}
        env.update(SYS_ROOT=str(self.sys), MOUNTS_FILE=str(self.mounts),
                   SWAPS_FILE=str(self.swaps), DEV_ROOT=str(self.dev),
                   USB_WRITE_ALLOW_FILE="1")
        env.update({k: str(v) for k, v in kw.items()})
        return env

    def run(self, dev, image=None, **kw):
        return run_script([USB_WRITE, dev, image or self.image], self.env(**kw))


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path)


def assert_refused(r, *words, target=None):
    """Status 2, one stderr line "usb-write: refused: ...", and TARGET (a
    scratch disk) still all zeros."""
    line = assert_one_line(r, "usb-write: refused: ", 2, *words, "nothing was written")
    if target is not None and Path(target).is_file():
        data = Path(target).read_bytes()
        assert data.count(0) == len(data), f"{target} was written to\n{r.described}"
    return line


def test_usb_write_needs_a_device(machine):
    r = run_script([USB_WRITE], machine.env())
    assert_refused(r, "no device given", "make usb DEV=/dev/sdX")
    # make usb DEV= passes an empty word.
    assert_refused(machine.run(""), "no device given")


def test_usb_write_missing_device(machine):
    assert_refused(machine.run(machine.dev / "sdy"), "does not exist")


def test_usb_write_missing_image(machine):
    dev = machine.disk("sdz")
    assert_refused(machine.run(dev, machine.base / "none.img"), "none.img is missing",
                   target=dev)


def test_usb_write_regular_file_is_not_a_device(machine):
    dev = machine.disk("sdz")
    r = machine.run(dev, USB_WRITE_ALLOW_FILE="0", CONFIRM="yes")
    assert_refused(r, "is not a block device", target=dev)


def test_usb_write_character_device(machine):
    assert_refused(machine.run("/dev/null", CONFIRM="yes"), "/dev/null is not a block device")


def test_usb_write_unknown_to_the_kernel(machine):
    dev = machine.dev / "sdx"
    dev.write_bytes(b"\0" * 1024)
    assert_refused(machine.run(dev, CONFIRM="yes"), "lists no block device sdx",
                   target=dev)


def test_usb_write_partition(machine):
    machine.disk("sdz", parts=(1,))
    r = machine.run(machine.dev / "sdz1", CONFIRM="yes")
    assert_refused(r, "is partition 1 of /dev/sdz", "not a whole disk", "DEV=/dev/sdz")


@pytest.mark.parametrize("mount_line", [
    "/dev/sdz2 / ext4 rw 0 0",
    "/dev/sdz1 /boot vfat rw 0 0",
    "/dev/mapper/vg-root / ext4 rw 0 0",        # LVM or LUKS on sdz2
], ids=["root", "boot", "root-on-device-mapper"])
def test_usb_write_system_disk(machine, mount_line):
    """A disk the running system lives on, even when it is removable (a
    system booted from a USB stick)."""
    dev = machine.disk("sdz", parts=(1, 2))
    machine.device_mapper(0, "vg-root", ["sdz2"])
    machine.mount_lines = [line for line in machine.mount_lines
                           if line.split()[1] not in (mount_line.split()[1],)]
    machine.mount_lines.append(mount_line)
    assert_refused(machine.run(dev, CONFIRM="yes"), "holds the running system", target=dev)


def test_usb_write_mounted_partition(machine):
    dev = machine.disk("sdz", parts=(1,))
    machine.mount_lines.append("/dev/sdz1 /media/user/STICK vfat rw,nosuid 0 0")
    assert_refused(machine.run(dev, CONFIRM="yes"), "is in use",
                   "/dev/sdz1 is mounted on /media/user/STICK", "umount /dev/sdz1",
                   target=dev)


def test_usb_write_mounted_whole_disk(machine):
    dev = machine.disk("sdz")
    machine.mount_lines.append("/dev/sdz /mnt vfat rw 0 0")
    assert_refused(machine.run(dev, CONFIRM="yes"), "/dev/sdz is mounted on /mnt",
                   target=dev)


def test_usb_write_swap(machine):
    dev = machine.disk("sdz", parts=(1, 2))
    machine.swap_lines.append("/dev/sdz2\tpartition\t1048572\t0\t-2")
    assert_refused(machine.run(dev, CONFIRM="yes"), "/dev/sdz2 is active swap", target=dev)


def test_usb_write_not_removable(machine):
    dev = machine.disk("sdz", removable=0)
    assert_refused(machine.run(dev, CONFIRM="yes"), "is not removable", "removable = 0",
                   target=dev)


def test_usb_write_no_medium(machine):
    dev = machine.disk("sdz", size=0)
    assert_refused(machine.run(dev, CONFIRM="yes"), "has no medium", target=dev)


def test_usb_write_disk_too_small(machine):
    dev = machine.disk("sdz", size=IMAGE_BYTES // 2)
    assert_refused(machine.run(dev, CONFIRM="yes"), "less than the image", target=dev)


def test_usb_write_not_confirmed(machine):
    """No CONFIRM=yes and no terminal: refused, after showing the disk."""
    dev = machine.disk("sdz")
    r = machine.run(dev)
    assert_refused(r, "not confirmed", "CONFIRM=yes", target=dev)
    assert "SanDisk Cruzer Blade, 8.0 GB, 7.5 GiB (8000000000 bytes)" in r.stdout, r.described
    r = machine.run(dev, CONFIRM="y")
    assert_refused(r, "not confirmed", target=dev)


def _spawn(machine, dev, **kw):
    pexpect = pytest.importorskip("pexpect")
    env = machine.env(**kw)
    return pexpect.spawn(str(USB_WRITE), [str(dev), str(machine.image)], env=env,
                         encoding="latin-1", timeout=SCRIPT_TIMEOUT)


def test_usb_write_typed_answer_other_than_yes(machine):
    import pexpect
    dev = machine.disk("sdz")
    p = _spawn(machine, dev)
    p.expect("type yes to write ")
    p.sendline("y")
    p.expect(pexpect.EOF)
    p.close()
    out = p.before
    assert p.exitstatus == 2, out
    assert "refused: not confirmed (the answer was 'y', not 'yes')" in out, out
    assert Path(dev).read_bytes().count(0) == Path(dev).stat().st_size


def test_usb_write_typed_yes(machine):
    import pexpect
    dev = machine.disk("sdz")
    p = _spawn(machine, dev)
    p.expect("type yes to write ")
    p.sendline("yes")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0, p.before
    assert Path(dev).read_bytes()[:IMAGE_BYTES] == machine.image.read_bytes()


def test_usb_write_writes_and_verifies(machine):
    dev = machine.disk("sdz", parts=(1,))
    before = Path(dev).stat().st_size
    r = machine.run(dev, CONFIRM="yes")
    assert r.returncode == 0, r.described
    assert "SanDisk Cruzer Blade, 8.0 GB" in r.stdout, r.described
    assert f"wrote and verified {IMAGE_BYTES} bytes on {dev}" in r.stdout, r.described
    data = Path(dev).read_bytes()
    assert data[:IMAGE_BYTES] == machine.image.read_bytes()
    # conv=notrunc: a disk keeps its size (a file standing in for one, too).
    assert len(data) == before


def test_usb_write_corrupted_read_back(machine):
    """A dd that leaves one wrong byte: the read-back check catches it."""
    dev = machine.disk("sdz")
    bad_dd = machine.base / "bad-dd"
    bad_dd.write_text('#!/bin/sh\n'
                      'dd "$@" || exit\n'
                      'for a; do case $a in of=*) out=${a#of=} ;; esac; done\n'
                      'printf K | dd of="$out" bs=1 seek=4097 conv=notrunc status=none\n')
    bad_dd.chmod(0o755)
    r = machine.run(dev, CONFIRM="yes", DD=bad_dd)
    assert_one_line(r, "usb-write: verify failed: ", 1, f"{dev} does not hold the image",
                    "differ: byte 4098", only_from="usb-write: ")


def test_usb_write_dd_fails(machine):
    dev = machine.disk("sdz")
    r = machine.run(dev, CONFIRM="yes", DD="false")
    assert_one_line(r, "usb-write: dd failed writing ", 1, "will not boot",
                    only_from="usb-write: ")


# The real machine: no override but a dd that cannot write (`false`).

def _real_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("SYS_ROOT", "MOUNTS_FILE", "SWAPS_FILE", "DEV_ROOT",
                        "USB_WRITE_ALLOW_FILE", "CONFIRM")}
    env["DD"] = "false"
    return env


def _whole_disk_of(path):
    st = os.stat(path)
    node = Path(f"/sys/dev/block/{os.major(st.st_dev)}:{os.minor(st.st_dev)}")
    if not node.exists():
        return None
    node = node.resolve()
    if (node / "partition").exists():
        node = node.parent
    return node.name


def test_usb_write_real_system_disk(machine):
    name = _whole_disk_of("/")
    if name is None or not Path(f"/dev/{name}").is_block_device():
        pytest.skip("/ is not on a block device here (overlay, btrfs, ...)")
    r = run_script([USB_WRITE, f"/dev/{name}", machine.image], _real_env())
    assert_refused(r, f"/dev/{name} holds the running system")


def test_usb_write_real_fixed_disk():
    """A loop device: a real block device, not mounted, not removable."""
    loop = Path("/dev/loop0")
    if not loop.is_block_device() or not Path("/sys/block/loop0/removable").exists():
        pytest.skip("no /dev/loop0 here")
    if Path("/sys/block/loop0/removable").read_text().strip() != "0":
        pytest.skip("/dev/loop0 says it is removable")
    if _whole_disk_of("/") == "loop0":
        pytest.skip("the system lives on loop0")
    img = Path(tempfile.mkdtemp()) / "disk.img"
    img.write_bytes(b"\0" * 4096)
    try:
        r = run_script([USB_WRITE, loop, img], _real_env())
    finally:
        shutil.rmtree(img.parent)
    if "is in use" in r.stderr:
        pytest.skip(f"/dev/loop0 is in use here: {r.stderr.strip()}")
    assert_refused(r, "/dev/loop0 is not removable")


# ---- booting Keel from USB storage (QEMU) -----------------------------------

USB_CONTROLLERS = {"xhci": "qemu-xhci", "ehci": "usb-ehci"}


def run_qemu_usb(stick, controller, timeout=QEMU_TIMEOUT):
    """Boots STICK as a USB mass-storage device on CONTROLLER, with no
    IDE disk (run_qemu() always attaches one), under the same time limit
    and log polling as keel.run_qemu()."""
    if keel.QEMU is None:
        pytest.skip("qemu-system-x86_64 not installed (apt-get install qemu-system-x86)")
    stick = Path(stick).resolve()
    work = keel._workdir(stick, f"qemu-usb-{controller}")
    log, ser = work / "debugcon.log", work / "com1.log"
    cmd = [keel.QEMU, "-cpu", "max", "-m", "512",
           "-device", f"{USB_CONTROLLERS[controller]},id=hc",
           "-device", "usb-storage,bus=hc.0,drive=u,bootindex=1",
           "-drive", f"if=none,id=u,file={stick},format=raw",
           "-debugcon", f"file:{log}", "-serial", f"file:{ser}",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
           "-display", "none", "-no-reboot", "-nic", "none"]
    result = keel.Result(f"qemu (USB {controller})", cmd, work)
    t0 = time.monotonic()
    with open(work / "qemu.stderr", "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        try:
            keel._run(result, proc, keel._LogWatcher(log, t0), timeout)
        finally:
            keel._stop(proc)
    result.serial = keel._read(ser)
    result.extra = keel._read(work / "qemu.stderr")
    return result


@pytest.mark.parametrize("controller", sorted(USB_CONTROLLERS))
def test_usb_stick_boots_keel(disk_img, tmp_path, controller):
    """make usb's path end to end: usb-write.sh writes an image to a
    256 MiB "stick", and QEMU's SeaBIOS boots the stick from USB (no other
    disk): stage 2 reads the FAT partition through the BIOS, the SVM
    backend runs the guest, Keel powers off."""
    image = make_image(tmp_path, cfg_text=HELLO_CFG, src=disk_img)
    machine = FakeMachine(tmp_path / "machine")
    stick = machine.disk("sdz", size=256 << 20, file_bytes=256 << 20)
    r = machine.run(stick, image, CONFIRM="yes")
    assert r.returncode == 0, r.described
    result = run_qemu_usb(stick, controller)
    assert_lines_in_order(result, [
        "keel: stage2 boot drive 0x80",
        "keel: loaded HELLO.BIN",
        "keel: cpu vendor=AMD backend=svm",
        'keel: guest 1 "HELLO.BIN" start kind=flat',
        f"keel: [HELLO.BIN] {HELLO}",
        'keel: guest 1 "HELLO.BIN" stop reason=exit-code code=0 exits=',
        "keel: poweroff code=0"])
    assert_status(result, QEMU_EXIT_POWEROFF)


# ---- the Bochs debugger walk (docs/debugging.md) -----------------------------

ENTRY_INSNS = {"vmx": "vmlaunch", "svm": "vmrun"}
BOCHS_MODELS = {"corei7_skylake_x": "vmx", "zambezi": "svm"}
VENDOR_LINE = {"vmx": "keel: cpu vendor=Intel backend=vmx",
               "svm": "keel: cpu vendor=AMD backend=svm"}
VMCB_GUEST_ASID = 0x58          # svm/vmcb.h


@pytest.fixture(scope="module")
def debug_build(tmp_path_factory):
    """A DEBUG_ENTRY=1 build in its own BUILD directory (build/ is never
    touched), and the addresses the walk needs from its keel.elf."""
    out = tmp_path_factory.mktemp("debug-entry") / "build"
    cmd = ["make", "-C", str(ROOT), f"BUILD={out}", "DEBUG_ENTRY=1", "-j2", "all"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    if r.returncode:
        pytest.fail(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}{r.stderr}",
                    pytrace=False)
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(out / "keel.elf")],
                         capture_output=True, text=True, check=True).stdout
    return out, entry_addresses(dis)


def entry_addresses(disassembly):
    """{"vmlaunch": addr, "vmresume": addr, "vmrun": addr,
    "after_break_vmx": addr, "after_break_svm": addr} from objdump -d."""
    addrs = {}
    func = None
    lines = disassembly.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^([0-9a-f]+) <([^>]+)>:", line)
        if m:
            func = m.group(2)
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s+(\S+)", line)
        if not m:
            continue
        addr, insn = int(m.group(1), 16), m.group(2)
        if insn in ("vmlaunch", "vmresume", "vmrun"):
            addrs.setdefault(insn, addr)
        # The breakpoint sits right before the entry instruction in the
        # stubs (vmx_vmenter and its NMI window's labels, svm_vmrun);
        # older builds had it in C.
        if insn == "xchg" and "%bx,%bx" in line and \
                (func in ("vmx_run", "svm_run", "vmx_vmenter", "svm_vmrun") or
                 func.startswith("vmx_entry_")):
            nxt = next(ln for ln in lines[i + 1:] if re.match(r"^\s*[0-9a-f]+:", ln))
            addrs.setdefault(f"after_break_{func[:3]}", int(nxt.split(":")[0], 16))
    missing = [k for k in ("vmlaunch", "vmresume", "vmrun", "after_break_vmx",
                           "after_break_svm") if k not in addrs]
    if missing:
        pytest.fail(f"the DEBUG_ENTRY=1 keel.elf lacks {missing} (is the xchg bx,bx "
                    "magic breakpoint still before VMLAUNCH/VMRUN in the entry stubs?)", pytrace=False)
    return addrs


def run_bochs_debugger(image, cpu_model, commands, timeout=BOCHS_TIMEOUT):
    """Boots IMAGE under Bochs with magic_break: enabled=1 and runs the
    debugger COMMANDS (a list of lines) from an -rc file; returns
    (everything Bochs printed on stdout, the work directory). Bochs' own
    stdout carries port 0xE9 (Keel's log) and the debugger's output."""
    why = keel.bochs_missing()
    if why:
        pytest.skip(why)
    image = Path(image).resolve()
    work = keel._workdir(image, "bochsdbg")
    text = (keel.TESTS / "bochsrc.in").read_text()
    for key, val in {"MEGS": 512, "CPU": cpu_model, "IMAGE": image, "COM1": work / "com1.log",
                     "LOG": work / "bochs.log", "BIOS": keel.BOCHS_BIOS,
                     "VGABIOS": keel.BOCHS_VGABIOS}.items():
        text = text.replace(f"@{key}@", str(val))
    (work / "bochsrc").write_text(text + "magic_break: enabled=1\n")
    (work / "commands.rc").write_text("\n".join(commands) + "\n")
    cmd = [keel.BOCHS, "-q", "-f", str(work / "bochsrc"), "-rc", str(work / "commands.rc")]
    lock = Path(str(image) + ".lock")
    if lock.exists():
        lock.unlink()
    with open(work / "stdout.log", "wb") as so, open(work / "stderr.log", "wb") as se:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=so, stderr=se, cwd=work)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            keel._stop(proc)
            if lock.exists():
                lock.unlink()
    out = keel._read(work / "stdout.log")
    if "(0) Magic breakpoint" not in out:
        raise AssertionError(f"Bochs never stopped at the magic breakpoint.\n"
                             f"--- command: {' '.join(cmd)}\n--- files in {work}\n"
                             f"--- stdout:\n{out}")
    return out, work


def walk_to_guest(addrs, backend):
    """The commands of docs/debugging.md: run to the magic breakpoint, on to
    the VM entry instruction, and step over it."""
    insn = ENTRY_INSNS[backend]
    cmds = ["c", "u /4"]
    if addrs[f"after_break_{backend}"] != addrs[insn]:
        # The breakpoint sits in C before the call to the entry stub.
        cmds += [f"lb {addrs[insn]:#x}", "c"]
    return cmds


def after(out, marker, what):
    i = out.find(marker)
    if i < 0:
        raise AssertionError(f"expected {what} ({marker!r}) in Bochs' output:\n{out}")
    return out[i + len(marker):]


@pytest.mark.bochs
@pytest.mark.parametrize("cpu_model", sorted(BOCHS_MODELS))
def test_bochs_walk_steps_into_the_guest(debug_build, tmp_path, cpu_model):
    build, addrs = debug_build
    backend = BOCHS_MODELS[cpu_model]
    insn = ENTRY_INSNS[backend]
    image = make_image(tmp_path, cfg_text=HELLO_CFG, src=build / "disk.img")
    cmds = walk_to_guest(addrs, backend) + ["u /1", "s", "sreg", "r", "creg", "u /4", "q"]
    out, work = run_bochs_debugger(image, cpu_model, cmds)
    where = f"\n--- files in {work}\n--- Bochs' stdout:\n{out}"
    assert VENDOR_LINE[backend] in out, f"expected {VENDOR_LINE[backend]!r}{where}"
    rest = after(out, "(0) Magic breakpoint", "the magic breakpoint")
    # Stopped at the entry instruction...
    m = re.search(rf"\[0x[0-9a-f]+\] 0008:{addrs[insn]:016x} \(unk\. ctxt\): {insn} ", rest)
    assert m, f"expected Bochs to stop at {insn} (0008:{addrs[insn]:016x}){where}"
    rest = rest[m.end():]
    # ...and one step later at the guest's first instruction, 1000:0000.
    first = re.search(r"Next at t=\d+\n\(0\) \[0x000000010000\] 1000:0000 \(unk\. ctxt\): "
                      r"mov ax, cs +; 8cc8", rest)
    assert first, f"expected the step over {insn} to show 1000:0000 mov ax, cs{where}"
    rest = rest[first.end():]
    assert re.search(r"^cs:0x1000, dh=0x[0-9a-f]+, dl=0x0000ffff, valid=1\n"
                     r"\s+Data segment, base=0x00010000, limit=0x0000ffff", rest, re.M), \
        f"expected sreg to show cs:0x1000 with base 0x10000{where}"
    assert re.search(r"^rip: 00000000_00000000$", rest, re.M), f"expected rip=0{where}"
    assert re.search(r"^rsp: 00000000_0000fff0$", rest, re.M), f"expected rsp=0xfff0{where}"
    assert re.search(r"^CR0=0x[0-9a-f]+: pg .* pe$", rest, re.M), f"expected creg{where}"
    assert re.search(r"^0000000000010002: .*: mov ds, ax", rest, re.M), \
        f"expected u /4 to list the guest's code{where}"


@pytest.mark.bochs
@pytest.mark.parametrize("cpu_model", sorted(BOCHS_MODELS))
def test_bochs_walk_vmexit_breakpoint(debug_build, tmp_path, cpu_model):
    """vmexitbp: after the step into the guest, `c` stops at the first VM
    exit (the guest's CPUID), back in Keel's exit path."""
    build, addrs = debug_build
    backend = BOCHS_MODELS[cpu_model]
    image = make_image(tmp_path, cfg_text=HELLO_CFG, src=build / "disk.img")
    cmds = walk_to_guest(addrs, backend) + ["s", "vmexitbp", "c", "q"]
    out, work = run_bochs_debugger(image, cpu_model, cmds)
    rest = after(out, "(0) Caught VMEXIT breakpoint", "the VM-exit breakpoint")
    m = re.search(r"\(0\) \[0x[0-9a-f]+\] 0008:(ffffffff[0-9a-f]{8}) \(unk\. ctxt\): push rdi",
                  rest)
    assert m, f"expected the exit to land in Keel at push rdi\n{out}"
    if backend == "svm":
        assert int(m.group(1), 16) == addrs["vmrun"] + 3, out
    assert "keel: [HELLO.BIN]" not in out


@pytest.mark.bochs
@pytest.mark.parametrize("cpu_model", sorted(BOCHS_MODELS))
def test_bochs_entry_failure_dump(debug_build, tmp_path, cpu_model):
    """A VM entry made to fail from the debugger (docs/debugging.md): Keel
    names the rule the refused state breaks (or says none of its rules
    is), prints the dump in three blocks and the guest's instruction, and
    stops the guest with reason=entry-failed. SVM: ASID 0 written into the
    VMCB at VMRUN; VMX: VMRESUME instead of VMLAUNCH on a clear VMCS."""
    build, addrs = debug_build
    backend = BOCHS_MODELS[cpu_model]
    image = make_image(tmp_path, cfg_text=HELLO_CFG, src=build / "disk.img")
    if backend == "svm":
        sabotage = [f"setpmem rax+{VMCB_GUEST_ASID:#x} 4 0"]
    else:
        sabotage = [f"set rip = {addrs['vmresume']:#x}"]
    cmds = walk_to_guest(addrs, backend) + sabotage + ["c", "q"]
    out, work = run_bochs_debugger(image, cpu_model, cmds)
    keel_lines = [ln for ln in out.splitlines() if ln.startswith("keel:")]
    text = "\n".join(keel_lines)
    want = ['keel: VM entry failed for guest 1 "HELLO.BIN"', "keel: guest state:",
            "keel: host state:", "keel: controls:", "keel: guest instruction at rip=",
            'keel: guest 1 "HELLO.BIN" stop reason=entry-failed exits=0',
            "keel: poweroff code=0"]
    if backend == "svm":
        want.insert(4, "keel:   asid=0 np=1 ")
        want.insert(5, "keel:   exitcode=ffffffffffffffff ")
        want.insert(0, "keel: vmcb check after VMEXIT_INVALID: the guest ASID is zero")
    else:
        want.insert(0, "keel: guest-state check after the failed entry: no rule Keel checks is broken")
        want.insert(0, "keel: VMLAUNCH failed: VMRESUME with non-launched VMCS")
        want.insert(4, "keel:   cs   sel=1000 ar=0009b limit=0000ffff base=0000000000010000")
    i = 0
    for w in want:
        while i < len(keel_lines) and w not in keel_lines[i]:
            i += 1
        assert i < len(keel_lines), f"expected, in order, {want!r}; {w!r} missing\n{text}"
        i += 1
