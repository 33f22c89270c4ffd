"""What Keel keeps and what its start costs (docs/performance.md, docs/log.md):

- the region is sized from what Keel uses: `keel: region use image=...
  handoff=... tables=... per-cpu=... cpus=N files=... free=...` adds up to
  the region, counts the CPUs the MADT lists (-smp 2), and Keel keeps at
  most 4 MiB beyond the files; the same through the EFI loader (OVMF);
- the files of a finished guest go back to the guests after it: a guest
  writes into the pages that held the first guest's file (`keel: region
  gave ...`), unless the entry restarts (then the write is a fault);
- `keel: boot tsc ...` gives the TSC at each step from power-on to the
  first guest instruction, in order;
- `keel: io exits ...` breaks a guest's I/O exits down by port, size and
  direction, and adds up to the exits line's io= (QEMU SVM and Bochs VMX).

About 10 s (six QEMU boots, one of them OVMF's, and one Bochs boot).
"""

import re

import pytest

import keel
from keel import (QEMU_EXIT_POWEROFF, Guest, assemble, assert_line, assert_no_line,
                  assert_status, guests_config, make_image, run_bochs, run_qemu)

KiB, MiB = 1 << 10, 1 << 20

pytestmark = pytest.mark.usefixtures("disk_img")

HELLO = Guest("hello_real.asm", "HELLO.BIN")
IO_EXITS = Guest("io_exits.asm", "IOEXITS.BIN")
BIG_SIZE = 3 * MiB              # a protected-mode hello padded with zeros
BIG = Guest("hello_protected.asm", "BIG.BIN", 0x100000, "protected")

USE_RE = re.compile(r"keel: region use image=(\d+) KiB handoff=(\d+) KiB tables=(\d+) KiB "
                    r"per-cpu=(\d+) KiB cpus=(\d+) files=(\d+) KiB free=(\d+) KiB$")
REGION_RE = re.compile(r"keel: region base=0x([0-9a-f]+) size=(\d+) MiB")
S2_REGION_RE = re.compile(r"keel: region 0x([0-9a-f]+)-0x([0-9a-f]+) \((\d+) MiB\)")
LOADED_RE = re.compile(r"keel: loaded (\S+) at 0x([0-9a-f]+) \((\d+) bytes\)")
TSC_RE = re.compile(r"keel: boot tsc stage2=(\d+) menu=(\d+) loaded=(\d+) hv=(\d+) guest=(\d+)$")
EXITS_IO_RE = re.compile(r"keel: exits .*\bio=(\d+)\b")
IO_RE = re.compile(r"^keel: io exits( none|(?: (?:in|out):0x[0-9a-f]+/[124]=\d+)+(?: other=\d+)?)$")


def image(tmp_path, guests, files=None, after="poweroff"):
    """An image whose one entry runs GUESTS; FILES override assembled ones."""
    bins = tmp_path / "bin"
    bins.mkdir(exist_ok=True)
    all_files = {g.file: assemble(g, bins) for g in guests}
    all_files.update(files or {})
    return make_image(tmp_path, cfg_text=guests_config(guests, "Cost", after), files=all_files)


def big_file(tmp_path):
    """BIG.BIN: hello_protected padded to BIG_SIZE (it runs, then stops)."""
    data = assemble(BIG, tmp_path).read_bytes()
    return data + bytes(BIG_SIZE - len(data))


def line(r, rx):
    for ln in r.lines:
        m = rx.search(ln.rstrip("\r"))
        if m:
            return m
    raise AssertionError(f"no line matching {rx.pattern!r}\n{r.describe()}")


@pytest.fixture(scope="module")
def two_cpus(tmp_path_factory):
    """HELLO then BIG.BIN (3 MiB), QEMU -smp 2."""
    tmp = tmp_path_factory.mktemp("cost")
    img = image(tmp, [HELLO, BIG], {"BIG.BIN": big_file(tmp)})
    r = run_qemu(img, timeout=30, extra=["-smp", "2"])
    assert_status(r, QEMU_EXIT_POWEROFF)
    return r


