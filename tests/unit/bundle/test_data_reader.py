# SPDX-License-Identifier: Apache-2.0
"""A bundle's data file as the verified body's source, chunk by chunk."""

import hashlib
import os
import threading

import pytest

from osc_image_migrate.bundle import data_reader
from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.stream import bandwidth
from osc_image_migrate.stream import options as stream_options
from osc_image_migrate.stream import verified

CHUNK = 64 * 1024


def bundle_file(tmp_path, data, chunk=CHUNK):
    """A data file and its manifest entry (small chunks: same code)."""
    (tmp_path / 'images').mkdir(exist_ok=True)
    (tmp_path / 'images' / 'img.data').write_bytes(data)
    return {'file': 'images/img.data', 'size': len(data),
            'chunk_size': chunk,
            'chunk_sha256': [hashlib.sha256(data[i:i + chunk]).hexdigest()
                             for i in range(0, len(data), chunk)]}


def damage(tmp_path, offset=None, size=None):
    path = tmp_path / 'images' / 'img.data'
    with open(path, 'r+b') as f:
        if offset is not None:
            f.seek(offset)
            byte = f.read(1)
            f.seek(offset)
            f.write(bytes([byte[0] ^ 0x40]))
        if size is not None:
            f.truncate(size)


def read_all(response, n=10000):
    pieces = []
    try:
        while piece := response.raw.read1(n, decode_content=True):
            pieces.append(piece)
    finally:
        response.close()
    return pieces


def test_a_good_file_reads_whole_and_no_piece_crosses_a_chunk(tmp_path):
    data = os.urandom(3 * CHUNK + 123)
    response = data_reader.DataFileResponse(
        str(tmp_path), bundle_file(tmp_path, data))
    pieces = read_all(response)
    assert b''.join(pieces) == data
    ends, offset = [], 0
    for piece in pieces:
        assert offset // CHUNK == (offset + len(piece) - 1) // CHUNK
        offset += len(piece)
        ends.append(offset)
    assert {CHUNK, 2 * CHUNK, 3 * CHUNK, len(data)} <= set(ends)


def test_a_flipped_byte_names_its_chunk_before_the_next_is_read(tmp_path):
    data = os.urandom(3 * CHUNK + 123)
    entry = bundle_file(tmp_path, data)
    damage(tmp_path, offset=CHUNK + 7)
    response = data_reader.DataFileResponse(str(tmp_path), entry)
    with pytest.raises(http.CloudError) as e:
        read_all(response)
    assert str(e.value) == (
        'bundle: images/img.data: chunk 1 (bytes %d-%d) differs from the '
        'manifest' % (CHUNK, 2 * CHUNK - 1))
    assert not e.value.retriable
    assert response.position == 2 * CHUNK


@pytest.mark.parametrize('size, message', [
    (CHUNK + 10, 'images/img.data ends at byte %d, in chunk 1: truncated '
     '(the manifest says %d bytes)' % (CHUNK + 10, 2 * CHUNK)),
    (0, 'images/img.data ends at byte 0, in chunk 0: truncated '
     '(the manifest says %d bytes)' % (2 * CHUNK)),
])
def test_a_truncated_file_names_where_it_ends(tmp_path, size, message):
    entry = bundle_file(tmp_path, os.urandom(2 * CHUNK))
    damage(tmp_path, size=size)
    with pytest.raises(http.CloudError) as e:
        read_all(data_reader.DataFileResponse(str(tmp_path), entry))
    assert str(e.value) == 'bundle: ' + message


def test_a_longer_file_is_refused_at_its_end(tmp_path):
    entry = bundle_file(tmp_path, os.urandom(CHUNK + 5))
    with open(tmp_path / 'images' / 'img.data', 'ab') as f:
        f.write(b'x')
    with pytest.raises(http.CloudError) as e:
        read_all(data_reader.DataFileResponse(str(tmp_path), entry))
    assert 'longer than the %d bytes' % (CHUNK + 5) in str(e.value)


def test_a_missing_file_is_one_error(tmp_path):
    entry = bundle_file(tmp_path, b'abc')
    os.unlink(tmp_path / 'images' / 'img.data')
    with pytest.raises(http.CloudError) as e:
        data_reader.DataFileResponse(str(tmp_path), entry)
    assert str(e.value) == ('bundle: cannot read images/img.data: No such '
                            'file or directory')


def expected(data):
    return model.Expected(len(data), 'sha512',
                          hashlib.sha512(data).hexdigest())


def test_the_verified_body_sends_a_good_file_whole(tmp_path):
    data = os.urandom(2 * verified.CHUNK_SIZE + 99)
    response = data_reader.DataFileResponse(
        str(tmp_path), bundle_file(tmp_path, data, verified.CHUNK_SIZE))
    body = verified.VerifiedStream(response, expected(data))
    assert b''.join(bytes(b) for b in body) == data
    assert body.sent == len(data)
    response.close()
    assert not hash_threads()


def test_the_last_block_of_a_damaged_file_never_goes_out(tmp_path):
    data = os.urandom(3 * verified.CHUNK_SIZE)
    entry = bundle_file(tmp_path, data, verified.CHUNK_SIZE)
    damage(tmp_path, offset=len(data) - 1)
    response = data_reader.DataFileResponse(str(tmp_path), entry)
    body = verified.VerifiedStream(response, expected(data))
    sent = []
    with pytest.raises(verified.AbortUpload):
        for block in body:
            sent.append(bytes(block))
    assert len(b''.join(sent)) < len(data)
    assert 'chunk 2' in str(body.failure)
    response.close()
    assert not hash_threads()


def test_closed_half_way_it_leaves_no_hash_thread(tmp_path):
    entry = bundle_file(tmp_path, os.urandom(2 * CHUNK))
    response = data_reader.DataFileResponse(str(tmp_path), entry)
    response.raw.read1(100)
    response.close()
    assert not hash_threads()


def hash_threads():
    return [t for t in threading.enumerate()
            if t.name.startswith('hash-') and t.is_alive()]


def test_the_verified_body_reads_the_file_straight_into_its_blocks(
        tmp_path, monkeypatch):
    """No read1 piece (and its copy) without a rate limit: readinto."""
    data = os.urandom(2 * verified.CHUNK_SIZE + 99)
    response = data_reader.DataFileResponse(
        str(tmp_path), bundle_file(tmp_path, data, verified.CHUNK_SIZE))

    def no_pieces(*args, **kwargs):
        raise AssertionError('read1 was called')

    monkeypatch.setattr(response.raw, 'read1', no_pieces)
    body = verified.VerifiedStream(response, expected(data))
    assert b''.join(bytes(b) for b in body) == data
    response.close()


def test_a_rate_limit_reads_paced_pieces(tmp_path, monkeypatch):
    """With --limit-rate the file is read in pieces the limiter paces."""
    data = os.urandom(verified.CHUNK_SIZE + 99)
    response = data_reader.DataFileResponse(
        str(tmp_path), bundle_file(tmp_path, data, verified.CHUNK_SIZE))
    taken = []
    limiter = bandwidth.Limiter(1 << 40)
    take = limiter.take
    monkeypatch.setattr(limiter, 'take', lambda n, stop=None: (
        taken.append(n), take(n, stop))[1])
    body = verified.VerifiedStream(
        response, expected(data),
        options=stream_options.StreamOptions(limiter=limiter))
    assert b''.join(bytes(b) for b in body) == data
    assert sum(taken) == len(data)
    response.close()
