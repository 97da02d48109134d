# SPDX-License-Identifier: Apache-2.0
"""The bundle as a destination: reserved, accepted, and its manifest."""

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import writer as bundle_writer
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
