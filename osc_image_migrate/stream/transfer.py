# SPDX-License-Identifier: Apache-2.0
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

A source download that breaks or stalls is resumed: the stream asks the
source again from the next byte it needs (``Range: bytes=N-``, answered
``206``) and goes on feeding the same upload and the same running hash, so
a cut costs a reconnect, not a new upload. Glance cannot resume an upload:
a broken upload fails the attempt, and the retry starts from the first
byte, into the same record.
"""

import dataclasses

from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.stream import connection
from osc_image_migrate.stream import source
from osc_image_migrate.stream import verified


@dataclasses.dataclass(frozen=True)
class StreamOptions:
    """What every stream of a run does besides copying: checks, limits.

    ``limiter`` is a bandwidth.Limiter shared by all streams, or None;
    ``method`` the run's upload_method.Chooser (None: direct upload), shared
    so that what one copy learns (direct upload forbidden) holds for all.
    ``stall_timeout``: seconds without progress on either side after which
    a data request is given up (the source's is then resumed);
    ``resume_backoff``: the waits before each reopening of the source
    (empty: a broken source download fails the attempt).
    """

    check_format: bool = True
    limiter: object = None
    method: object = None
    stall_timeout: float = http.STALL_TIMEOUT
    resume_backoff: tuple = verified.RESUME_BACKOFF

    def request_switches(self):
        """keystoneauth switches of this run's data requests."""
        return http.no_replay(self.stall_timeout)


def upload(dst, dest_id, body, size, target='file', store=None,
           options=None):
    """PUT the body into the destination record; never replayed.

    ``target`` is ``file`` (direct upload) or ``stage`` (glance-direct
    import's staging area: the same request, another URL). ``store`` is
    the destination store of a direct upload (None: its default).
    ``options``: the run's StreamOptions (its stall timeout).
    """
    what = 'destination upload' if target == 'file' else 'destination stage'
    # The connection is not kept for the next request: a server that
    # answers before reading the body (a 403 by policy, a 413) closes it
    # as soon as it has answered, and through a load balancer the client
    # is not told, so the next request on it would meet a dead socket.
    headers = {'Content-Type': 'application/octet-stream',
               'Connection': 'close'}
    if size is not None:
        headers['x-openstack-image-size'] = str(size)
    if store and target == 'file':
        headers['X-Image-Meta-Store'] = store
    switches = (options or StreamOptions()).request_switches()
    try:
        response = dst.image.put('/v2/images/%s/%s' % (dest_id, target),
                                 data=body, headers=headers, **switches)
    except verified.AbortUpload:
        raise body.failure
    except http.CloudError as e:
        if body.failure is not None:
            raise body.failure
        if e.status is not None:
            raise
        raise http.CloudError(
            '%s broke off after %d bytes (%s)'
            % (what, body.sent, e.cause), retriable=True, cause=e.cause)
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
    image_id = source_image['id']
    body = verified.VerifiedStream(
        source.open_source(src, image_id, options=options,
                           size_known=source_image.get('size') is not None),
        source_image.get('size'), algo, digest, on_bytes=on_bytes,
        stop=stop, check=check, limiter=options.limiter,
        reopen=source.Reopener(src, image_id, options),
        resume_backoff=options.resume_backoff, name=image_id, read=read)
    try:
        upload(dst, dest_id, body, source_image.get('size'), target, store,
               options)
        return body.sent
    finally:
        connection.close_response(body.response)
