# SPDX-License-Identifier: Apache-2.0
"""Source records without a hash or size (issue 17 part 1)."""

import hashlib

import pytest
import requests

from osc_image_migrate.copying import verify
from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import planner
from osc_image_migrate.stream import verified
from tests.unit import fakes
from tests.unit.fakes import scene as tp
from tests.unit.fakes.stream import FakeResponse

DATA = b'0123456789' * 1000


def _legacy(name='legacy', size=True, **extra):
    image = fakes.image(name, tp.S_DEMO, data=DATA, checksum=None,
                        os_hash_algo=None, os_hash_value=None, **extra)
    if not size:
        image['size'] = None
    return image


def _as_read(image, data=DATA, **changes):
    """The copy a verified run leaves of a record without a hash."""
    record = tp.copy_in_dest(fakes.image(
        image['name'], tp.D_DEMO, data=data, image_id=image['id'],
        visibility=image['visibility']))
    record.update({model.READ_SIZE: str(len(data)),
                   model.READ_HASH_ALGO: 'sha512',
                   model.READ_HASH_VALUE: hashlib.sha512(data).hexdigest()})
    record.update(changes)
    return record


@pytest.mark.parametrize('size', [True, False])
def test_stream_without_a_source_hash_records_what_it_read(size):
    chunks = [DATA[i:i + 999] for i in range(0, len(DATA), 999)]
    told = []
    body = verified.VerifiedStream(
        FakeResponse(chunks),
        model.Expected(len(DATA) if size else None, None, None),
        chunk_size=4096, on_read=told.append)
    assert b''.join(body) == DATA
    read = model.DataRead(len(DATA), {
        'sha512': hashlib.sha512(DATA).hexdigest(),
        'md5': hashlib.md5(DATA).hexdigest()})
    assert told == [read]
    assert body.data_read == read
    # urllib3 takes a body with ``read`` for a file: it must have none.
    assert not hasattr(body, 'read')


def test_a_sizeless_body_is_sent_chunked_not_as_nothing():
    body = verified.VerifiedStream(FakeResponse([DATA]),
                                   model.Expected(None, None, None))
    # requests.Session.request sends ``data or {}``.
    assert bool(body)
    prepared = requests.Request('PUT', 'http://glance/',
                                data=body or {}).prepare()
    assert prepared.body is body
    assert prepared.headers['Transfer-Encoding'] == 'chunked'
    assert 'Content-Length' not in prepared.headers


def test_a_source_hash_is_checked_and_nothing_else_is_computed():
    told = []
    body = verified.VerifiedStream(
        FakeResponse([DATA]),
        model.Expected(None, 'md5', hashlib.md5(DATA).hexdigest()),
        on_read=told.append)
    assert b''.join(body) == DATA
    assert told == [model.DataRead(len(DATA), {})]


def test_lacks_reference():
    assert model.lacks_reference(_legacy()) == ['hash']
    assert model.lacks_reference(_legacy(size=False)) == ['hash', 'size']
    md5_only = fakes.image('old', tp.S_DEMO, os_hash_algo=None,
                           os_hash_value=None)
    assert model.lacks_reference(md5_only) == []


@pytest.mark.parametrize('size', [True, False])
def test_plan_says_what_verified_means_for_a_record_without_a_hash(size):
    image = _legacy(size=size)
    item = tp.plan_one(tp.in_src([image]), tp.in_dst())
    assert item.action == planner.COPY
    missing = ('no hash' if size else
               'no hash and no size (streamed to its end)')
    assert item.reason == (
        'ID free in destination; the source records %s: verified against '
        'the size and hash of the bytes read from it, not against the '
        'source\'s record' % missing)


@pytest.mark.parametrize('size', [True, False])
def test_a_copy_verified_as_read_is_skipped(size):
    image = _legacy(size=size)
    dest = tp.in_dst([_as_read(image)])
    item = tp.plan_one(tp.in_src([image]), dest)
    assert item.action == planner.SKIP
    assert item.reason.endswith('the source records no hash: the copy was '
                                'verified against the bytes read from it')


@pytest.mark.parametrize('change', [
    {'size': 3}, {model.READ_SIZE: '3'},
    {model.READ_HASH_VALUE: 'f' * 128}, {model.READ_HASH_ALGO: 'sha256'},
    {model.READ_HASH_VALUE: None}])
def test_a_copy_whose_record_does_not_match_what_was_read_is_other_data(
        change):
    image = _legacy()
    copy = _as_read(image, **change)
    assert not model.same_as_read(image, copy)
    assert comparison.verdict(image, copy) == comparison.OTHER


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


def test_a_second_failed_check_blocks_instead_of_copying_again():
    image = fakes.image('flipped', tp.S_DEMO, data=DATA)
    first = tp.copy_in_dest(fakes.image('flipped', tp.D_DEMO, data=b'bad',
                                        image_id=image['id']),
                            status='deactivated')
    first.update({model.SOURCE_ID_PROPERTY: image['id'],
                  model.CHECK_FAILED: 'differs'})
    item = tp.plan_one(tp.in_src([image]), tp.in_dst([first]))
    assert item.action == planner.NEW_ID  # one more try, under a new ID
    second = dict(first, id=fakes.make_id('second'),
                  **{model.CHECK_FAILED: 'differs again'})
    item = tp.plan_one(tp.in_src([image]), tp.in_dst([first, second]))
    assert item.action == planner.BLOCKED
    assert item.reason.startswith(
        'destination image %s, a copy under a new ID, failed the check '
        'after its upload too (differs again) and was deactivated: not '
        'copied again' % second['id'])


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
