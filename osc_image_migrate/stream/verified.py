# SPDX-License-Identifier: Apache-2.0
"""The request body that checks the data before its last byte goes out.

Two traps shape this code (both reproduced on the sandbox): keystoneauth
re-sends a request body after a 401, on connect/status retries and on
redirects, which for a consumed stream means an empty or partial upload that
can succeed; and urllib3 swallows ``OSError`` raised from a body iterator.
So the body refuses a second iteration, and aborts are raised as a
non-``OSError`` exception (:class:`AbortUpload`).
"""

import logging
import threading
import time
from typing import Any
from typing import Callable
from typing import cast
from typing import Iterable
from typing import Iterator
from typing import NoReturn

import requests
from urllib3 import exceptions as urllib3_exc

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.stream import connection
from osc_image_migrate.stream import hashing
from osc_image_migrate.stream import options as stream_options

LOG = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
# The source is read as it arrives, in pieces of at most CHUNK_SIZE (see
# VerifiedStream._read); a piece goes out after FLUSH_SECONDS even when not
# full. A destination Glance served by uWSGI fails an upload (HTTP 500)
# that stays silent for its socket timeout (4 s by default), which waiting
# for a full MiB from a slow source (< 256 KiB/s) used to cause.
# ITER_CONTENT_SIZE is the read size of responses that cannot hand over
# what has arrived (see VerifiedStream._pieces).
ITER_CONTENT_SIZE = 64 * 1024
FLUSH_SECONDS = 1.0


class RangeRefused(http.CloudError):
    """The source did not answer a ranged request with the bytes asked.

    Not worth asking again (the source ignores ``Range``, or its data
    moved): the attempt fails, and its retry reads from the first byte.
    """


class AbortUpload(Exception):
    """Raised inside the request body to cut the upload off.

    Deliberately not an OSError: urllib3 ignores those from a body.
    """


