# SPDX-License-Identifier: Apache-2.0
"""The hash thread beside the stream: same digest, no thread left over."""

import hashlib

from osc_image_migrate.stream import hashing
from tests.unit.fakes.stream import hash_threads


def test_digest_is_hashlibs_over_every_piece():
    pieces = [bytes([n]) * (n * 1000 + 1) for n in range(40)]
    background = hashing.BackgroundHash('sha512')
    for piece in pieces:
        background.update(piece)
    assert background.hexdigest() == hashlib.sha512(
        b''.join(pieces)).hexdigest()
    assert not hash_threads()


def test_close_twice_is_harmless():
    background = hashing.BackgroundHash('md5')
    background.close()
    background.close()
    assert background.hexdigest() == hashlib.md5(b'').hexdigest()
