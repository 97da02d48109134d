# SPDX-License-Identifier: Apache-2.0
"""The source download of one stream, read on across breaks and silences.

Glance serves a download from any offset (``Range: bytes=N-``), so a
download that breaks (reset, truncated body, read timeout) is asked again
from the next byte the stream needs, and one that falls silent is asked
again at once, before the destination gives up its idle upload. The bytes
reach the stream in order, each once, whatever connections carried them.
"""

import logging
import time
from typing import Any
from typing import Callable
from typing import cast
from typing import Iterator

import requests
from urllib3 import exceptions as urllib3_exc

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.stream import body_readers
from osc_image_migrate.stream import connection
from osc_image_migrate.stream import options as stream_options

LOG = logging.getLogger(__name__)

# Read size of responses that cannot hand over what has arrived (see
# SourceDownload._pieces).
ITER_CONTENT_SIZE = 64 * 1024

# What a silent source raises, as the read it was in or through requests
# and urllib3 (see silent()).
SILENCES = (TimeoutError, urllib3_exc.ReadTimeoutError,
            requests.exceptions.Timeout, requests.exceptions.ConnectionError)


def silent(error: Exception) -> bool:
    """True when ``error`` (one of SILENCES) says the source was silent."""
    if isinstance(error, requests.exceptions.ConnectionError) and not (
            isinstance(error, requests.exceptions.Timeout)):
        return any(isinstance(a, urllib3_exc.ReadTimeoutError)
                   for a in error.args)
    return True


class RangeRefused(http.CloudError):
    """The source did not answer a ranged request with the bytes asked.

    Not worth asking again (the source ignores ``Range``, or its data
    moved): the attempt fails, and its retry reads from the first byte.
    """


