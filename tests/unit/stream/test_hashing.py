# SPDX-License-Identifier: Apache-2.0
"""The hash thread beside the stream: same digest, no thread left over."""

import hashlib
import threading

import pytest
import requests

from osc_image_migrate import model
from osc_image_migrate.stream import hashing
from osc_image_migrate.stream import verified
from tests.unit.fakes.stream import consume
from tests.unit.fakes.stream import stream_for

# A source record with neither size nor hash.
UNKNOWN = model.Expected(None, None, None)


def hash_threads():
    return [t for t in threading.enumerate() if t.name.startswith('hash-')]


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


@pytest.mark.parametrize('data', [None, b'1' * 4 + b'2' * 4 + b'X' * 4])
def test_stream_leaves_no_hash_thread_behind(data):
    body = stream_for([b'1' * 4, b'2' * 4, b'3' * 4], data=data,
                      chunk_size=4)
    if data is None:
        consume(body)
    else:
        with pytest.raises(verified.AbortUpload):
            consume(body)
    assert not hash_threads()


def test_an_upload_stopped_early_ends_the_hash_thread():
    """urllib3 may stop iterating the body (server gone): no thread stays."""
    chunks = iter(stream_for([b'a' * 4] * 5, chunk_size=4))
    next(chunks)
    assert hash_threads()
    chunks.close()
    assert not hash_threads()


def test_len_is_the_size_to_send_so_the_upload_has_a_content_length():
    assert len(stream_for([b'abc', b'de'])) == 5
    unknown = verified.VerifiedStream(None, UNKNOWN)
    assert len(unknown) == 0  # requests then sends it chunked


def test_requests_sends_a_sized_stream_with_content_length_only():
    sized = requests.Request('PUT', 'http://127.0.0.1/x',
                             data=stream_for([b'abc', b'de'])).prepare()
    assert sized.headers['Content-Length'] == '5'
    assert 'Transfer-Encoding' not in sized.headers
    unknown = requests.Request(
        'PUT', 'http://127.0.0.1/x',
        data=verified.VerifiedStream(None, UNKNOWN)).prepare()
    assert unknown.headers['Transfer-Encoding'] == 'chunked'
    assert 'Content-Length' not in unknown.headers
