# SPDX-License-Identifier: Apache-2.0
"""The request body that checks the data before its last byte goes out.

Two traps shape this code (both reproduced on the sandbox): keystoneauth
re-sends a request body after a 401, on connect/status retries and on
redirects, which for a consumed stream means an empty or partial upload that
can succeed; and urllib3 swallows ``OSError`` raised from a body iterator.
So the body refuses a second iteration, and aborts are raised as a
non-``OSError`` exception (:class:`AbortUpload`).
"""

import threading
import time
from typing import Any
from typing import Callable
from typing import cast
from typing import Iterable
from typing import Iterator
from typing import NoReturn

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.stream import download
from osc_image_migrate.stream import hashing
from osc_image_migrate.stream import options as stream_options

# The source is read into blocks of CHUNK_SIZE (see
# VerifiedStream._verified_chunks); a block goes out after FLUSH_SECONDS
# even when not full. A destination Glance served by uWSGI fails an upload
# (HTTP 500) that stays silent for its socket timeout (4 s by default),
# which waiting for a full MiB from a slow source (< 256 KiB/s) used to
# cause.
CHUNK_SIZE = 1024 * 1024
FLUSH_SECONDS = 1.0

# What the body yields: a full block as read (a bytearray), a partial one
# as bytes.
Block = bytes | bytearray


class AbortUpload(Exception):
    """Raised inside the request body to cut the upload off.

    Deliberately not an OSError: urllib3 ignores those from a body.
    """


class VerifiedStream:
    """A one-shot request body that checks size and hash before its end.

    Iterating it reads the source (a download.SourceDownload) into blocks
    of up to ``chunk_size`` bytes, hashes each, and yields a block only
    once the next one has been read, so the final block is released only
    when the whole stream has been verified. A block that is not full goes
    out anyway after ``FLUSH_SECONDS``, so a slow source never leaves the
    destination waiting long for data.
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
    starts at byte ``offset``: a read that breaks or falls silent is
    resumed with it (see download.SourceDownload), and the stream goes on
    where it was, hashing on. Nothing about the check changes: whatever
    the blocks came from, the last one goes out only when size and hash
    match. ``options.limiter`` paces the reads.

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
                 iter_size: int = download.ITER_CONTENT_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._size = expected.size
        self._algo = expected.algo
        self._digest = expected.digest
        self._check = check
        self._on_bytes = on_bytes
        self._on_read = on_read
        self._stop = stop
        self._chunk_size = chunk_size
        self._clock = clock
        self._read_algos = () if self._digest else tuple(read_algos)
        self.download = download.SourceDownload(
            source_response, expected.size, options=options, reopen=reopen,
            stop=stop, name=name, piece_size=self._piece_size,
            chunk_size=chunk_size, iter_size=iter_size, clock=clock)
        self.data_read: model.DataRead | None = None
        self._started = False
        self.sent = 0
        self.failure: Exception | None = None

    @property
    def response(self) -> Any:
        """The source response being read (the last one opened)."""
        return self.download.response

    @property
    def received(self) -> int:
        return self.download.received

    @property
    def resumes(self) -> int:
        return self.download.resumes

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

    def __iter__(self) -> Iterator[Block]:
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

    def _read_into(self, view: memoryview) -> int:
        """The source's next bytes into ``view`` (0 at its end)."""
        try:
            return self.download.readinto(view)
        except (http.CloudError, cancel.Interrupted) as e:
            self._fail(e)

    def _piece_size(self, size: int) -> int:
        """``size``, or less while the format check is undecided."""
        if self._check is None:
            return size
        return self._check.wanted(size)

    def _chunks(self) -> Iterator[Block]:
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
                         ) -> Iterator[Block]:
        """The source's bytes in blocks, the last one once verified.

        The source is read straight into blocks of ``chunk_size`` bytes; a
        block is sealed (and hashed) when full, or when ``FLUSH_SECONDS``
        have passed since the last piece went out, and goes out once the
        next one is sealed.
        """
        held: Block | None = None
        block, filled = bytearray(self._chunk_size), 0
        view = memoryview(block)
        last_sent = self._clock()
        while True:
            if self._stop is not None and self._stop.is_set():
                self._fail(cancel.Interrupted())
            want = self._chunk_size - filled
            checking = self._check is not None and not self._check.done
            if checking:
                want = self._piece_size(want)
            n = self._read_into(view[filled:filled + want])
            if not n:
                break
            if checking:
                self._inspect(bytes(view[filled:filled + n]),
                              self.sent + len(held or b'') + filled + n)
            filled += n
            if (filled == self._chunk_size
                    or self._clock() - last_sent >= FLUSH_SECONDS):
                sealed = self._seal(block, filled, hasher, readers)
                if held is not None:
                    yield held
                    self._count(len(held))
                    last_sent = self._clock()
                held = sealed
                block, filled = bytearray(self._chunk_size), 0
                view = memoryview(block)
        last = self._seal(block, filled, hasher, readers) if filled else None
        received = self.sent + len(held or b'') + len(last or b'')
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
        for piece in (held, last):
            if piece is not None:
                yield piece
                self._count(len(piece))

    def _seal(self, block: bytearray, filled: int,
              hasher: hashing.BackgroundHash | None,
              readers: dict[str, hashing.BackgroundHash]) -> Block:
        """The block's ``filled`` bytes, handed to the hashes."""
        # A full block goes out as it is (never changed again).
        sealed: Block = (block if filled == len(block)
                         else bytes(memoryview(block)[:filled]))
        if hasher is not None:
            hasher.update(sealed)
        for reader in readers.values():
            reader.update(sealed)
        return sealed

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
