"""The exit trace (`trace=N` on a guest line; docs/log.md "The exit
trace"): one line per exit with its reason, the guest's RIP and the
details, on both vendors (QEMU SVM, Bochs VMX), and nothing once N
exits were logged."""
import re

import pytest

from keel import (Guest, assemble, assert_line, assert_lines_in_order, assert_no_line,
                  guests_config, make_image, run_bochs, run_qemu)

GUEST = Guest("trace_exits.asm", "TRACE.BIN")
RIP = r"rip=0x[0-9a-f]+ cs\.base=0x10000"

# The exits trace_exits.asm makes, in order (the hypercall instruction's
# exit: VMMCALL or VMCALL, both "hypercall").
EXPECTED = [
    rf"keel: trace 1 cpuid {RIP} leaf=0x0 subleaf=0x0$",
    rf"keel: trace 2 cpuid {RIP} leaf=0x7 subleaf=0x1$",
    rf"keel: trace 3 io {RIP} port=0x64 size=1 in$",
    rf"keel: trace 4 io {RIP} port=0xcf9 size=1 out value=0x0$",
    rf"keel: trace 5 msr {RIP} msr=0x1b read$",
    rf"keel: trace 6 msr {RIP} msr=0x1b write value=0x[0-9a-f]+$",
    rf"keel: trace 7 hypercall {RIP} rax=0x2 rbx=0x0$",
]


def image(tmp_path, trace):
    g = Guest(GUEST.asm, GUEST.file)
    binary = assemble(g, tmp_path)
    cfg = guests_config([g], "trace").replace(
        "mode=real", f"mode=real trace={trace}")
    return make_image(tmp_path, cfg_text=cfg, files={g.file: binary})


def check_full(r):
    trace = [line for line in r.lines if line.startswith("keel: trace")]
    problems = [f"line {i + 1}: expected /{want}/, saw {got!r}"
                for i, (want, got) in enumerate(zip(EXPECTED, trace))
                if not re.match(want, got)]
    if problems or len(trace) != len(EXPECTED):
        raise AssertionError(f"trace lines: {problems or ''} (saw {len(trace)}, "
                             f"expected {len(EXPECTED)})\n{r.describe()}")
    assert_lines_in_order(r, ['keel: guest 1 "TRACE.BIN" start kind=flat', "keel: trace 1 ",
                              "keel: trace 7 ", 'stop reason=exit-code code=0 exits=7'])
    assert_no_line(r, "keel: trace: the first")


def check_cut(r):
    assert_lines_in_order(r, ["keel: trace 3 io", "keel: trace: the first 3 exits were "
                              "logged, later ones are not",
                              'keel: guest 1 "TRACE.BIN" stop reason=exit-code code=0 exits=7'])
    assert_no_line(r, "keel: trace 4 ")


def test_trace_qemu_svm(tmp_path):
    r = run_qemu(image(tmp_path, 16))
    assert_line(r, "backend=svm")
    check_full(r)


def test_trace_cut_qemu_svm(tmp_path):
    check_cut(run_qemu(image(tmp_path, 3)))


def test_no_trace_lines_without_the_key(tmp_path):
    r = run_qemu(image(tmp_path, 0))
    assert_line(r, 'keel: guest 1 "TRACE.BIN" stop reason=exit-code code=0 exits=7')
    assert_no_line(r, "keel: trace")


@pytest.mark.bochs
def test_trace_bochs_vmx(tmp_path):
    r = run_bochs(image(tmp_path, 16), cpu_model="corei7_skylake_x")
    assert_line(r, "backend=vmx")
    check_full(r)


@pytest.mark.bochs
@pytest.mark.full
def test_trace_bochs_svm(tmp_path):
    r = run_bochs(image(tmp_path, 16), cpu_model="zambezi")
    assert_line(r, "backend=svm")
    check_full(r)
