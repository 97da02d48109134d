"""Stream one image's data from the source to the destination, verified.

The bytes go from the source download straight into the destination upload
(with a Content-Length when the source record gives the size, chunked
otherwise), hashed on the way in a thread of its own. The last chunk is
held back until the size and hash match the source record; on any mismatch
the upload is aborted mid-stream, so Glance puts the record back to
``queued`` and bad data never becomes ``active``.

Two traps shape this code (both reproduced on the sandbox): keystoneauth
re-sends a request body after a 401, on connect/status retries and on
redirects, which for a consumed stream means an empty or partial upload that
can succeed; and urllib3 swallows ``OSError`` raised from a body iterator.
So the data PUT disables every replay, the body refuses a second iteration,
and aborts are raised as a non-``OSError`` exception.
"""

import dataclasses
import logging
import time

import requests
from urllib3 import exceptions as urllib3_exc

from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.stream import hashing

LOG = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
# The source is read as it arrives, in pieces of at most CHUNK_SIZE (see
# VerifiedStream._read); a piece goes out after FLUSH_SECONDS even when not
# full. A destination Glance served by uWSGI fails an upload (HTTP 500)
# that stays silent for its socket timeout (4 s by default), which waiting
# for a full MiB from a slow source (< 256 KiB/s) used to cause. READ_SIZE
# is for responses that cannot hand over what has arrived.
READ_SIZE = 64 * 1024
FLUSH_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class StreamOptions:
    """What every stream of a run does besides copying: checks, limits.

    ``limiter`` is a bandwidth.Limiter shared by all streams, or None;
    ``method`` the run's upload_method.Chooser (None: direct upload), shared
    so that what one copy learns (direct upload forbidden) holds for all.
    """

    check_format: bool = True
    limiter: object = None
    method: object = None


class Interrupted(Exception):
    """The run is stopping (Ctrl-C): the upload was aborted on purpose."""


