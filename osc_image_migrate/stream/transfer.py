# SPDX-License-Identifier: Apache-2.0
"""Stream one image's data from the source to the destination, verified.

The bytes go from the source download straight into the destination upload
(with a Content-Length when the source record gives the size, chunked
otherwise), hashed on the way in a thread of its own. The last chunk is
held back until the size and hash match the source record; on any mismatch
the upload is aborted mid-stream, so Glance puts the record back to
``queued`` and bad data never becomes ``active``.

The data PUT disables every replay (http.no_replay), for the two traps
verified.py's docstring tells.

A source download that breaks or stalls is resumed: the stream asks the
source again from the next byte it needs (``Range: bytes=N-``, answered
``206``) and goes on feeding the same upload and the same running hash, so
a cut costs a reconnect, not a new upload. Glance cannot resume an upload:
a broken upload fails the attempt, and the retry starts from the first
byte, into the same record.
"""

import dataclasses
import threading
from typing import Any
from typing import Callable
from typing import Mapping

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.stream import connection
from osc_image_migrate.stream import options as stream_options
from osc_image_migrate.stream import source
from osc_image_migrate.stream import verified

DEFAULT_OPTIONS = stream_options.StreamOptions()


@dataclasses.dataclass(frozen=True)
class Copied:
    """What one stream did: the bytes it sent, and what it read.

    ``read`` is None when the stream ended before it was verified.
    """

    sent: int
    read: model.DataRead | None


def upload(dst: sessions.CloudClients, dest_id: str,
           body: verified.VerifiedStream, size: int | None,
           target: str = 'file',
           store: str | None = None,
           options: stream_options.StreamOptions = DEFAULT_OPTIONS
           ) -> None:
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
    switches = options.request_switches()
    try:
        response = dst.image.put('/v2/images/%s/%s' % (dest_id, target),
                                 data=body, headers=headers, **switches)
    except verified.AbortUpload:
        # The body sets its failure before it raises AbortUpload.
        assert body.failure is not None
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


def copy_data(src: sessions.CloudClients, dst: sessions.CloudClients,
              source_image: Mapping[str, Any],
              dest_id: str, *,
              options: stream_options.StreamOptions = DEFAULT_OPTIONS,
              target: str = 'file', store: str | None = None,
              on_bytes: Callable[[int], None] | None = None,
              on_read: Callable[[model.DataRead], None] | None = None,
              stop: threading.Event | None = None) -> Copied:
    """Stream, verify and upload (or stage) one image's data.

    ``target`` and ``store``: see :func:`upload`. ``on_read`` is called
    with what was read as soon as the stream is verified, before its last
    piece goes out (see verified.VerifiedStream): a caller that must keep
    it when the upload then fails takes it there.
    """
    expected = model.Expected.of(source_image)
    check = format_check.FormatCheck(
        source_image.get('disk_format'),
        source_image.get('container_format')
    ) if options.check_format else None
    image_id = source_image['id']
    body = verified.VerifiedStream(
        source.open_source(src, image_id, options=options,
                           size_known=expected.size is not None),
        expected, options=options, check=check,
        reopen=source.Reopener(src, image_id, options), on_bytes=on_bytes,
        on_read=on_read, stop=stop, name=image_id)
    try:
        upload(dst, dest_id, body, expected.size, target, store, options)
        return Copied(body.sent, body.data_read)
    finally:
        connection.close_response(body.response)
