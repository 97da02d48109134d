# SPDX-License-Identifier: Apache-2.0
"""A copy whose data comes from a data source (a bundle), not a cloud."""

import hashlib

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.copying import image_copy
from osc_image_migrate.stream import transfer
from tests.unit.fakes.copying import DATA
from tests.unit.fakes.copying import make_copy


class FakeDataSource:
    """Stores DATA into the record, or fails as a damaged file does."""

    def __init__(self, fail=False):
        self.fail = fail
        self.calls = []

    def copy_data(self, dst, source_image, dest_id, **kwargs):
        self.calls.append((source_image['id'], dest_id, kwargs['target']))
        if self.fail:
            raise http.CloudError('bundle: chunk 0 differs', retriable=False)
        dst.glance.images.records[dest_id].update(
            status='active', size=len(DATA),
            checksum=hashlib.md5(DATA).hexdigest(), os_hash_algo='sha512',
            os_hash_value=hashlib.sha512(DATA).hexdigest())
        return transfer.Copied(len(DATA), None)


@pytest.fixture
def no_cloud_download(monkeypatch):
    def copy_data(*args, **kwargs):
        raise AssertionError('the source cloud was read')

    monkeypatch.setattr(transfer, 'copy_data', copy_data)


def with_source(data_source):
    copy, images, source = make_copy()
    copy.data_source = data_source
    return copy, images, source


def test_the_data_comes_from_the_data_source(no_cloud_download):
    data_source = FakeDataSource()
    copy, images, source = with_source(data_source)
    outcome = copy.run({})
    assert (outcome.result, outcome.dest_id, outcome.bytes) == (
        image_copy.MIGRATED, source['id'], len(DATA))
    assert data_source.calls == [(source['id'], source['id'], 'file')]
    assert images.records[source['id']]['status'] == 'active'


def test_a_failed_data_source_leaves_the_record_to_the_next_try(
        no_cloud_download):
    copy, images, source = with_source(FakeDataSource(fail=True))
    with pytest.raises(http.CloudError) as e:
        copy.run({})
    assert not e.value.retriable
    assert images.records[source['id']]['status'] == 'queued'
    assert copy.journal.upload_broke_at is not None
    copy.data_source = FakeDataSource()
    assert copy.run({}).result == image_copy.MIGRATED
    assert list(images.records) == [source['id']]
