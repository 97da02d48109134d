# SPDX-License-Identifier: Apache-2.0
"""A plan item carried out into a bundle: record, data, record again."""

import os

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import writer as bundle_writer
from osc_image_migrate.copying import bundle_copy
from osc_image_migrate.copying import image_copy
from osc_image_migrate.planning import drift
from osc_image_migrate.planning import planner
from tests.unit import fakes
from tests.unit.fakes.bundle import FakeSource
from tests.unit.fakes.bundle import record

DATA = os.urandom(3000)
OWNER = fakes.project('demo', project_id='p1')


def item(action=planner.COPY, **fields):
    image = record(DATA, **fields)
    return planner.PlanItem(source_id=image['id'], name=image['name'],
                            size=image['size'], action=action,
                            dest_id=image['id'], source_image=image)


def writer(tmp_path):
    return bundle_writer.BundleWriter(
        str(tmp_path), {'cloud': 'src'}, {'p1': OWNER})


def test_a_copy_writes_the_data_then_the_record(tmp_path):
    out = writer(tmp_path)
    out.create()
    copy = bundle_copy.BundleCopy(FakeSource(DATA), out, item())
    outcome = copy.run({})
    assert (outcome.result, outcome.dest_id, outcome.bytes) == (
        image_copy.MIGRATED, 'img-1', len(DATA))
    document = layout.load(str(tmp_path / layout.metadata_name('img-1')))
    assert document['owner'] == {'id': 'p1', 'name': 'demo',
                                 'domain': 'Default'}
    assert document['data']['size'] == len(DATA)
    assert document['source'] == {'cloud': 'src'}
    assert sorted(os.listdir(tmp_path / 'images')) == [
        'img-1.data', 'img-1.json']


def test_a_sync_rewrites_the_record_and_keeps_the_drift(tmp_path):
    out = writer(tmp_path)
    out.create()
    bundle_copy.BundleCopy(FakeSource(DATA), out, item()).run({})
    update = item(planner.UPDATE, name='web-2')
    update.changes = [drift.Change('name', 'web', 'web-2')]
    source = FakeSource(DATA)
    outcome = bundle_copy.BundleCopy(source, out, update).run({})
    assert (outcome.result, outcome.bytes) == (image_copy.UPDATED, 0)
    assert source.image.requests == []
    document = layout.load(str(tmp_path / layout.metadata_name('img-1')))
    assert document['image']['name'] == 'web-2'
    assert document['data']['size'] == len(DATA)
    assert document['drift'][0]['changes'] == {
        'name': {'old': 'web', 'new': 'web-2'}}


def test_a_skip_touches_nothing(tmp_path):
    outcome = bundle_copy.BundleCopy(
        FakeSource(DATA), writer(tmp_path),
        item(planner.SKIP, reasons=['same'])).run({})
    assert outcome.result == image_copy.SKIPPED
    assert os.listdir(tmp_path) == []
