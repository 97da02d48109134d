# SPDX-License-Identifier: Apache-2.0
"""Bytes of real disk image formats, for the format check and the stream."""

import os
import struct

MiB = 1024 * 1024


def qcow2(backing_file=None, data_file=False, length=MiB):
    """A qcow2 v3 image as qemu-img writes its header, then random data."""
    backing = backing_file.encode() if backing_file else b''
    incompatible = 1 << 2 if data_file else 0   # external data file bit
    header = struct.pack(
        '>4sIQIIQIIQQIIQQQQII', b'QFI\xfb', 3,
        112 if backing else 0, len(backing),   # backing file offset, size
        16, 64 * MiB,                          # cluster bits, virtual size
        0, 1, 0x30000, 0x10000, 1,             # crypt, L1 size/offset, refs
        0, 0,                                  # snapshots
        incompatible, 0, 0, 4, 112)
    data = header + backing
    return data + b'\0' * (64 * 1024 - len(data)) + os.urandom(
        length - 64 * 1024)
