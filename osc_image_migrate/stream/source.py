# SPDX-License-Identifier: Apache-2.0
"""The source download: opened, and reopened from a byte for a resume.

Glance serves a download from any offset (``Range: bytes=N-``, answered
``206``): a broken download is reopened at the next byte the stream needs,
and anything but a ``206`` from exactly there is refused, so the running
hash never covers bytes twice or skips any.

A record without a size (a legacy record, see verify.py) is served by
Glance with the header ``Content-Length: None``: a load balancer in HTTP
mode (HAProxy) refuses that answer and sends 502 instead, every time, so
that 502 is explained and not retried (see sizeless_refused).
"""

from typing import NoReturn

import requests

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate.stream import download
from osc_image_migrate.stream import options as stream_options


def open_source(src: sessions.CloudClients, image_id: str, offset: int = 0,
                options: stream_options.StreamOptions | None = None,
                size_known: bool = True) -> requests.Response:
    """Start the source download at byte ``offset``; it streams the body.

    From an ``offset`` the answer must be a ``206`` whose Content-Range
    starts exactly there; a ``200`` (the source ignored ``Range``) or any
    other start raises download.RangeRefused. ``options``: the run's
    options.StreamOptions (its stall timeout). ``size_known``: False
    for a source record without a size.
    """
    headers = {'Range': 'bytes=%d-' % offset} if offset else None
    switches = (options.request_switches() if options is not None
                else http.no_replay())
    try:
        response = src.image.get('/v2/images/%s/file' % image_id,
                                 stream=True, headers=headers, **switches)
    except http.CloudError as e:
        if e.status is not None:
            raise
        raise http.CloudError('source: cannot connect (%s)' % e.cause,
                              retriable=True)
    if not offset:
        if response.status_code == 502 and not size_known:
            response.close()
            raise sizeless_refused()
        if response.status_code != 200:
            _fail_answer(response, 'source download')
        return response
    if response.status_code not in (200, 206):
        _fail_answer(response, 'source download (from byte %d)' % offset)
    served = response.headers.get('Content-Range', '')
    start = served.partition(' ')[2].partition('-')[0]
    if response.status_code != 206 or start != str(offset):
        response.close()
        raise download.RangeRefused(
            'source download cannot be resumed: asked for its bytes from '
            '%d, got HTTP %s %s; this attempt stops and the next one reads '
            'from the first byte' % (
                offset, response.status_code,
                'Content-Range "%s"' % served if served
                else 'without Content-Range'),
            retriable=True, status=response.status_code)
    return response


def sizeless_refused() -> http.CloudError:
    """The error of a 502 for the download of a record without a size."""
    return http.CloudError(
        'source download: HTTP 502 for a record without a size: Glance '
        'answers it with "Content-Length: None", which a load balancer in '
        'HTTP mode (e.g. HAProxy) refuses; not retried. Copy it through '
        'an image endpoint of the source that is not behind such a '
        'balancer (e.g. --os-interface internal, or image_endpoint_override '
        'in clouds.yaml)', retriable=False, status=502)


def _fail_answer(response: requests.Response, what: str) -> NoReturn:
    """Raise the CloudError of a refused download, with its reason."""
    body = response.text if response.status_code != 204 else None
    response.close()
    raise http.status_error(what, response.status_code, body)


class Reopener:
    """Reopens one image's source download, with today's token rules.

    A token close to expiry is renewed first; after a 401 the next
    reopening gets a new token whatever the old one looked like.
    """

    def __init__(self, src: sessions.CloudClients, image_id: str,
                 options: stream_options.StreamOptions | None) -> None:
        self.src = src
        self.image_id = image_id
        self.options = options
        self.renew = False

    def __call__(self, offset: int) -> requests.Response:
        with http.cloud_errors():
            sessions.ready_token(self.src, self.renew)
        try:
            return open_source(self.src, self.image_id, offset, self.options)
        except http.CloudError as e:
            self.renew = e.status == 401
            raise