class SourceDownload:
    """The bytes of one source download, in order, through ``readinto``.

    ``response`` is the download's first response. ``reopen(offset)``,
    when given, answers a new one that starts at byte ``offset`` (or
    raises http.CloudError): a read that breaks is resumed with it after
    the next wait of the run's ``options.resume_backoff``; a read that
    stays silent for ``options.source_hedge`` seconds is resumed at once.
    ``options.limiter`` paces the reads. ``size`` is the record's size
    (None: unknown). ``piece_size(n)`` bounds a read of the urllib3 path
    (the format check's; see verified.VerifiedStream); ``chunk_size``,
    ``iter_size`` and ``clock`` are the unit tests' knobs.

    What fails the attempt is raised: http.CloudError (RangeRefused among
    them) or cancel.Interrupted.
    """

    def __init__(self, response: Any, size: int | None, *,
                 options: stream_options.StreamOptions,
                 reopen: Callable[[int], Any] | None = None,
                 stop: Any = None, name: str | None = None,
                 piece_size: Callable[[int], int] = lambda n: n,
                 chunk_size: int, iter_size: int = ITER_CONTENT_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.response = response
        self._size = size
        self._reopen = reopen
        self._limiter = options.limiter
        self._resume_backoff = tuple(options.resume_backoff) if reopen else ()
        self._stall_timeout = options.stall_timeout
        self._source_hedge = (min(options.source_hedge,
                                  options.stall_timeout) if reopen else None)
        self._hedge_after = self._source_hedge
        self._stop = stop
        self._name = name
        self._piece_size = piece_size
        self._chunk_size = chunk_size
        self._iter_size = iter_size
        self._clock = clock
        self._body: body_readers.BodyReader | None
        self._body = None
        self._last_byte = 0.0
        self._why_not = ''
        self.received = 0
        self.resumes = 0
        self.hedges = 0

    def readinto(self, view: memoryview) -> int:
        """Read the source's next bytes into ``view``; 0 at its end.

        A break (an error while reading, or a body that ends short of the
        record's size) is resumed from the next byte, after the next wait
        of ``resume_backoff``; a byte read starts the waits over, so a long
        download may be resumed any number of times, but never loops on a
        source that answers and breaks at once. A silence of
        ``source_hedge`` seconds is resumed at once (see :meth:`_hedge`);
        one of ``stall_timeout`` is a break.
        """
        if self._body is None:
            self._last_byte = self._clock()
            self._body = self._open_body(self.response, self._hedge_after)
        tries = 0
        while True:
            try:
                n = self._body.readinto(view)
                if n:
                    self.received += n
                    self._last_byte = self._clock()
                    if (self._source_hedge is not None
                            and self._hedge_after != self._source_hedge):
                        # The next silence is hedged early again.
                        self._hedge_after = self._source_hedge
                        body_readers.set_timeout(self.response,
                                                 self._hedge_after)
                    return n
                if (self._reopen is None or self._size is None
                        or self.received >= self._size):
                    return 0
                why = 'the body ended early'
            except SILENCES as e:
                why = type(e).__name__
                silence = self._clock() - self._last_byte
                if self._reopen is not None and silent(e):
                    if silence < self._stall_timeout:
                        if self._hedge(silence):
                            continue
                        why = 'silent, then %s' % self._why_not
                    else:
                        # The source is broken: resumed as any break,
                        # each new connection given the whole timeout.
                        why += ' after %.0f s without a byte' % silence
                        self._hedge_after = self._stall_timeout
            except (requests.RequestException, OSError,
                    urllib3_exc.HTTPError) as e:
                why = type(e).__name__
            connection.close_response(self.response)
            tries = self._resume(why, tries)

    def _resume(self, why: str, tries: int) -> int:
        """Reopen the source from the next byte after a break.

        ``tries``: reopenings since the last byte read; each takes the
        next wait of ``resume_backoff``, and when they are used up the
        attempt fails. Returns the reopenings so far.
        """
        while True:
            if tries >= len(self._resume_backoff):
                raise http.CloudError(
                    'source download broke off after %d bytes: %s'
                    % (self.received, why), retriable=True)
            delay = self._resume_backoff[tries]
            tries += 1
            LOG.warning('Image %s: source download broke off after %d '
                        'bytes (%s); resuming from there%s',
                        self._name, self.received, why,
                        ' in %ss' % delay if delay else '')
            self._wait(delay)
            if self._reopened():
                return tries
            why = self._why_not

    def _hedge(self, silence: float) -> bool:
        """Reopen a silent source from its next byte; False if it failed.

        The destination drops an upload that stays idle for its socket
        timeout (uWSGI: 4 s): asking the source again after a short
        silence keeps the upload alive through a source stall. Each
        silence in a row waits twice as long as the one before, until the
        source has sent nothing for ``stall_timeout``: then it is broken,
        and resumed as any break (see :meth:`readinto`).
        """
        LOG.warning('Image %s: source download silent for %.1f s after %d '
                    'bytes; asking again from there', self._name, silence,
                    self.received)
        connection.close_response(self.response)
        assert self._hedge_after is not None  # hedged only with reopen
        self._hedge_after = min(2 * self._hedge_after,
                                self._stall_timeout - silence)
        self.hedges += 1
        return self._reopened()

    def _reopened(self) -> bool:
        """Ask the source from the next byte; False on a retriable error.

        On False, ``_why_not`` says what went wrong; any other error fails
        the attempt.
        """
        # Not None: without reopen, resume_backoff is empty and nothing
        # hedges, so the attempt has failed before this is reached.
        assert self._reopen is not None
        try:
            self.response = self._reopen(self.received)
        except RangeRefused:
            raise
        except http.CloudError as e:
            if not e.retriable:
                raise
            self._why_not = str(e)
            return False
        self.resumes += 1
        self._body = self._open_body(self.response, self._hedge_after)
        return True

    def _open_body(self, response: Any, timeout: float | None
                   ) -> body_readers.BodyReader:
        """The reader of one response's body; ``timeout`` its silence.

        A response that brings a reader of its own (``body_reader``: a
        bundle's data file, bundle/data_reader.py) is read with it,
        unless a rate limit paces the pieces.
        """
        own = getattr(response, 'body_reader', None)
        if own is not None and self._limiter is None:
            return cast(body_readers.BodyReader, own)
        if timeout is not None:
            body_readers.set_timeout(response, timeout)
        direct = body_readers.socket_body(response, self._limiter,
                                          self._stop)
        if direct is not None:
            return direct
        return body_readers.PieceBody(self._pieces(response))

    def _wait(self, delay: float) -> None:
        cancel.pause(self._stop, delay)

    def _pieces(self, response: Any) -> Iterator[bytes]:
        """One response's bytes through urllib3, ``chunk_size`` at most.

        The path of the bodies a SocketBody cannot read (see
        body_readers.py). ``raw.read1`` hands over what the connection
        holds without waiting to fill a piece. Over
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
                raise cancel.Interrupted()
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
