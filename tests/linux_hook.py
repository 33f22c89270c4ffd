"""A test's own step inside the Linux guest (tools/mkinitramfs.sh).

With keeltest=1 the initramfs's /init runs /keel-hook, when there is one,
after what it always prints and before it powers off. hook_initrd() makes
an initrd that has it: the test initramfs followed by a second gzip'd newc
archive holding /keel-hook (the kernel unpacks concatenated archives one
after another; Documentation/driver-api/early-userspace/buffer-format.rst).
The script runs under busybox sh, with /proc, /sys and /dev mounted.
"""

import gzip
from pathlib import Path


def _newc(name, mode, data=b""):
    """One newc entry: the header's 13 fields of 8 hex digits, the name
    and its NUL padded to 4 bytes, the data padded to 4 bytes."""
    name_b = name.encode() + b"\0"
    fields = [0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name_b
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def hook_archive(script):
    """A gzip'd newc archive holding SCRIPT (text) as /keel-hook."""
    body = _newc("keel-hook", 0o100755, script.encode()) + _newc("TRAILER!!!", 0)
    return gzip.compress(body, mtime=0)


def hook_initrd(out_dir, script, base):
    """BASE (the test initramfs) with /keel-hook added; returns the new
    file's path in OUT_DIR."""
    out = Path(out_dir) / "initrd-hook.gz"
    out.write_bytes(Path(base).read_bytes() + hook_archive(script))
    return out
