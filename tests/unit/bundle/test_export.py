# SPDX-License-Identifier: Apache-2.0
"""One image's data into a bundle: verified, chunk-hashed, resumed."""

import hashlib
import os

import pytest

from osc_image_migrate.bundle import export
from osc_image_migrate.bundle import layout
from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.stream import options
from tests.unit.fakes.bundle import FakeSource
from tests.unit.fakes.bundle import record

CHUNK = 8192
BLOCK = 1024
DATA = os.urandom(5 * CHUNK + 1000)
NO_RETRY = options.StreamOptions(resume_backoff=())


def run(tmp_path, source, image, **kwargs):
    kwargs.setdefault('options', NO_RETRY)
    return export.Export(source, str(tmp_path), image, chunk_size=CHUNK,
                         block_size=BLOCK, **kwargs).run()


def sums(data):
    return tuple(hashlib.sha256(data[i:i + CHUNK]).hexdigest()
                 for i in range(0, len(data), CHUNK))


def files(tmp_path):
    return sorted(os.listdir(tmp_path / layout.IMAGES))


def test_the_data_is_written_verified_and_listed_by_chunk(tmp_path):
    done = []
    data = run(tmp_path, FakeSource(DATA), record(DATA),
               on_bytes=done.append)
    assert (data.size, data.chunk_size, data.algo, data.read) == (
        len(DATA), CHUNK, 'sha512', {})
    assert data.chunks == sums(DATA) and len(data.chunks) == 6
    assert (tmp_path / layout.data_name('img-1')).read_bytes() == DATA
    assert files(tmp_path) == ['img-1.data', 'img-1.data.part.sha256']
    assert sum(done) == len(DATA)


def test_data_that_does_not_match_its_record_is_never_accepted(tmp_path):
    bad = record(DATA, os_hash_value=hashlib.sha512(b'other').hexdigest())
    with pytest.raises(http.CloudError, match='does not match') as e:
        run(tmp_path, FakeSource(DATA), bad)
    assert e.value.retriable
    assert files(tmp_path) == []
    with pytest.raises(http.CloudError, match='source sent'):
        run(tmp_path, FakeSource(DATA), record(DATA, size=len(DATA) - 1))
    assert files(tmp_path) == []


def test_a_broken_export_resumes_from_its_last_whole_chunk(tmp_path):
    with pytest.raises(http.CloudError, match='broke off'):
        run(tmp_path, FakeSource(DATA, break_after=3 * CHUNK + 2500),
            record(DATA))
    part = tmp_path / layout.part_name('img-1')
    assert part.stat().st_size == 3 * CHUNK + 2 * BLOCK
    source = FakeSource(DATA)
    read = []
    data = run(tmp_path, source, record(DATA), on_read=read.append)
    assert source.image.requests == [3 * CHUNK]
    assert (data.resumed_from, data.chunks) == (3 * CHUNK, sums(DATA))
    assert (tmp_path / layout.data_name('img-1')).read_bytes() == DATA
    assert read == [model.DataRead(len(DATA), {})]


def test_a_chunk_that_no_longer_matches_its_sum_is_read_again(tmp_path):
    with pytest.raises(http.CloudError):
        run(tmp_path, FakeSource(DATA, break_after=4 * CHUNK),
            record(DATA))
    part = tmp_path / layout.part_name('img-1')
    with open(part, 'r+b') as f:
        f.seek(2 * CHUNK + 7)
        f.write(b'\xff' if DATA[2 * CHUNK + 7] != 0xff else b'\0')
    source = FakeSource(DATA)
    data = run(tmp_path, source, record(DATA))
    assert source.image.requests == [2 * CHUNK]
    assert data.chunks == sums(DATA)
    assert (tmp_path / layout.data_name('img-1')).read_bytes() == DATA


def test_an_accepted_file_without_its_document_is_not_read_again(tmp_path):
    run(tmp_path, FakeSource(DATA), record(DATA))
    source = FakeSource(DATA)
    data = run(tmp_path, source, record(DATA))
    assert source.image.requests == []
    assert (data.resumed_from, data.chunks) == (len(DATA), sums(DATA))


def test_a_record_without_a_hash_keeps_what_was_read(tmp_path):
    legacy = record(DATA, os_hash_algo=None, os_hash_value=None,
                    checksum=None)
    data = run(tmp_path, FakeSource(DATA), legacy)
    assert (data.algo, data.digest) == (None, None)
    assert data.read == {'sha512': hashlib.sha512(DATA).hexdigest(),
                         'md5': hashlib.md5(DATA).hexdigest()}


def test_a_record_without_a_size_is_read_from_its_first_byte(tmp_path):
    sizeless = record(DATA, size=None)
    with pytest.raises(http.CloudError):
        run(tmp_path, FakeSource(DATA, break_after=2 * CHUNK), sizeless)
    source = FakeSource(DATA)
    data = run(tmp_path, source, sizeless)
    assert source.image.requests == [0] and data.size == len(DATA)


class FullDisk:
    """A part file that takes ``room`` bytes, then fails as a full disk."""

    def __init__(self, room):
        self.room = room
        self.flushed = 0

    def write(self, block):
        if len(block) > self.room:
            raise OSError(28, 'No space left on device')
        self.room -= len(block)

    def flush(self):
        self.flushed += 1

    def fileno(self):
        raise AssertionError('a failed part is never sealed')


def test_a_write_that_fails_is_raised_by_the_next_call_and_by_finish():
    writer = export._PartWriter(FullDisk(BLOCK), None, '/b/x.part', [])
    writer.write(bytearray(BLOCK))
    writer.write(bytearray(BLOCK))
    writer.close()  # waits for the thread: the error is known now
    with pytest.raises(http.CloudError, match=(
            '^bundle: cannot write /b/x.part: No space left on device$')):
        writer.write(bytearray(BLOCK))
    with pytest.raises(http.CloudError):
        writer.finish()


def test_a_chunk_after_a_failed_write_is_never_listed():
    chunks = []
    writer = export._PartWriter(FullDisk(0), None, '/b/x.part', chunks)
    chunk = export.hashing.BackgroundHash('sha256')
    with pytest.raises(http.CloudError):
        # The seal may be refused at once (the write failed already) or
        # queued behind it and dropped: never listed either way.
        writer.write(bytearray(BLOCK))
        writer.seal(chunk)
        writer.finish()
    chunk.close()
    writer.close()
    assert chunks == []