class _AbortUpload(Exception):
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

    ``size`` None (a source record without a size) streams to the end.
    ``digest`` None (a record without a hash): the stream hashes what it
    reads with each of ``read_algos`` instead, and ``read`` (a dict)
    receives ``size`` and ``hashes`` ({algorithm: hex digest}) of the
    bytes read, before the last piece goes out: the reference the copy is
    then verified against.
    """

    def __init__(self, source_response, size, algo, digest,
                 on_bytes=None, stop=None, chunk_size=CHUNK_SIZE,
                 read_size=READ_SIZE, clock=time.monotonic, check=None,
                 limiter=None, read=None, read_algos=None):
        self._response = source_response
        self._size = size
        self._algo = algo
        self._digest = digest
        self._check = check
        self._limiter = limiter
        self._on_bytes = on_bytes
        self._stop = stop
        self._chunk_size = chunk_size
        self._read_size = read_size
        self._clock = clock
        if read_algos is None:
            read_algos = model.READ_ALGOS
        self._read_algos = () if digest else tuple(read_algos)
        # Not ``read``: urllib3 takes a body with ``read`` for a file.
        self.reference = {} if read is None else read
        self._started = False
        self.sent = 0
        self.failure = None

    def __len__(self):
        """The size to send, 0 if unknown (then the upload is chunked).

        With a length, requests sends a Content-Length and urllib3 sends
        each piece as it is; a chunked upload costs a copy of every piece
        into its chunk framing (~0.5 CPU s/GiB, see benchmarks/).
        """
        return self._size or 0

    def __bool__(self):
        """Always true: a body, even of unknown size (``__len__`` 0).

        requests sends ``data or {}``: a stream that looked false (no
        size: length 0) was replaced by an empty body, and a source record
        without a size was copied as 0 bytes.
        """
        return True

    def __iter__(self):
        if self._started:
            # A replayed body must never look like a (short) valid upload.
            self.failure = http.CloudError(
                'request body was about to be sent twice', retriable=True)
            raise _AbortUpload(str(self.failure))
        self._started = True
        return self._chunks()

    def _fail(self, error):
        self.failure = error
        raise _AbortUpload(str(error))

    def _read(self):
        """The source's bytes as they arrive, at most ``chunk_size`` each.

        ``raw.read1`` hands over what the connection holds without waiting
        to fill a piece, so a slow source is forwarded as it comes while a
        fast one is read in few large pieces (``read_size`` pieces cost
        ~0.4 CPU s/GiB more: see benchmarks/). Responses without it (test
        fakes, older urllib3) are read ``read_size`` at a time.
        """
        size = self._chunk_size
        if self._limiter is not None:
            size = min(size, self._limiter.piece)
        read1 = getattr(getattr(self._response, 'raw', None), 'read1', None)
        if read1 is not None:
            pieces = iter(lambda: read1(self._piece_size(size),
                                        decode_content=True), b'')
        else:
            pieces = self._response.iter_content(min(self._read_size, size))
        try:
            for piece in pieces:
                if self._limiter is not None and not self._limiter.take(
                        len(piece), self._stop):
                    self._fail(Interrupted('interrupted'))
                yield piece
        except (requests.RequestException, OSError,
                urllib3_exc.HTTPError) as e:
            self._fail(http.CloudError(
                'source download broke off after %d bytes: %s'
                % (self.sent, type(e).__name__), retriable=True))

    def _piece_size(self, size):
        """``size``, or less while the format check is undecided."""
        if self._check is None:
            return size
        return self._check.wanted(size)

    def _chunks(self):
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

    def _verified_chunks(self, hasher, readers):
        held, held_size = [], 0
        last_sent = self._clock()
        for chunk in self._read():
            if not chunk:
                continue
            if self._stop is not None and self._stop.is_set():
                self._fail(Interrupted('interrupted'))
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
                % (self._algo, hasher.hexdigest()[:12], self._digest[:12]),
                retriable=True))
        if self._check is not None:
            self._inspect(None, received)
        self.reference.update(size=received, hashes={
            algo: reader.hexdigest() for algo, reader in readers.items()})
        if held:
            yield b''.join(held)
            self._count(held_size)

    def _inspect(self, chunk, received):
        """Feed the format check (``None``: the end); stop on a problem."""
        try:
            if chunk is None:
                self._check.finish()
            else:
                self._check.feed(chunk)
        except format_check.FormatProblem as e:
            self._fail(http.CloudError(
                '%s (stopped after %d of %s bytes)'
                % (e, received, self._size)))

    def _count(self, n):
        self.sent += n
        if self._on_bytes is not None:
            self._on_bytes(n)


def open_source(src, image_id):
    """Start the source download; the response streams the body."""
    try:
        response = src.image.get('/v2/images/%s/file' % image_id,
                                 stream=True, **http.NO_REPLAY)
    except http.CloudError as e:
        if e.status is not None:
            raise
        raise http.CloudError('source: cannot connect (%s)' % e.cause,
                              retriable=True)
    if response.status_code != 200:
        body = response.text if response.status_code != 204 else None
        response.close()
        raise http.status_error('source download', response.status_code,
                                body)
    return response


def upload(dst, dest_id, body, size, target='file', store=None):
    """PUT the body into the destination record; never replayed.

    ``target`` is ``file`` (direct upload) or ``stage`` (glance-direct
    import's staging area: the same request, another URL). ``store`` is
    the destination store of a direct upload (None: its default).
    """
    what = 'destination upload' if target == 'file' else 'destination stage'
    headers = {'Content-Type': 'application/octet-stream'}
    if size is not None:
        headers['x-openstack-image-size'] = str(size)
    if store and target == 'file':
        headers['X-Image-Meta-Store'] = store
    try:
        response = dst.image.put('/v2/images/%s/%s' % (dest_id, target),
                                 data=body, headers=headers, **http.NO_REPLAY)
    except _AbortUpload:
        raise body.failure
    except http.CloudError as e:
        if body.failure is not None:
            raise body.failure
        if e.status is not None:
            raise
        raise http.CloudError(
            '%s broke off after %d bytes (%s)'
            % (what, body.sent, e.cause), retriable=True)
    if body.failure is not None:
        raise body.failure
    http.check(response, what)


def copy_data(src, dst, source_image, dest_id, on_bytes=None, stop=None,
              options=StreamOptions(), target='file', store=None, read=None):
    """Stream, verify and upload (or stage) one image's data.

    Returns the bytes sent. ``target`` and ``store``: see :func:`upload`.
    ``read``: a dict that receives the size and hashes of the bytes read
    (see :class:`VerifiedStream`).
    """
    algo, digest = model.data_hash(source_image)
    check = format_check.FormatCheck(
        source_image.get('disk_format'),
        source_image.get('container_format')
    ) if options.check_format else None
    response = open_source(src, source_image['id'])
    try:
        body = VerifiedStream(response, source_image.get('size'), algo,
                              digest, on_bytes=on_bytes, stop=stop,
                              check=check, limiter=options.limiter,
                              read=read)
        upload(dst, dest_id, body, source_image.get('size'), target, store)
        return body.sent
    finally:
        response.close()
