# SPDX-License-Identifier: Apache-2.0
"""A bundle read as the source: its inventory, and a data file's copy."""

import os
import shutil
import types

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import source as bundle_source
from osc_image_migrate.bundle import writer as bundle_writer
from osc_image_migrate.cloud import http
from osc_image_migrate.copying import bundle_copy
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from tests.unit import fakes
from tests.unit.fakes.bundle import FakeSource
from tests.unit.fakes.bundle import record

DEMO = fakes.project('demo', domain='Dept')
ALT = fakes.project('alt_demo')
GONE = 'f' * 32
DATA = os.urandom(3 * 1024 * 1024 + 5)


@pytest.fixture(scope='module')
def bundle(tmp_path_factory):
    """Shared (with a member), orphan-owned, and a record without data."""
    root = tmp_path_factory.mktemp('bundle')
    out = bundle_writer.BundleWriter(str(root), {'cloud': 'src'},
                                     {DEMO.id: DEMO, ALT.id: ALT})
    out.create()
    items = [
        (record(DATA, 'img-1', owner=DEMO.id, visibility='shared'),
         planner.COPY, [{'member_id': ALT.id, 'status': 'accepted'}]),
        (record(DATA, 'img-2', owner=GONE), planner.COPY, []),
        (record(b'', 'img-3', owner=DEMO.id, status='queued', size=None),
         planner.METADATA_ONLY, [])]
    for image, action, members in items:
        bundle_copy.BundleCopy(FakeSource(DATA), out, planner.PlanItem(
            image['id'], name=image['name'], action=action,
            source_image=image, members=members)).run({})
    out.write_manifest()
    return root


def copy_of(bundle, tmp_path):
    shutil.copytree(bundle, tmp_path / 'copy')
    return tmp_path / 'copy'


def test_the_inventory_is_the_source_as_exported(bundle):
    source = bundle_source.BundleSource(str(bundle)).load().inventory()
    assert sorted(source.images) == ['img-1', 'img-2', 'img-3']
    assert source.images['img-1']['os_hash_value'] == record(DATA)[
        'os_hash_value']
    assert source.members == {
        'img-1': [{'member_id': ALT.id, 'status': 'accepted'}]}
    assert source.projects == {DEMO.id: DEMO, ALT.id: ALT}
    # The owner the source could not name is an orphan, as with a cloud.
    assert GONE not in source.projects and source.projects_complete
    assert source.is_admin


def test_a_document_changed_after_export_is_refused(bundle, tmp_path):
    copied = copy_of(bundle, tmp_path)
    path = copied / layout.metadata_name('img-2')
    path.write_text(path.read_text().replace('"web"', '"wab"'))
    with pytest.raises(layout.BundleError) as e:
        bundle_source.BundleSource(str(copied)).load()
    assert str(e.value).startswith(
        'images/img-2.json differs from the manifest (see "openstack '
        'image migrate bundle verify')


def test_a_directory_without_manifest_is_not_a_bundle(tmp_path):
    with pytest.raises(layout.BundleError) as e:
        bundle_source.BundleSource(str(tmp_path)).load()
    assert 'no manifest' in str(e.value)


def test_an_image_whose_data_was_not_exported_is_named(bundle, tmp_path):
    copied = copy_of(bundle, tmp_path)
    os.unlink(copied / layout.data_name('img-2'))
    loaded = bundle_source.BundleSource(str(copied)).load()
    assert loaded.missing_data('img-1') is None
    assert loaded.missing_data('img-2') == (
        'images/img-2.data is missing from the bundle (see "openstack '
        'image migrate bundle verify %s")' % copied)
    loaded.manifest['images']['img-1']['data'] = None
    assert loaded.missing_data('img-1') == (
        'its data is not in the bundle (images/img-1.data: the export of '
        'it did not finish): export it again')


class FakePut:
    """The destination's data PUT: consumes the body as requests does."""

    def __init__(self):
        self.received = None

    def put(self, url, data, headers, **switches):
        self.url, self.headers = url, headers
        self.received = b''.join(bytes(b) for b in data)
        return types.SimpleNamespace(status_code=204, text='')


def copy_into(loaded, image_id='img-1'):
    dst = types.SimpleNamespace(image=FakePut())
    read = []
    copied = loaded.copy_data(
        dst, loaded.documents[image_id]['image'], 'dest-1',
        on_read=read.append)
    return dst.image, copied, read


def test_copy_data_streams_the_file_verified(bundle):
    loaded = bundle_source.BundleSource(str(bundle)).load()
    put, copied, read = copy_into(loaded)
    assert put.received == DATA and copied.sent == len(DATA)
    assert put.url == '/v2/images/dest-1/file'
    assert put.headers['x-openstack-image-size'] == str(len(DATA))
    assert read == [model.DataRead(len(DATA), {})]


def test_copy_data_of_a_flipped_byte_fails_naming_the_chunk(bundle,
                                                            tmp_path):
    copied = copy_of(bundle, tmp_path)
    with open(copied / layout.data_name('img-1'), 'r+b') as f:
        f.seek(len(DATA) - 2)
        f.write(b'\0\0' if DATA[-2:] != b'\0\0' else b'\1\1')
    loaded = bundle_source.BundleSource(str(copied)).load()
    with pytest.raises(http.CloudError) as e:
        copy_into(loaded)
    assert str(e.value) == (
        'bundle: images/img-1.data: chunk 0 (bytes 0-%d) differs from the '
        'manifest' % (len(DATA) - 1))
    assert not e.value.retriable
