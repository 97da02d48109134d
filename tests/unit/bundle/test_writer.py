# SPDX-License-Identifier: Apache-2.0
"""The bundle as a destination: reserved, accepted, and its manifest."""

import errno
import os

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import writer as bundle_writer
from osc_image_migrate.cloud import http
from osc_image_migrate.planning import planner
from tests.unit.fakes.bundle import record


class Adapter:
    def __init__(self, endpoint):
        self.endpoint = endpoint

    def get_endpoint(self):
        if self.endpoint is None:
            raise LookupError('no endpoint')
        return self.endpoint


class Clients:
    name = 'source'
    image = Adapter('https://glance')
    identity = Adapter(None)


def test_the_source_is_described_by_its_cloud_name_and_endpoints():
    assert bundle_writer.source_description(Clients(), 'src') == {
        'cloud': 'src', 'image_endpoint': 'https://glance',
        'identity_endpoint': None}


def test_a_reserved_image_has_a_document_without_data(tmp_path):
    out = bundle_writer.BundleWriter(str(tmp_path / 'b'), {}, {})
    out.create()
    image = record(b'x')
    out.reserve(planner.PlanItem('img-1', source_image=image))
    out.write_manifest()
    manifest = layout.load(str(tmp_path / 'b' / layout.MANIFEST))
    assert manifest['images']['img-1']['data'] is None


def test_a_bundle_whose_parent_is_missing_is_an_error(tmp_path):
    out = bundle_writer.BundleWriter(str(tmp_path / 'file' / 'b'), {}, {})
    (tmp_path / 'file').write_text('')
    with pytest.raises(layout.BundleError, match='^bundle .*/file/b: '):
        out.create()


def test_a_second_writer_of_one_bundle_is_refused_until_the_first_ends(
        tmp_path):
    first = bundle_writer.BundleWriter(str(tmp_path / 'b'), {}, {})
    first.create()
    first.lock()
    second = bundle_writer.BundleWriter(str(tmp_path / 'b'), {}, {})
    with pytest.raises(layout.BundleError) as caught:
        second.lock()
    assert str(caught.value) == (
        'bundle %s is being written by another export (process %d); run '
        'this one when it has ended' % (tmp_path / 'b', os.getpid()))
    first.unlock()
    second.lock()
    second.unlock()


def _full_disk(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_manifest_that_cannot_be_written_leaves_the_old_one(
        tmp_path, monkeypatch):
    out = bundle_writer.BundleWriter(str(tmp_path / 'b'), {}, {})
    out.create()
    out.write_manifest()
    before = (tmp_path / 'b' / layout.MANIFEST).read_bytes()
    out.reserve(planner.PlanItem('img-1', source_image=record(b'x')))
    monkeypatch.setattr(layout, 'write_atomic', _full_disk)
    with pytest.raises(layout.BundleError, match=(
            r'^bundle .*/b: cannot write manifest.json: No space left on '
            r'device; the next run writes it$')):
        out.write_manifest()
    assert (tmp_path / 'b' / layout.MANIFEST).read_bytes() == before


def test_a_document_that_cannot_be_written_fails_the_copy(
        tmp_path, monkeypatch):
    out = bundle_writer.BundleWriter(str(tmp_path / 'b'), {}, {})
    out.create()
    monkeypatch.setattr(layout, 'write_atomic', _full_disk)
    with pytest.raises(http.CloudError, match=(
            r'^bundle: cannot write .*/images/img-1.json: No space left on '
            r'device$')) as caught:
        out.reserve(planner.PlanItem('img-1', source_image=record(b'x')))
    assert not caught.value.retriable
