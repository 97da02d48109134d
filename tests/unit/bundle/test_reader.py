# SPDX-License-Identifier: Apache-2.0
"""A bundle read as the planner's destination: copy, resume, skip, sync."""

import os

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import reader
from osc_image_migrate.bundle import writer as bundle_writer
from osc_image_migrate.copying import bundle_copy
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import secrets
from tests.unit import fakes
from tests.unit.fakes.bundle import FakeSource
from tests.unit.fakes.bundle import record

DATA = os.urandom(3000)
OWNER = fakes.project('demo', project_id='p1')
NO_CHECKS = secrets.Options(checked=False)


def plan(tmp_path, image):
    source = fakes.make_inventory([image], [OWNER])
    dest = reader.inventory(reader.read(str(tmp_path)), source)
    return planner.make_plan(source, dest, {image['id']: ['named']},
                             secret_options=NO_CHECKS)[0]


def export(tmp_path, image, data=True):
    out = bundle_writer.BundleWriter(str(tmp_path), {}, {'p1': OWNER})
    out.create()
    item = plan(tmp_path, image)
    if data:
        bundle_copy.BundleCopy(FakeSource(DATA), out, item).run({})
    else:
        out.reserve(item)


def test_an_empty_bundle_is_copied_into(tmp_path):
    assert reader.read(str(tmp_path / 'new')).documents == {}
    item = plan(tmp_path, record(DATA))
    assert (item.action, item.dest_owner) == (planner.COPY, 'p1')


def test_an_image_whose_data_is_not_accepted_is_resumed(tmp_path):
    export(tmp_path, record(DATA), data=False)
    contents = reader.read(str(tmp_path))
    assert reader.view(contents, 'img-1')['status'] == 'queued'
    assert plan(tmp_path, record(DATA)).action == planner.RESUME
    (tmp_path / layout.part_name('img-1')).write_bytes(DATA[:100])
    assert reader.read(str(tmp_path)).written == {'img-1': 100}


def test_an_exported_image_is_skipped_then_synced(tmp_path):
    export(tmp_path, record(DATA))
    assert plan(tmp_path, record(DATA)).action == planner.SKIP
    item = plan(tmp_path, record(DATA, name='web-2'))
    assert item.action == planner.UPDATE
    assert [c.field for c in item.changes] == ['name']


def test_a_record_without_a_hash_is_known_by_what_was_read(tmp_path):
    legacy = record(DATA, os_hash_algo=None, os_hash_value=None,
                    checksum=None)
    export(tmp_path, legacy)
    seen = reader.view(reader.read(str(tmp_path)), 'img-1')
    assert seen[model.READ_SIZE] == str(len(DATA))
    assert plan(tmp_path, legacy).action == planner.SKIP


def test_a_document_of_another_format_is_refused(tmp_path):
    (tmp_path / 'images').mkdir()
    (tmp_path / 'images' / 'x.json').write_text('{"id": "y"}')
    with pytest.raises(layout.BundleError, match='x.json'):
        reader.read(str(tmp_path))
