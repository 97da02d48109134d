# SPDX-License-Identifier: Apache-2.0
"""model.py: records without a hash or size, compared as read (issue 17)."""

from osc_image_migrate import model
from tests.unit import fakes
from tests.unit.fakes.legacy import as_read as _as_read
from tests.unit.fakes.legacy import DATA
from tests.unit.fakes.legacy import legacy as _legacy
from tests.unit.fakes import scene as tp


def test_lacks_reference():
    assert model.lacks_reference(_legacy()) == ['hash']
    assert model.lacks_reference(_legacy(size=False)) == ['hash', 'size']
    md5_only = fakes.image('old', tp.S_DEMO, os_hash_algo=None,
                           os_hash_value=None)
    assert model.lacks_reference(md5_only) == []


def test_a_source_that_got_its_size_back_must_match_it():
    image = _legacy(size=False)
    copy = _as_read(image)
    assert model.same_as_read(image, copy)
    assert not model.same_as_read(dict(image, size=len(DATA) + 1), copy)
    # A record with a hash is compared as always, not as read.
    assert not model.same_as_read(fakes.image('x', tp.S_DEMO, data=DATA),
                                  copy)


def test_a_copy_of_a_record_without_a_size_keeps_the_sources_hash():
    image = fakes.image('nosize', tp.S_DEMO, data=DATA)
    image['size'] = None
    copy = _as_read(image)
    assert model.same_as_read(image, copy)
    assert not model.same_as_read(image, _as_read(image, data=DATA + b'x'))
