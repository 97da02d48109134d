# SPDX-License-Identifier: Apache-2.0
"""A source that serves one image's bytes from any offset, for exports."""

import hashlib

from tests.unit.fakes.download import FakeRaw
from tests.unit.fakes.download import FakeResponse


class FakeImageAdapter:
    """``image.get`` of the source: 200, or 206 from a ``Range``.

    ``break_after``: the first answer breaks after that many bytes.
    ``requests`` lists the offsets asked for.
    """

    def __init__(self, data, break_after=None):
        self.data = data
        self.break_after = break_after
        self.requests = []

    def get(self, url, stream=True, headers=None, **kwargs):
        offset = 0
        if headers and 'Range' in headers:
            offset = int(headers['Range'].split('=')[1].rstrip('-'))
        self.requests.append(offset)
        body = self.data[offset:]
        breaking, self.break_after = self.break_after, None
        raw = FakeRaw(body, piece=4096, break_after=breaking)
        if not offset:
            return FakeResponse(raw, 200)
        return FakeResponse(raw, 206, {
            'Content-Range': 'bytes %d-%d/%d' % (
                offset, len(self.data) - 1, len(self.data))})


class FakeSource:
    """The source's clients, as far as an export uses them."""

    name = 'src'

    def __init__(self, data, break_after=None):
        self.image = FakeImageAdapter(data, break_after)

    def refresh_token_if_expiring(self, margin):
        pass

    def reauthenticate(self):
        pass


def record(data, image_id='img-1', **fields):
    """A source image record holding ``data``."""
    image = {'id': image_id, 'name': 'web', 'owner': 'p1',
             'status': 'active', 'visibility': 'private',
             'disk_format': 'raw', 'container_format': 'bare',
             'size': len(data), 'checksum': hashlib.md5(data).hexdigest(),
             'os_hash_algo': 'sha512',
             'os_hash_value': hashlib.sha512(data).hexdigest(),
             'tags': [], 'min_disk': 0, 'min_ram': 0, 'protected': False,
             'os_hidden': False}
    image.update(fields)
    return image
