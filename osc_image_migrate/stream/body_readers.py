# SPDX-License-Identifier: Apache-2.0
"""A source body, read into the stream's blocks.

urllib3's generic read path costs a few Python calls and a copy for every
read, and over TLS a read returns at most one TLS record (16 KiB): 65,536
trips per GiB, which made the TLS stream cost the client more than curl
and sha512 together (profile in doc/source/performance.rst). A body
framed by its Content-Length (what Glance sends for a record with a size)
is plain bytes after the headers: once http.client's small read buffer is
drained, ``recv_into`` puts each record's bytes where the stream keeps
them, with no copy and no Python layer in between. A chunked or encoded
body, and the test fakes, are read through urllib3 (:class:`PieceBody`).
"""

import socket
from typing import Any
from typing import Iterator
from typing import Protocol

from urllib3 import exceptions as urllib3_exc

from osc_image_migrate import cancel
from osc_image_migrate.stream import bandwidth

# What the first read takes from http.client's read buffer (8 KiB unless
# configured otherwise): more than that buffer, so one read empties it.
DRAIN_SIZE = 1 << 20


class BodyReader(Protocol):
    """What the download reads a body with (SocketBody, PieceBody...)."""

    def readinto(self, view: memoryview) -> int:
        """Bytes into ``view`` (at least one); 0 at the body's end."""
        ...


class SocketBody:
    """``readinto`` of a response body, from its socket.

    ``response`` is kept: its end closes the connection under the reads.
    ``buffered`` is http.client's reader over ``sock`` (it may hold the
    first body bytes, read along with the headers); ``length`` the body's
    Content-Length, or None to read until the server closes. ``limiter``
    (a bandwidth.Limiter) paces the reads; a stopped run raises
    cancel.Interrupted.
    """

    def __init__(self, response: Any, sock: socket.socket, buffered: Any,
                 length: int | None,
                 limiter: bandwidth.Limiter | None = None,
                 stop: Any = None) -> None:
        self.response = response
        self.sock = sock
        self._buffered = buffered
        self._left = length
        self._limiter = limiter
        self._stop = stop
        self._leftover: memoryview | None = None

    def readinto(self, view: memoryview) -> int:
        """Read at least one byte into ``view``; 0 at the body's end."""
        if self._left is not None:
            if self._left <= 0:
                return 0
            if len(view) > self._left:
                view = view[:self._left]
        if self._limiter is not None and len(view) > self._limiter.piece:
            view = view[:self._limiter.piece]
        if self._buffered is not None:
            self._leftover = memoryview(self._buffered.read1(DRAIN_SIZE))
            self._buffered = None
        if self._leftover:
            n = min(len(view), len(self._leftover))
            view[:n] = self._leftover[:n]
            self._leftover = self._leftover[n:]
        else:
            try:
                n = self.sock.recv_into(view)
            except TimeoutError as e:
                # What urllib3 raises for the same silence: one vocabulary
                # whichever path read the body.
                no_pool: Any = None
                raise urllib3_exc.ReadTimeoutError(
                    no_pool, None, 'Read timed out.') from e
        if self._left is not None:
            self._left -= n
        if (n and self._limiter is not None
                and not self._limiter.take(n, self._stop)):
            raise cancel.Interrupted()
        return n


class PieceBody:
    """``readinto`` over an iterator of pieces (bytes), split as needed."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._leftover = memoryview(b'')

    def readinto(self, view: memoryview) -> int:
        """Copy at least one byte into ``view``; 0 at the pieces' end."""
        while not self._leftover:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._leftover = memoryview(piece)
        n = min(len(view), len(self._leftover))
        view[:n] = self._leftover[:n]
        self._leftover = self._leftover[n:]
        return n


def _parts(response: Any) -> tuple[Any, Any, socket.socket | None]:
    """http.client's response, its read buffer and socket, where found."""
    message = getattr(getattr(response, 'raw', None), '_fp', None)
    buffered = getattr(message, 'fp', None)
    sock = getattr(getattr(buffered, 'raw', None), '_sock', None)
    return message, buffered, (sock if isinstance(sock, socket.socket)
                               else None)


def socket_body(response: Any, limiter: bandwidth.Limiter | None = None,
                stop: Any = None) -> SocketBody | None:
    """The SocketBody of a streamed requests response, if it can have one.

    None for a body that is chunked or content-encoded, or a response
    whose parts are not those of requests over urllib3 and http.client
    (test fakes): those are read through urllib3.
    """
    message, buffered, sock = _parts(response)
    if (sock is None
            or getattr(message, 'chunked', True)
            or (response.headers.get('Content-Encoding') or 'identity')
            .lower() != 'identity'):
        return None
    length = getattr(message, 'length', None)
    return SocketBody(response, sock, buffered,
                      length if isinstance(length, int) else None,
                      limiter, stop)


def set_timeout(response: Any, seconds: float) -> None:
    """Make a read of ``response``'s body give up after ``seconds``.

    For responses without a reachable socket (test fakes) it does nothing.
    """
    sock = _parts(response)[2]
    if sock is not None:
        sock.settimeout(seconds)
