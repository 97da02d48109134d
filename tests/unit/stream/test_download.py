# SPDX-License-Identifier: Apache-2.0
"""The source download goes on across cuts and silences, from its next byte."""

import pytest
from urllib3 import exceptions as urllib3_exc

from osc_image_migrate.cloud import http
from osc_image_migrate.stream import body_readers
from osc_image_migrate.stream import download
from osc_image_migrate.stream import options
from tests.unit.fakes.clock import FakeClock
from tests.unit.fakes.download import FakeRaw
from tests.unit.fakes.download import FakeResponse
from tests.unit.fakes.https_source import HttpsSource
from tests.unit.fakes.https_source import RECORD

DATA = bytes(range(256)) * (6 * RECORD // 256)


def read_all(source_download, view_size=1024 * 1024):
    out = bytearray()
    buffer = bytearray(view_size)
    while True:
        n = source_download.readinto(memoryview(buffer))
        if not n:
            return bytes(out)
        out += buffer[:n]


def over(source, offsets, **settings):
    """A SourceDownload of ``source``; ``offsets`` gets each reopening's."""
    def reopen(offset):
        offsets.append(offset)
        return source.fetch(offset)

    return download.SourceDownload(
        source.fetch(), len(source.data), reopen=reopen,
        options=options.StreamOptions(**settings), chunk_size=1024 * 1024)


def test_a_cut_in_the_middle_of_a_tls_record_is_resumed_with_range():
    # 3 records and a half of TLS (headers included) reach the client.
    with HttpsSource(DATA, cut_raw_after=3 * RECORD + 7000) as source:
        offsets = []
        reading = over(source, offsets)
        assert body_readers.socket_body(reading.response) is not None
        data = read_all(reading)
        seen = source.requests_seen
    assert data == DATA
    assert reading.resumes == 1
    # Asked again from the first byte not read, wherever the cut fell.
    assert seen == [None, 'bytes=%d-' % offsets[0]]
    assert 2 * RECORD < offsets[0] < 4 * RECORD


def test_a_silent_source_is_asked_again_at_once_and_the_rest_arrives():
    with HttpsSource(DATA, silent_after=2 * RECORD) as source:
        reading = over(source, [], source_hedge=0.05, stall_timeout=60)
        data = read_all(reading)
        seen = source.requests_seen
    assert data == DATA
    assert (reading.hedges, reading.resumes) == (1, 1)
    assert seen == [None, 'bytes=%d-' % (2 * RECORD)]


class SilentRaw(FakeRaw):
    """A body whose reads time out; each costs the clock ``step()`` s."""

    def __init__(self, clock, step):
        super().__init__(b'', break_after=0,
                         error=lambda message: urllib3_exc.ReadTimeoutError(
                             None, '/v2/images/x/file', message))
        self.clock, self.step = clock, step

    def read1(self, amt, decode_content=None):
        self.clock.now += self.step()
        return super().read1(amt, decode_content)


def silent_download(monkeypatch, stall_timeout):
    clock, timeouts, offsets = FakeClock(), [], []
    monkeypatch.setattr(body_readers, 'set_timeout',
                        lambda response, seconds: timeouts.append(seconds))

    def reopen(offset):
        offsets.append(offset)
        return FakeResponse(SilentRaw(clock, lambda: timeouts[-1]))

    reading = download.SourceDownload(
        FakeResponse(SilentRaw(clock, lambda: timeouts[-1])), 10,
        reopen=reopen,
        options=options.StreamOptions(stall_timeout=stall_timeout,
                                      resume_backoff=()),
        chunk_size=4, clock=clock)
    # Each read's silence lasts the timeout last set.
    return reading, timeouts, offsets


def test_each_silence_in_a_row_waits_twice_as_long_up_to_the_stall(
        monkeypatch):
    reading, timeouts, offsets = silent_download(monkeypatch, 30)
    with pytest.raises(http.CloudError) as failed:
        read_all(reading, 4)
    # 2 s, then 4, 8 and what is left of the 30 s: never a tight loop.
    assert timeouts == [2.0, 4.0, 8.0, 16.0]
    assert offsets == [0, 0, 0]
    assert reading.hedges == 3
    # Then it is broken (no resume allowed here): the attempt fails.
    assert str(failed.value) == (
        'source download broke off after 0 bytes: ReadTimeoutError after '
        '30 s without a byte')
    assert failed.value.retriable


def test_after_the_stall_timeout_the_source_is_resumed_as_broken(
        monkeypatch):
    reading, timeouts, offsets = silent_download(monkeypatch, 30)
    reading._resume_backoff = (0, 0)
    with pytest.raises(http.CloudError) as failed:
        read_all(reading, 4)
    # Two resumes after the hedges, each connection given 30 s.
    assert timeouts == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert offsets == [0] * 5
    assert 'broke off after 0 bytes: ReadTimeoutError' in str(failed.value)


def test_a_stall_timeout_below_the_hedge_fails_at_the_first_silence(
        monkeypatch):
    reading, timeouts, offsets = silent_download(monkeypatch, 2)
    with pytest.raises(http.CloudError) as failed:
        read_all(reading, 4)
    assert offsets == []
    assert 'ReadTimeoutError after 2 s without a byte' in str(failed.value)


def test_after_a_byte_the_next_silence_is_hedged_early_again(monkeypatch):
    clock, timeouts = FakeClock(), []
    monkeypatch.setattr(body_readers, 'set_timeout',
                        lambda response, seconds: timeouts.append(seconds))
    answers = [FakeResponse(SilentRaw(clock, lambda: timeouts[-1])),
               FakeResponse(FakeRaw(b'abcd', break_after=2)),
               FakeResponse(FakeRaw(b'cd'))]
    reading = download.SourceDownload(
        FakeResponse(SilentRaw(clock, lambda: timeouts[-1])), 4,
        reopen=lambda offset: answers.pop(0),
        options=options.StreamOptions(resume_backoff=(0,)), chunk_size=4,
        clock=clock)
    assert read_all(reading, 4) == b'abcd'
    # Silent twice (after 2 s, then 4 s); the third connection (given 8 s)
    # sends bytes, and its timeout goes back to 2 s, as does the fourth's.
    assert timeouts == [2.0, 4.0, 8.0, 2.0, 2.0]


def test_a_hedge_the_source_refuses_goes_on_as_a_resumption(
        monkeypatch, caplog):
    clock, timeouts = FakeClock(), []
    monkeypatch.setattr(body_readers, 'set_timeout',
                        lambda response, seconds: timeouts.append(seconds))
    answers = [http.CloudError('HTTP 503', retriable=True, status=503),
               FakeResponse(FakeRaw(b'abcd'))]

    def reopen(offset):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    reading = download.SourceDownload(
        FakeResponse(SilentRaw(clock, lambda: timeouts[-1])), 4,
        reopen=reopen, options=options.StreamOptions(resume_backoff=(0,)),
        chunk_size=4, clock=clock)
    assert read_all(reading, 4) == b'abcd'
    assert (reading.hedges, reading.resumes) == (1, 1)
    assert 'broke off after 0 bytes (silent, then HTTP 503)' in caplog.text


def test_without_reopen_nothing_is_hedged(monkeypatch):
    timeouts = []
    monkeypatch.setattr(body_readers, 'set_timeout',
                        lambda response, seconds: timeouts.append(seconds))
    reading = download.SourceDownload(
        FakeResponse(FakeRaw(b'abc')), 3,
        options=options.StreamOptions(), chunk_size=4)
    assert read_all(reading, 4) == b'abc'
    assert timeouts == []


@pytest.mark.parametrize('error, expected', [
    (TimeoutError('The read operation timed out'), True),
    (urllib3_exc.ReadTimeoutError(None, '/x', 'timed out'), True),
    (download.requests.exceptions.ConnectionError(
        urllib3_exc.ReadTimeoutError(None, '/x', 'timed out')), True),
    (download.requests.exceptions.ConnectionError('reset'), False),
])
def test_what_counts_as_a_silence(error, expected):
    assert isinstance(error, download.SILENCES)
    assert download.silent(error) is expected
