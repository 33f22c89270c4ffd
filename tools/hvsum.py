#!/usr/bin/env python3
"""Finish the hypervisor image: pad it to a multiple of 4 bytes and set the
header's checksum so that the 32-bit sum of every word is 0
(struct hv_image_header in lib/hvimage.h). Stage 2 checks both."""
import struct
import sys

HEADER = struct.Struct("<IIIIIIQ")
MAGIC = (0x4C45454B, 0x34365648)
CHECKSUM_OFFSET = 20


def main(path):
    data = bytearray(open(path, "rb").read())
    data += b"\0" * (-len(data) % 4)
    magic0, magic1, file_size, mem_size, entry, _, base = HEADER.unpack_from(data)
    if (magic0, magic1) != MAGIC:
        sys.exit(f"{path}: no hypervisor image header")
    if file_size != len(data):
        sys.exit(f"{path}: header says {file_size} bytes, file has {len(data)}")
    struct.pack_into("<I", data, CHECKSUM_OFFSET, 0)
    total = sum(struct.unpack(f"<{len(data) // 4}I", data)) & 0xFFFFFFFF
    struct.pack_into("<I", data, CHECKSUM_OFFSET, (-total) & 0xFFFFFFFF)
    open(path, "wb").write(data)
    print(f"hv image: {len(data)} bytes in the file, {mem_size} in memory")


if __name__ == "__main__":
    main(sys.argv[1])
