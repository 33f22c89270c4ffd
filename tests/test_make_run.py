"""`make run` as a person uses it, in a terminal (README.md "The two
commands"): pexpect runs `make run` in the project on a pseudo-terminal,
as a user's shell would, and does what the README says a user does.

The walk: the boot menu on the terminal; entry 1 ("FreeDOS, then Linux")
chosen by typing its number; Keel's start-up lines; FreeDOS at its A:\\>
prompt on the same terminal (the default KEEL.CFG gives it console=serial:
the BIOS shim copies its screen output to COM1 and types COM1's bytes as
keys, docs/bios-shim.md); KEELNEXT typed there; Linux's busybox shell
answering a command; `poweroff` ending QEMU and `make run` with status 0.
Along the way: the menu and Keel's log appear once each, and nothing
clears or resets the user's terminal.

Needs FreeDOS beside the project (../shared or FREEDOS_IMG) and the Linux
guest (build/linux, `make linux`); skipped, with the reason, without them.
`make run` rebuilds nothing when `make` ran before (as in `make test`).
"""

import os
import re
import shutil
import time

import pytest

from keel import ROOT

MENU_FIRST = "keel: menu: 1) FreeDOS, then Linux"
MENU_LAST = "keel: menu: entry 1 starts in 5 s; type its number to choose another"
DOS_PROMPT = "A:\\>"
LINUX_PROMPT = "/ # "
TIMEOUT_DOS = 90         # from the menu to A:\>; about 8 s on a quiet machine
TIMEOUT_LINUX = 180      # from KEELNEXT to the shell; about 15 s
TIMEOUT_POWEROFF = 60


def default_cfg():
    return (ROOT / "build" / "KEEL.CFG").read_text()


def missing():
    if shutil.which("qemu-system-x86_64") is None:
        return "qemu-system-x86_64 not installed (make deps)"
    if not (ROOT / "build" / "disk.img").exists():
        return "build/disk.img missing: run make"
    cfg = default_cfg()
    if 'entry "FreeDOS, then Linux"' not in cfg:
        return ("the default KEEL.CFG has no FreeDOS-then-Linux entry (no FreeDOS image "
                "beside the project, or no build/linux: make linux)")
    return None


class Terminal:
    """`make run` on a pseudo-terminal, with everything it printed."""

    def __init__(self, pexpect):
        self.pexpect = pexpect
        self.p = pexpect.spawn("make", ["run"], cwd=str(ROOT), encoding="latin-1",
                               dimensions=(24, 80), timeout=30,
                               env=dict(os.environ, TERM="xterm"))
        self.t0 = time.monotonic()
        self.marks = []

    def text(self):
        return self.p.logfile_read.getvalue() if self.p.logfile_read else ""

    def expect(self, what, timeout, label):
        try:
            self.p.expect_exact(what, timeout=timeout)
        except (self.pexpect.TIMEOUT, self.pexpect.EOF) as e:
            raise AssertionError(f"make run: expected {what!r} ({label}) within {timeout} s; "
                                 f"{type(e).__name__} after {self.elapsed():.1f} s\n"
                                 f"--- the terminal so far:\n{self.text()}") from None
        self.marks.append((label, self.elapsed()))

    def type(self, text):
        """Types TEXT as a person does: a key at a time, Enter as CR."""
        for ch in text:
            self.p.send(ch)
            time.sleep(0.02)

    def elapsed(self):
        return time.monotonic() - self.t0

    def close(self):
        if self.p.isalive():
            self.p.terminate(force=True)


@pytest.fixture
def terminal():
    pexpect = pytest.importorskip("pexpect")
    why = missing()
    if why:
        pytest.skip(why)
    import io
    t = Terminal(pexpect)
    t.p.logfile_read = io.StringIO()
    yield t
    t.close()


def test_make_run_freedos_then_linux_in_the_terminal(terminal):
    t = terminal
    t.expect(MENU_LAST, 120, "the boot menu")
    t.type("1")
    t.expect('keel: menu: starting entry 1 "FreeDOS, then Linux"', 10, "entry 1 chosen")
    t.expect(DOS_PROMPT, TIMEOUT_DOS, "FreeDOS's prompt")
    t.type("KEELNEXT\r")
    t.expect("KEELNEXT: starting the next guest", 30, "KEELNEXT's message")
    t.expect(LINUX_PROMPT, TIMEOUT_LINUX, "Linux's shell")
    t.type("echo keel-$((6 * 7))\r")
    t.expect("keel-42", 30, "the shell's answer")
    t.type("poweroff\r")
    t.expect("keel: poweroff code=0", TIMEOUT_POWEROFF, "Keel powering off")
    t.expect(t.pexpect.EOF, 30, "QEMU and make run ending")
    t.p.close()
    out = t.text()
    assert t.p.exitstatus == 0, f"make run ended with status {t.p.exitstatus}\n{out}"

    # What came before Linux: each once, in order, nothing garbled.
    before_linux = out[:out.index("KEELNEXT: starting the next guest")]
    for line in (MENU_FIRST, MENU_LAST, "keel: entering long mode",
                 "keel: Keel 0.1 hypervisor in long mode",
                 'keel: guest 1 "FDOS.IMG" start kind=bios', "FreeDOS kernel"):
        assert before_linux.count(line) == 1, \
            f"{line!r} appears {before_linux.count(line)} times, not once\n{out}"
    order = [before_linux.index(s) for s in (MENU_FIRST, "keel: entering long mode",
                                             "FreeDOS kernel", DOS_PROMPT)]
    assert order == sorted(order), f"the menu, Keel's log and FreeDOS out of order\n{out}"
    # No terminal reset, screen clear or wrap-off sequences: the log stays
    # readable above FreeDOS and Linux's long lines wrap.
    for seq, what in (("\x1bc", "terminal reset"), ("\x1b[2J", "screen clear"),
                      ("\x1b[?7l", "line wrap off")):
        assert seq not in out, f"make run sent a {what} ({seq!r}) to the terminal\n{out}"
    # The typed command echoed at FreeDOS's prompt, as a person sees it.
    assert re.search(r"A:\\>KEELNEXT\r?\r?\n", out), f"KEELNEXT was not echoed\n{out}"
    print("make run walk (seconds from start): " +
          ", ".join(f"{label} {s:.1f}" for label, s in t.marks))