class VerifiedStream:
    """A one-shot request body that checks size and hash before its end.

    Iterating it reads the source response as it arrives, hashes it,
    gathers it into pieces of up to ``chunk_size`` bytes, and yields
    a gathered piece only once more data has been read after it, so the
    final piece is released only when the whole stream has been verified.
    A piece that is not full goes out anyway after ``FLUSH_SECONDS``, so a
    slow source never leaves the destination waiting long for data.
    ``check`` (a format_check.FormatCheck) sees the first bytes, so data
    the destination would refuse is stopped before the rest is sent;
    ``limiter`` (a bandwidth.Limiter) paces the reads from the source.

    ``expected`` (model.Expected) is what the data must be: its size None
    (a source record without a size) streams to the end; its digest None
    (a record without a hash): the stream hashes what it reads with each
    of ``read_algos`` instead. Once the stream is verified, before the
    last piece goes out, ``data_read`` (model.DataRead) holds the size and
    those hashes of the bytes read, and ``on_read`` is called with it: the
    reference the copy is then verified against, kept by the copy even
    when the upload fails after that.

    ``reopen(offset)``, when given, answers a new source response that
    starts at byte ``offset`` (or raises http.CloudError): a read that
    breaks (reset, truncated body, read timeout) is resumed with it after
    the next wait of the run's ``options.resume_backoff``, and the stream
    goes on where it was, hashing on. Nothing about the check changes:
    whatever the pieces came from, the last one goes out only when size
    and hash match. ``options.limiter`` paces the reads.

    ``chunk_size``, ``iter_size`` and ``clock`` are the unit tests' knobs.
    """

    def __init__(self, source_response: Any, expected: model.Expected, *,
                 options: stream_options.StreamOptions = (
                     stream_options.StreamOptions()),
                 check: format_check.FormatCheck | None = None,
                 reopen: Callable[[int], Any] | None = None,
                 on_bytes: Callable[[int], None] | None = None,
                 on_read: Callable[[model.DataRead], None] | None = None,
                 stop: threading.Event | None = None,
                 name: str | None = None,
                 read_algos: Iterable[str] = model.READ_ALGOS,
                 chunk_size: int = CHUNK_SIZE,
                 iter_size: int = ITER_CONTENT_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.response = source_response
        self._size = expected.size
        self._algo = expected.algo
        self._digest = expected.digest
        self._check = check
        self._limiter = options.limiter
        self._on_bytes = on_bytes
        self._on_read = on_read
        self._stop = stop
        self._chunk_size = chunk_size
        self._iter_size = iter_size
        self._clock = clock
        self._reopen = reopen
        self._resume_backoff = tuple(options.resume_backoff) if reopen else ()
        self._name = name
        self._read_algos = () if self._digest else tuple(read_algos)
        self.data_read: model.DataRead | None = None
        self._started = False
        self.sent = 0
        self.received = 0
        self.resumes = 0
        self.failure: Exception | None = None

    def __len__(self) -> int:
        """The size to send, 0 if unknown (then the upload is chunked).

        With a length, requests sends a Content-Length and urllib3 sends
        each piece as it is; a chunked upload costs a copy of every piece
        into its chunk framing (see doc/source/performance.rst).
        """
        return self._size or 0

    def __bool__(self) -> bool:
        """Always true: a body, even of unknown size (``__len__`` 0).

        requests sends ``data or {}``: a stream that looked false (no
        size: length 0) was replaced by an empty body, and a source record
        without a size was copied as 0 bytes.
        """
        return True

    def __iter__(self) -> Iterator[bytes]:
        if self._started:
            # A replayed body must never look like a (short) valid upload.
            self.failure = http.CloudError(
                'request body was about to be sent twice', retriable=True)
            raise AbortUpload(str(self.failure))
        self._started = True
        return self._chunks()

    def _fail(self, error: Exception) -> NoReturn:
        self.failure = error
        raise AbortUpload(str(error))

    def _read(self) -> Iterator[bytes]:
        """The source's bytes, resumed from the next byte after a break.

        A break is an error while reading, or a body that ends short of
        the record's size. Each reopening takes the next wait of
        ``resume_backoff``; a byte read starts the waits over, so a long
        download may be resumed any number of times, but never loops on a
        source that answers and breaks at once.
        """
        tries = 0
        while True:
            try:
                for piece in self._pieces(self.response):
                    tries = 0
                    self.received += len(piece)
                    yield piece
                if (self._reopen is None or self._size is None
                        or self.received >= self._size):
                    return
                why = 'the body ended early'
            except (requests.RequestException, OSError,
                    urllib3_exc.HTTPError) as e:
                why = type(e).__name__
            connection.close_response(self.response)
            while True:
                if tries >= len(self._resume_backoff):
                    self._fail(http.CloudError(
                        'source download broke off after %d bytes: %s'
                        % (self.received, why), retriable=True))
                delay = self._resume_backoff[tries]
                tries += 1
                LOG.warning('Image %s: source download broke off after %d '
                            'bytes (%s); resuming from there%s',
                            self._name, self.received, why,
                            ' in %ss' % delay if delay else '')
                self._wait(delay)
                # Not None: without reopen, resume_backoff is empty and
                # _fail above has raised.
                assert self._reopen is not None
                try:
                    self.response = self._reopen(self.received)
                    self.resumes += 1
                    break
                except RangeRefused as e:
                    self._fail(e)
                except http.CloudError as e:
                    if not e.retriable:
                        self._fail(e)
                    why = str(e)

    def _wait(self, delay: float) -> None:
        try:
            cancel.pause(self._stop, delay)
        except cancel.Interrupted as e:
            self._fail(e)

    def _pieces(self, response: Any) -> Iterator[bytes]:
        """One response's bytes as they arrive, ``chunk_size`` at most.

        ``raw.read1`` hands over what the connection holds without waiting
        to fill a piece, so a slow source is forwarded as it comes. Over
        TLS one read gives at most one TLS record (~16 KiB): reads are
        gathered into one piece while more is already there (see
        :func:`connection.waiting`), so a fast source is handled in few
        large pieces whatever carries it (each piece costs the hash and
        the checks their own CPU: see doc/source/performance.rst).
        Responses without ``read1`` (test fakes, older urllib3) are read
        ``iter_size`` at a time.
        """
        size = self._chunk_size
        if self._limiter is not None:
            size = min(size, self._limiter.piece)
        read1 = getattr(getattr(response, 'raw', None), 'read1', None)
        if read1 is not None:
            pieces = iter(lambda: self._gather(response, read1, size), b'')
        else:
            pieces = response.iter_content(min(self._iter_size, size))
        for piece in pieces:
            if self._limiter is not None and not self._limiter.take(
                    len(piece), self._stop):
                self._fail(cancel.Interrupted())
            yield piece

    def _gather(self, response: Any, read1: Callable[..., bytes],
                size: int) -> bytes:
        """One read, topped up by the reads that would not wait."""
        wanted = self._piece_size(size)
        piece = read1(wanted, decode_content=True)
        if (not piece or len(piece) >= wanted
                or not connection.waiting(response)):
            return piece
        parts, have = [piece], len(piece)
        while have < wanted and connection.waiting(response):
            more = read1(wanted - have, decode_content=True)
            if not more:
                break
            parts.append(more)
            have += len(more)
        return b''.join(parts)

    def _piece_size(self, size: int) -> int:
        """``size``, or less while the format check is undecided."""
        if self._check is None:
            return size
        return self._check.wanted(size)

    def _chunks(self) -> Iterator[bytes]:
        hasher = (hashing.BackgroundHash(self._algo)
                  if self._algo and self._digest else None)
        readers = {algo: hashing.BackgroundHash(algo)
                   for algo in self._read_algos}
        try:
            yield from self._verified_chunks(hasher, readers)
        finally:
            for h in [hasher] + list(readers.values()):
                if h is not None:
                    h.close()

    def _verified_chunks(self, hasher: hashing.BackgroundHash | None,
                         readers: dict[str, hashing.BackgroundHash]
                         ) -> Iterator[bytes]:
        held: list[bytes] = []
        held_size = 0
        last_sent = self._clock()
        for chunk in self._read():
            if not chunk:
                continue
            if self._stop is not None and self._stop.is_set():
                self._fail(cancel.Interrupted())
            if hasher is not None:
                hasher.update(chunk)
            for reader in readers.values():
                reader.update(chunk)
            if self._check is not None and not self._check.done:
                self._inspect(chunk, self.sent + held_size + len(chunk))
            if held and (held_size + len(chunk) > self._chunk_size or
                         self._clock() - last_sent >= FLUSH_SECONDS):
                yield b''.join(held)
                self._count(held_size)
                held, held_size = [], 0
                last_sent = self._clock()
            held.append(chunk)
            held_size += len(chunk)
        received = self.sent + held_size
        if self._size is not None and received != self._size:
            self._fail(http.CloudError(
                'source sent %d bytes, its record says %d'
                % (received, self._size), retriable=True))
        if hasher is not None and hasher.hexdigest() != self._digest:
            self._fail(http.CloudError(
                'data %s does not match the source record (%s %s...)'
                % (self._algo, hasher.hexdigest()[:12],
                   cast(str, self._digest)[:12]),
                retriable=True))
        if self._check is not None:
            self._inspect(None, received)
        self.data_read = model.DataRead(received, {
            algo: reader.hexdigest() for algo, reader in readers.items()})
        if self._on_read is not None:
            self._on_read(self.data_read)
        if held:
            yield b''.join(held)
            self._count(held_size)

    def _inspect(self, chunk: bytes | None, received: int) -> None:
        """Feed the format check (``None``: the end); stop on a problem."""
        assert self._check is not None  # only called with a check
        try:
            if chunk is None:
                self._check.finish()
            else:
                self._check.feed(chunk)
        except format_check.FormatProblem as e:
            self._fail(http.CloudError(
                '%s (stopped after %d of %s bytes)'
                % (e, received, self._size)))

    def _count(self, n: int) -> None:
        self.sent += n
        if self._on_bytes is not None:
            self._on_bytes(n)
