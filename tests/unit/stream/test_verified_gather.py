# SPDX-License-Identifier: Apache-2.0
"""Reads that return one TLS record each are gathered while more is there.

A real socket pair stands in for the source connection; its reader hands
over at most one "record" per read, as ``raw.read1`` does over TLS.
"""

import hashlib
import socket
import threading

from osc_image_migrate import model
from osc_image_migrate.stream import verified

RECORD = 16 * 1024


class SocketRaw:
    """``raw`` of a response: read1 gives at most one record of the socket."""

    def __init__(self, sock):
        self.connection = type('Connection', (), {'sock': sock})()
        self.sock = sock
        self.reads = 0

    def read1(self, amt, decode_content=None):
        self.reads += 1
        return self.sock.recv(min(amt, RECORD))


class Response:
    def __init__(self, raw):
        self.raw = raw


def source(data):
    reader, writer = socket.socketpair()
    for end in (reader, writer):
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024 * 1024)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1024 * 1024)
    raw = SocketRaw(reader)
    body = verified.VerifiedStream(
        Response(raw), model.Expected(
            len(data), 'sha512', hashlib.sha512(data).hexdigest()),
        chunk_size=1024 * 1024)
    return body, raw, writer


def test_what_has_arrived_is_one_piece_not_one_per_record():
    data = bytes(range(256)) * (8 * RECORD // 256)
    body, raw, writer = source(data)
    writer.sendall(data)  # all of it is in the socket before any read
    writer.close()
    pieces = list(body.download._pieces(body.response))
    assert pieces == [data]  # one piece, not eight
    assert raw.reads >= 8


def test_a_slow_source_is_forwarded_without_waiting_for_more():
    first, rest = b'a' * RECORD, b'b' * RECORD
    body, raw, writer = source(first + rest)
    pieces = body.download._pieces(body.response)
    writer.sendall(first)
    # Nothing more has arrived: the first record comes out alone, at once
    # (were it gathered, this would wait for bytes not yet sent).
    assert next(pieces) == first
    sent = threading.Thread(target=writer.sendall, args=(rest,))
    sent.start()
    assert next(pieces) == rest
    sent.join()
    writer.close()
    assert next(pieces, None) is None
