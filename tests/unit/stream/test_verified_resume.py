# SPDX-License-Identifier: Apache-2.0
"""A broken source download is resumed with Range inside the same stream."""

import argparse
import hashlib
from unittest import mock

import pytest
from urllib3 import exceptions as urllib3_exc

from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.stream import options
from osc_image_migrate.stream import source
from osc_image_migrate.stream import verified
from osc_image_migrate.v1 import image_migrate
from osc_image_migrate.v1 import option_types

DATA = bytes(range(256)) * 64  # 16 KiB
NO_WAIT = (0, 0, 0)


class FakeRaw:
    """urllib3's HTTPResponse body: ``read1``, broken after some bytes."""

    def __init__(self, data, piece=1024, break_after=None,
                 error=urllib3_exc.ProtocolError):
        self.data = data
        self.piece = piece
        self.break_after = break_after
        self.error = error
        self.read = 0

    def read1(self, amt, decode_content=None):
        if self.break_after is not None and self.read >= self.break_after:
            raise self.error('Connection broken')
        size = min(amt, self.piece)
        if self.break_after is not None:
            size = min(size, self.break_after - self.read)
        piece = self.data[self.read:self.read + size]
        self.read += len(piece)
        return piece


class FakeResponse:
    def __init__(self, raw, status=200, headers=None):
        self.raw = raw
        self.status_code = status
        self.headers = headers or {}
        self.text = ''
        self.closed = False

    def close(self):
        self.closed = True


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
    refused = verified.RangeRefused('ignored', retriable=True, status=200)
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


# -- open_source: what a resumed answer must be --------------------------

class FakeImage:
    def __init__(self, response):
        self.response = response
        self.calls = []

    def get(self, url, **kwargs):
        self.calls.append((url, kwargs))
        return self.response


class FakeClients:
    def __init__(self, response):
        self.image = FakeImage(response)
        self.renewed = []

    def refresh_token_if_expiring(self, margin):
        self.renewed.append(('refresh', margin))

    def reauthenticate(self):
        self.renewed.append(('reauthenticate',))


def opened(status, content_range=None, offset=4096, size_known=True,
           **settings):
    headers = {'Content-Range': content_range} if content_range else {}
    response = FakeResponse(None, status, headers)
    src = FakeClients(response)
    result = source.open_source(src, 'img', offset,
                                options.StreamOptions(**settings),
                                size_known=size_known)
    return result, src.image.calls[0]


def test_a_resumed_download_asks_for_the_next_byte():
    response, (url, kwargs) = opened(206, 'bytes 4096-16383/16384',
                                     stall_timeout=2.5)
    assert response.status_code == 206
    assert url == '/v2/images/img/file'
    assert kwargs['headers'] == {'Range': 'bytes=4096-'}
    assert kwargs['timeout'] == (2.5, 2.5)
    assert kwargs['allow_reauth'] is False


@pytest.mark.parametrize('status,content_range', [
    (200, None),                         # the source ignored Range
    (206, 'bytes 0-16383/16384'),        # another start
    (206, 'bytes 4095-16383/16384'),
    (206, None),
])
def test_a_resumed_answer_from_elsewhere_is_refused(status, content_range):
    with pytest.raises(verified.RangeRefused) as refused:
        opened(status, content_range)
    assert refused.value.retriable
    assert 'asked for its bytes from 4096' in str(refused.value)


def test_a_server_error_on_reopening_may_be_tried_again():
    with pytest.raises(http.CloudError) as failed:
        opened(503)
    assert not isinstance(failed.value, verified.RangeRefused)
    assert failed.value.retriable


def test_the_first_download_sends_no_range():
    _, (_, kwargs) = opened(200, offset=0)
    assert kwargs['headers'] is None
    assert kwargs['timeout'] == (http.STALL_TIMEOUT, http.STALL_TIMEOUT)


def test_reopening_renews_tokens_like_an_attempt():
    src = FakeClients(FakeResponse(None, 401))
    reopen = source.Reopener(src, 'img', options.StreamOptions())
    with pytest.raises(http.CloudError):
        reopen(100)
    src.image.response = FakeResponse(None, 206,
                                      {'Content-Range': 'bytes 100-199/200'})
    reopen(100)
    assert src.renewed == [('refresh', 600), ('reauthenticate',)]


# -- the option ----------------------------------------------------------

def test_stall_timeout_must_be_positive():
    assert option_types.positive_seconds('2.5') == 2.5
    for bad in ('0', '-1', 'soon', 'nan'):
        with pytest.raises(argparse.ArgumentTypeError):
            option_types.positive_seconds(bad)


def _parse(*args):
    parser = image_migrate.MigrateImage(mock.Mock(), None).get_parser('x')
    return parser.parse_args(['--dest-cloud', 'd', 'img'] + list(args))


def test_stall_timeout_option_defaults_to_the_documented_value():
    assert _parse().stall_timeout == http.STALL_TIMEOUT == 30
    assert _parse('--stall-timeout', '2').stall_timeout == 2.0


def test_stall_timeout_option_refuses_zero(capsys):
    with pytest.raises(SystemExit) as stopped:
        _parse('--stall-timeout', '0')
    assert stopped.value.code == 2
    assert 'must be more than 0 seconds' in capsys.readouterr().err


def test_a_502_for_a_record_without_size_is_explained_not_retried():
    # Glance sends "Content-Length: None"; HAProxy answers 502 for it.
    with pytest.raises(http.CloudError) as failed:
        opened(502, offset=0, size_known=False)
    assert not failed.value.retriable
    assert failed.value.status == 502
    assert 'Content-Length: None' in str(failed.value)


def test_a_502_for_a_record_with_a_size_may_be_tried_again():
    with pytest.raises(http.CloudError) as failed:
        opened(502, offset=0)
    assert failed.value.retriable
    assert 'Content-Length' not in str(failed.value)
