# SPDX-License-Identifier: Apache-2.0
"""A broken source download is resumed with Range inside the same stream."""

import hashlib

import pytest
from urllib3 import exceptions as urllib3_exc

from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.stream import download
from osc_image_migrate.stream import options
from osc_image_migrate.stream import verified
from tests.unit.fakes.download import FakeRaw
from tests.unit.fakes.download import FakeResponse

DATA = bytes(range(256)) * 64  # 16 KiB
NO_WAIT = (0, 0, 0)


class Source:
    """Serves DATA from any offset; ``plan`` says how each answer breaks.

    Each entry of ``plan`` is the number of bytes the next response
    serves before breaking (None: to the end), or an exception to raise
    instead of answering, or a callable(offset) that answers.
    """

    def __init__(self, plan, data=DATA):
        self.plan = list(plan)
        self.data = data
        self.offsets = []

    def __call__(self, offset):
        self.offsets.append(offset)
        step = self.plan.pop(0) if self.plan else None
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(offset)
        return FakeResponse(FakeRaw(self.data[offset:], break_after=step))


def stream(first_break, plan, data=DATA, served=DATA, size=None,
           **kwargs):
    source = Source(plan, served)
    first = FakeResponse(FakeRaw(served, break_after=first_break))
    body = verified.VerifiedStream(
        first, model.Expected(len(data) if size is None else size,
                              'sha512', hashlib.sha512(data).hexdigest()),
        chunk_size=4096, reopen=source, options=options.StreamOptions(
            resume_backoff=kwargs.pop('resume_backoff', NO_WAIT)), **kwargs)
    return body, source, first


def consume(body):
    out = []
    with pytest.raises(http.CloudError) as failed:
        try:
            for chunk in body:
                out.append(chunk)
        except verified.AbortUpload:
            raise body.failure
    return out, failed.value


def test_cuts_are_resumed_from_the_next_byte_in_the_same_stream():
    body, source, first = stream(5000, [3000, 1, None])
    sent = b''.join(body)
    assert sent == DATA
    assert source.offsets == [5000, 8000, 8001]
    assert (body.resumes, body.received, body.sent) == (3, len(DATA),
                                                        len(DATA))
    assert first.closed


def test_a_body_that_ends_early_is_resumed():
    served = DATA
    first = FakeResponse(FakeRaw(served[:7000]))
    source = Source([None])
    body = verified.VerifiedStream(
        first, model.Expected(len(DATA), 'sha512',
                              hashlib.sha512(DATA).hexdigest()),
        reopen=source, options=options.StreamOptions(resume_backoff=NO_WAIT))
    assert b''.join(body) == DATA
    assert source.offsets == [7000]


def test_a_read_timeout_is_resumed():
    body, source, _ = stream(4096, [None], resume_backoff=(0,))
    # A stalled read raises urllib3's ReadTimeoutError inside read1.
    body.response.raw.error = lambda message: urllib3_exc.ReadTimeoutError(
        None, '/v2/images/x/file', message)
    assert b''.join(body) == DATA
    assert source.offsets == [4096]


def test_other_bytes_after_a_resume_never_release_the_last_piece():
    other = bytearray(DATA)
    other[9000] ^= 0xFF
    body, source, _ = stream(5000, [None], served=DATA)
    source.data = bytes(other)
    out, error = consume(body)
    assert 'does not match the source record' in str(error)
    assert error.retriable
    # The last piece was held back: the destination never got it all.
    assert sum(map(len, out)) < len(DATA)


def test_a_refused_range_ends_the_attempt_without_asking_again():
    refused = download.RangeRefused('ignored', retriable=True, status=200)
    body, source, _ = stream(5000, [refused, None])
    out, error = consume(body)
    assert error is refused
    assert source.offsets == [5000]
    assert sum(map(len, out)) <= 5000


def test_reopening_is_bounded_without_progress():
    down = http.CloudError('HTTP 503', retriable=True, status=503)
    body, source, _ = stream(5000, [down] * 10)
    out, error = consume(body)
    assert 'source download broke off after 5000 bytes' in str(error)
    assert 'HTTP 503' in str(error)
    assert error.retriable
    assert source.offsets == [5000] * len(NO_WAIT)


def test_a_source_that_breaks_at_once_is_not_reopened_forever():
    body, source, _ = stream(5000, [0] * 10)
    out, error = consume(body)
    assert source.offsets == [5000] * len(NO_WAIT)


def test_progress_starts_the_waits_over():
    # Four breaks, each after some progress, with only one wait allowed.
    body, source, _ = stream(1000, [1000, 1000, 1000, None],
                             resume_backoff=(0,))
    assert b''.join(body) == DATA
    assert source.offsets == [1000, 2000, 3000, 4000]


def test_a_refusal_on_reopening_fails_at_once():
    gone = http.CloudError('HTTP 404', status=404)
    body, source, _ = stream(5000, [gone, None])
    out, error = consume(body)
    assert error is gone


def test_without_reopen_a_break_fails_as_before():
    first = FakeResponse(FakeRaw(DATA, break_after=5000))
    body = verified.VerifiedStream(first, model.Expected(
        len(DATA), 'sha512', hashlib.sha512(DATA).hexdigest()))
    out, error = consume(body)
    assert 'source download broke off after 5000 bytes' in str(error)


def test_waits_between_reopenings_follow_the_backoff(monkeypatch):
    waited = []

    class Stop:
        def wait(self, delay):
            waited.append(delay)
            return False

        def is_set(self):
            return False

    down = http.CloudError('reset', retriable=True)
    body, source, _ = stream(5000, [down, down, None],
                             resume_backoff=(0, 0.25, 0.5), stop=Stop())
    assert b''.join(body) == DATA
    assert waited == [0, 0.25, 0.5]
