# SPDX-License-Identifier: Apache-2.0
"""A sized body is read from its socket into the caller's buffer, over TLS."""

import pytest
from urllib3 import exceptions as urllib3_exc

from osc_image_migrate import cancel
from osc_image_migrate.stream import body_readers
from tests.unit.fakes.https_source import HttpsSource
from tests.unit.fakes.https_source import RECORD

DATA = bytes(range(256)) * (5 * RECORD // 256) + b'tail'


def read_all(body, view_size):
    """Everything ``body`` gives, ``view_size`` at most per read."""
    out, reads = bytearray(), 0
    buffer = bytearray(view_size)
    while True:
        n = body.readinto(memoryview(buffer))
        reads += 1
        if not n:
            return bytes(out), reads
        out += buffer[:n]


def test_a_sized_body_is_read_from_its_socket_record_by_record():
    with HttpsSource(DATA) as source:
        response = source.fetch()
        body = body_readers.socket_body(response)
        assert body is not None
        data, reads = read_all(body, 1024 * 1024)
    assert data == DATA
    # At most one TLS record per read: the reads are the records, no
    # more (a few bytes came with the headers).
    assert len(DATA) // RECORD <= reads <= len(DATA) // RECORD + 3


def test_a_record_is_split_across_views_smaller_than_it():
    with HttpsSource(DATA) as source:
        body = body_readers.socket_body(source.fetch())
        data, reads = read_all(body, 1000)
    assert data == DATA
    assert reads >= len(DATA) // 1000


def test_the_end_at_content_length_does_not_wait_for_more():
    """The connection stays open after the body: the length ends it."""
    with HttpsSource(DATA, write_size=len(DATA)) as source:
        response = source.fetch()
        body = body_readers.socket_body(response)
        buffer = bytearray(len(DATA))
        got = 0
        while got < len(DATA):
            got += body.readinto(memoryview(buffer)[got:])
        # Exactly at the end: 0 at once, though the server keeps the
        # connection (a read of the socket would wait for good).
        assert body.readinto(memoryview(bytearray(10))) == 0
    assert bytes(buffer) == DATA


def test_bytes_read_along_with_the_headers_are_not_lost():
    small = b'0123456789' * 3
    with HttpsSource(small) as source:
        body = body_readers.socket_body(source.fetch())
        data, reads = read_all(body, 7)
    assert data == small


def test_a_cut_connection_ends_the_body_short():
    with HttpsSource(DATA, cut_after=2 * RECORD) as source:
        body = body_readers.socket_body(source.fetch())
        got = bytearray()
        buffer = bytearray(RECORD)
        with _Ends() as ended:
            while True:
                n = body.readinto(memoryview(buffer))
                if not n:
                    break
                got += buffer[:n]
    assert ended.how in ('short end', 'OSError')
    assert bytes(got) == DATA[:len(got)]
    assert len(got) == 2 * RECORD


class _Ends:
    """Ends a read loop by its end or by an OSError, and says which."""

    how = 'short end'

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if kind is not None and issubclass(kind, OSError):
            self.how = 'OSError'
            return True
        return False


def test_a_chunked_body_is_left_to_urllib3():
    with HttpsSource(DATA, chunked=True) as source:
        response = source.fetch()
        assert body_readers.socket_body(response) is None
        assert b''.join(response.iter_content(65536)) == DATA


def test_a_timeout_set_on_a_response_ends_a_silent_read():
    with HttpsSource(DATA, silent_after=RECORD) as source:
        response = source.fetch()
        body = body_readers.socket_body(response)
        body_readers.set_timeout(response, 0.05)
        buffer = memoryview(bytearray(RECORD))
        got = 0
        with pytest.raises(urllib3_exc.ReadTimeoutError):
            while True:
                got += body.readinto(buffer)
        assert source.silent.is_set()
        assert got == RECORD


def test_pieces_are_split_across_views():
    body = body_readers.PieceBody(iter([b'abcde', b'', b'fg']))
    buffer = bytearray(3)
    out = []
    while True:
        n = body.readinto(memoryview(buffer))
        if not n:
            break
        out.append(bytes(buffer[:n]))
    assert out == [b'abc', b'de', b'fg']


def test_fakes_have_no_socket_body():
    class Fake:
        raw = object()
        headers = {}

    assert body_readers.socket_body(Fake()) is None
    body_readers.set_timeout(Fake(), 1)  # nothing to set: no error


class Limiter:
    """Records what was taken; refuses once ``refuse_after`` is reached."""

    piece = 1000

    def __init__(self, refuse_after=None):
        self.taken = []
        self.refuse_after = refuse_after

    def take(self, size, stop=None):
        self.taken.append(size)
        return self.refuse_after is None or len(self.taken) < self.refuse_after


def test_reads_are_paced_by_the_limiter_piece_by_piece():
    limiter = Limiter()
    with HttpsSource(DATA) as source:
        body = body_readers.socket_body(source.fetch(), limiter=limiter)
        data, reads = read_all(body, 1024 * 1024)
    assert data == DATA
    assert max(limiter.taken) <= Limiter.piece
    assert sum(limiter.taken) == len(DATA)


def test_a_stopped_limiter_interrupts_the_read():
    with HttpsSource(DATA) as source:
        body = body_readers.socket_body(source.fetch(),
                                        limiter=Limiter(refuse_after=3))
        with pytest.raises(cancel.Interrupted):
            read_all(body, 1024 * 1024)