def check_region_use(r, ncpus):
    image_k, handoff, tables, percpu, cpus, files, free = map(int, line(r, USE_RE).groups())
    base, size_mib = line(r, REGION_RE).groups()
    size = int(size_mib) * MiB
    s2 = line(r, S2_REGION_RE)
    assert (int(s2[1], 16), int(s2[2], 16)) == (int(base, 16), int(base, 16) + size), \
        f"stage 2 and Keel disagree on the region\n{r.describe()}"
    total = (image_k + handoff + tables + percpu + files + free) * KiB
    assert total == size, f"region use adds up to {total} bytes, the region is {size}\n" \
                          f"{r.describe()}"
    loaded = {m[1]: int(m[3]) for m in map(LOADED_RE.search, r.lines) if m}
    want = sum(-(-n // 4096) * 4 for n in loaded.values())
    assert files == want, f"files={files} KiB, the loaded files take {want} KiB: {loaded}"
    assert cpus == ncpus, f"cpus={cpus} under -smp {ncpus}\n{r.describe()}"
    assert percpu > 0 and tables > 0 and handoff == 64 and image_k > 0, r.describe()
    assert size - files * KiB <= 4 * MiB, \
        f"Keel keeps {size - files * KiB} bytes beyond the files (goal: 4 MiB)\n{r.describe()}"


def test_region_use_adds_up(two_cpus):
    check_region_use(two_cpus, 2)


def test_region_use_uefi(tmp_path):
    """The EFI loader sizes the region by the same rule (lib/loader.c),
    counting the CPUs through the RSDP of the EFI configuration table, and
    leaves the boot timestamps."""
    if keel.ovmf_files() is None:
        pytest.skip("OVMF is not installed (apt-get install ovmf)")
    img = image(tmp_path, [HELLO, BIG], {"BIG.BIN": big_file(tmp_path)})
    r = run_qemu(img, timeout=60, firmware="ovmf", extra=["-smp", "2"])
    assert_status(r, QEMU_EXIT_POWEROFF)
    check_region_use(r, 2)
    stamps = [int(v) for v in line(r, TSC_RE).groups()]
    assert 0 < stamps[0] and stamps == sorted(stamps), f"{stamps}\n{r.describe()}"


def test_boot_tsc_in_order(two_cpus):
    r = two_cpus
    stamps = [int(v) for v in line(r, TSC_RE).groups()]
    assert 0 < stamps[0] and stamps == sorted(stamps), \
        f"boot tsc stamps out of order: {stamps}\n{r.describe()}"
    assert_line(r, 'keel: guest 1 "HELLO.BIN" start')


def io_line(r):
    m = line(r, IO_RE)
    return m[0].removeprefix("keel: io exits ").strip()


def test_io_exits_by_port(tmp_path):
    """IOEXITS.BIN's I/O exits, by port (tests/guests/io_exits.asm)."""
    r = run_qemu(image(tmp_path, [IO_EXITS, HELLO]), timeout=30)
    assert_status(r, QEMU_EXIT_POWEROFF)
    assert_line(r, 'keel: guest 1 "IOEXITS.BIN" stop reason=exit-code code=0')
    lines = [ln.rstrip("\r") for ln in r.lines]
    first = lines.index(next(ln for ln in lines if ln.startswith("keel: io exits")))
    assert lines[first - 1].startswith("keel: exits "), \
        f"the io exits line does not follow the exits line\n{r.describe()}"
    assert lines[first] == "keel: io exits out:0xcf8/4=6 in:0x64/1=3 in:0xcf8/4=1 " \
                           "out:0xcf9/1=1", r.describe()
    assert int(EXITS_IO_RE.search(lines[first - 1])[1]) == 11, r.describe()
    # HELLO.BIN does no I/O.
    assert lines[lines.index(next(ln for ln in lines[first + 1:]
                                  if ln.startswith("keel: exits "))) + 1] == \
        "keel: io exits none", r.describe()


def test_region_gives_back_finished_files(tmp_path):
    """BIG.BIN (guest 1) is the topmost file; once guest 1 stops, a write
    by guest 2 into the pages that held it lands in RAM (exit code 0).
    With `after restart` the pages stay Keel's: the same write faults."""
    big = big_file(tmp_path)
    probe_w = Guest("region_write.asm", "REGWRITE.BIN", 0x100000, "protected",
                    {"TARGET": "0x200000"})
    (tmp_path / "probe").mkdir()
    probe = run_qemu(image(tmp_path / "probe", [BIG, probe_w], {"BIG.BIN": big}), timeout=30)
    loaded = {m[1]: int(m[2], 16) for m in map(LOADED_RE.search, probe.lines) if m}
    base, size_mib = line(probe, REGION_RE).groups()
    end = int(base, 16) + int(size_mib) * MiB
    at = loaded["BIG.BIN"]
    assert at + BIG_SIZE == end, f"BIG.BIN at {at:#x}, not at the region's top {end:#x}\n" \
                                 f"{probe.describe()}"
    assert_line(probe, f"keel: region gave {at:#x}-{end:#x} ({BIG_SIZE // KiB} KiB: BIG.BIN) "
                       "back to guests; Keel keeps ")

    target = at + 0x1000
    w = Guest("region_write.asm", "REGWRITE.BIN", 0x100000, "protected", {"TARGET": hex(target)})
    (tmp_path / "run").mkdir()
    r = run_qemu(image(tmp_path / "run", [BIG, w], {"BIG.BIN": big}), timeout=30)
    assert_status(r, QEMU_EXIT_POWEROFF)
    assert_line(r, 'keel: guest 2 "REGWRITE.BIN" stop reason=exit-code code=0')

    (tmp_path / "restart").mkdir()
    r = run_qemu(image(tmp_path / "restart", [BIG, w], {"BIG.BIN": big}, after="restart"),
                 timeout=30, stop_at='keel: guest 2 "REGWRITE.BIN" stop')
    assert_line(r, f"keel: guest write at {target:#x} (Keel's region)")
    assert_no_line(r, "keel: region gave")


@pytest.mark.bochs
def test_bochs_vmx_region_and_io(tmp_path):
    """The same lines under Bochs' Intel model (VMX: other per-CPU pages)."""
    r = run_bochs(image(tmp_path, [IO_EXITS]), timeout=120)
    assert_line(r, "keel: cpu vendor=Intel backend=vmx")
    use = line(r, USE_RE)
    size = int(line(r, REGION_RE)[2]) * MiB
    total = sum(int(use[i]) for i in (1, 2, 3, 4, 6, 7)) * KiB
    assert total == size and size - int(use[6]) * KiB <= 4 * MiB, r.describe()
    line(r, TSC_RE)
    assert io_line(r) == "out:0xcf8/4=6 in:0x64/1=3 in:0xcf8/4=1 out:0xcf9/1=1", r.describe()
