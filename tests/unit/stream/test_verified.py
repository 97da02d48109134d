# SPDX-License-Identifier: Apache-2.0
"""The verified one-shot body: hold-back, size and hash checks, no replay."""

import hashlib
import threading

import pytest
import requests

from osc_image_migrate import cancel
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.stream import download
from osc_image_migrate.stream import verified
from tests.unit.fakes.clock import FakeClock
from tests.unit.fakes.disk_images import qcow2
from tests.unit.fakes.stream import consume
from tests.unit.fakes.stream import FakeResponse
from tests.unit.fakes.stream import stream_for

MiB = 1024 * 1024


def test_good_stream_passes_every_byte():
    chunks = [b'a' * 10, b'b' * 10, b'c' * 5]
    body = stream_for(chunks)
    assert b''.join(consume(body)) == b''.join(chunks)
    assert body.sent == 25


def test_last_chunk_is_held_until_verified():
    """Before the last chunk is out, the whole source was read and hashed."""
    chunks = [b'1' * 4, b'2' * 4, b'3' * 4]
    body = stream_for(chunks, data=b'1' * 4 + b'2' * 4 + b'X' * 4,
                      chunk_size=4)
    sent = []
    with pytest.raises(verified.AbortUpload):
        for chunk in body:
            sent.append(chunk)
    assert sent == [b'1' * 4, b'2' * 4]
    assert 'does not match' in str(body.failure)
    assert body.failure.retriable


def test_short_source_is_refused():
    chunks = [b'x' * 8]
    digest = hashlib.md5(b'x' * 8).hexdigest()
    body = verified.VerifiedStream(
        FakeResponse(chunks), model.Expected(9, 'md5', digest))
    with pytest.raises(verified.AbortUpload):
        consume(body)
    assert 'source sent 8 bytes, its record says 9' in str(body.failure)


def test_body_refuses_second_iteration():
    body = stream_for([b'abc'])
    consume(body)
    with pytest.raises(verified.AbortUpload):
        iter(body)
    assert 'sent twice' in str(body.failure)


def test_abort_is_not_an_oserror():
    """urllib3 swallows OSError raised from a body; ours must get through."""
    assert not issubclass(verified.AbortUpload, OSError)


def test_broken_source_aborts_with_retriable_error():
    body = verified.VerifiedStream(
        FakeResponse([b'a', b'b', b'c'], fail_after=2),
        model.Expected(3, None, None))
    with pytest.raises(verified.AbortUpload):
        consume(body)
    assert body.failure.retriable
    assert 'broke off' in str(body.failure)


def test_stop_event_interrupts():
    stop = threading.Event()
    body = stream_for([b'a', b'b', b'c'], stop=stop, chunk_size=1)
    iterator = iter(body)
    next(iterator)
    stop.set()
    with pytest.raises(verified.AbortUpload):
        list(iterator)
    assert isinstance(body.failure, cancel.Interrupted)


def test_small_reads_are_gathered_into_full_pieces():
    chunks = [b'x' * 4] * 10
    body = stream_for(chunks, chunk_size=8, iter_size=4, clock=FakeClock())
    assert consume(body) == [b'x' * 8] * 5


def test_a_slow_source_is_forwarded_without_waiting_for_a_full_piece():
    """A destination must not sit for seconds without data (uWSGI 500s)."""
    clock = FakeClock()

    class SlowResponse(FakeResponse):
        def iter_content(self, chunk_size):
            for chunk in self.chunks:
                clock.now += verified.FLUSH_SECONDS
                yield chunk

    chunks = [b'a' * 3, b'b' * 3, b'c' * 3]
    digest = hashlib.sha512(b''.join(chunks)).hexdigest()
    body = verified.VerifiedStream(
        SlowResponse(chunks), model.Expected(9, 'sha512', digest),
        clock=clock)
    assert consume(body) == chunks


def test_source_is_read_in_small_pieces():
    seen = []

    class Recording(FakeResponse):
        def iter_content(self, chunk_size):
            seen.append(chunk_size)
            return super().iter_content(chunk_size)

    digest = hashlib.md5(b'abc').hexdigest()
    consume(verified.VerifiedStream(Recording([b'abc']),
                                    model.Expected(3, 'md5', digest)))
    assert seen == [download.ITER_CONTENT_SIZE]
    assert download.ITER_CONTENT_SIZE < verified.CHUNK_SIZE


def test_format_problem_stops_the_stream_before_the_rest_is_sent():
    """Data that the destination would refuse is cut off at its start."""
    data = qcow2(length=2 * MiB) + b'\0' * (30 * MiB)
    chunks = [data[i:i + MiB] for i in range(0, len(data), MiB)]
    body = stream_for(chunks, check=format_check.FormatCheck('raw', 'bare'))
    sent = []
    with pytest.raises(verified.AbortUpload):
        for chunk in body:
            sent.append(chunk)
    assert sent == []
    assert not body.failure.retriable
    assert str(body.failure).startswith(
        'data is qcow2 but its disk_format is raw')
    assert 'stopped after 1048576 of 33554432 bytes' in str(body.failure)


def test_format_check_passes_matching_data_through():
    chunks = [bytes([n]) * 300 * 1024 for n in range(1, 8)]
    body = stream_for(chunks, check=format_check.FormatCheck('raw', 'bare'))
    assert b''.join(consume(body)) == b''.join(chunks)


# A source record with neither size nor hash.
UNKNOWN = model.Expected(None, None, None)


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
