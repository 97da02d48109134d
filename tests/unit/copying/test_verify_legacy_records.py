# SPDX-License-Identifier: Apache-2.0
"""verify.py: a copy of a record without a hash is checked as read."""

import hashlib

import pytest

from osc_image_migrate.copying import verify
from osc_image_migrate import model
from tests.unit import fakes
from tests.unit.fakes.legacy import DATA
from tests.unit.fakes.legacy import legacy as _legacy
from tests.unit.fakes import scene as tp


class Glance:
    """The destination's record and the patches sent to it."""

    def __init__(self, record):
        self.record = record
        self.patches = []
        self.glance = self
        self.images = self
        self.image = self

    def get(self, image_id):
        return dict(self.record)

    def patch(self, url, json=None, **kwargs):
        self.patches.append(json)
        for op in json:
            self.record[op['path'][1:]] = op['value']

        class Response:
            status_code = 200
        return Response()


def test_verified_as_read_and_recorded_on_the_copy():
    image = _legacy(size=False)
    record = fakes.image('copy', tp.D_DEMO, data=DATA)
    dst = Glance(record)
    read = model.DataRead(len(DATA), {
        'sha512': hashlib.sha512(DATA).hexdigest(),
        'md5': hashlib.md5(DATA).hexdigest()})
    verify.verify_destination(dst, record['id'], image, read)
    assert model.same_as_read(image, dst.record)
    assert dst.record[model.READ_HASH_ALGO] == 'sha512'
    # A destination configured with another algorithm: md5 (checksum).
    other = fakes.image('copy2', tp.D_DEMO, data=DATA, algo='sha256')
    dst = Glance(other)
    verify.verify_destination(dst, other['id'], image, read)
    assert dst.record[model.READ_HASH_ALGO] == 'md5'
    assert model.same_as_read(image, dst.record)


@pytest.mark.parametrize('read', [
    model.DataRead(len(DATA) - 1, {
        'sha512': hashlib.sha512(DATA).hexdigest()}),
    model.DataRead(len(DATA), {'sha512': 'f' * 128}),
    None])
def test_a_copy_that_differs_from_what_was_read_is_refused(read):
    image = _legacy()
    dst = Glance(fakes.image('copy', tp.D_DEMO, data=DATA))
    with pytest.raises(verify.DataMismatch):
        verify.verify_destination(dst, dst.record['id'], image, read)
    assert dst.patches == []
