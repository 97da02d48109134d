# SPDX-License-Identifier: Apache-2.0
"""A bundle against its manifest: every file, chunk by chunk."""

import os

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import verify
from osc_image_migrate.bundle import writer as bundle_writer
from osc_image_migrate.copying import bundle_copy
from osc_image_migrate.planning import planner
from tests.unit.fakes.bundle import FakeSource
from tests.unit.fakes.bundle import record

CHUNK = layout.CHUNK_SIZE


@pytest.fixture(scope='module')
def bundle(tmp_path_factory):
    """A bundle of one 2.5-chunk image and one image without data."""
    root = tmp_path_factory.mktemp('bundle')
    data = os.urandom(2 * CHUNK + CHUNK // 2)
    out = bundle_writer.BundleWriter(str(root), {'cloud': 'src'}, {})
    out.create()
    for image, action in ((record(data), planner.COPY),
                          (record(b'', 'img-2', status='queued', size=None),
                           planner.METADATA_ONLY)):
        bundle_copy.BundleCopy(FakeSource(data), out, planner.PlanItem(
            image['id'], name='web', action=action,
            source_image=image)).run({})
    out.write_manifest()
    return root


def copy_of(bundle, tmp_path):
    copied = tmp_path / 'copy'
    os.system('cp -r %s %s' % (bundle, copied))
    return copied


def test_a_whole_bundle_verifies(bundle):
    checks = verify.verify(str(bundle))
    assert [(c.image_id, c.result, c.detail) for c in checks] == [
        ('img-1', 'ok', ''), ('img-2', 'ok', '')]
    assert checks[0].size == 2 * CHUNK + CHUNK // 2


def test_a_flipped_byte_names_its_file_and_chunk(bundle, tmp_path):
    copied = copy_of(bundle, tmp_path)
    with open(copied / layout.data_name('img-1'), 'r+b') as f:
        f.seek(CHUNK + 5)
        byte = f.read(1)
        f.seek(CHUNK + 5)
        f.write(bytes([byte[0] ^ 1]))
    check = verify.verify(str(copied))[0]
    assert check.result == 'failed'
    assert check.detail == 'images/img-1.data: chunk 1 (bytes %d-%d) ' \
        'differs' % (CHUNK, 2 * CHUNK - 1)


def test_a_truncated_file_says_where_it_ends(bundle, tmp_path):
    copied = copy_of(bundle, tmp_path)
    os.truncate(copied / layout.data_name('img-1'), CHUNK + 10)
    check = verify.verify(str(copied))[0]
    assert check.detail == ('images/img-1.data ends at byte %d, in chunk '
                            '1: truncated' % (CHUNK + 10))


def test_documents_are_checked_too(bundle, tmp_path):
    copied = copy_of(bundle, tmp_path)
    path = copied / layout.metadata_name('img-2')
    path.write_text(path.read_text().replace('"web"', '"evil"'))
    os.unlink(copied / layout.data_name('img-1'))
    (copied / 'images' / 'img-3.json').write_text('{}')
    assert [(c.image_id, c.result, c.detail)
            for c in verify.verify(str(copied))] == [
        ('img-1', 'failed', 'images/img-1.data is missing'),
        ('img-2', 'failed', 'images/img-2.json differs from the manifest'),
        ('img-3', 'failed', 'images/img-3.json is not in the manifest (an '
         'export stopped before writing it: run the export again)')]


def test_what_is_not_a_bundle_is_one_error(tmp_path):
    with pytest.raises(layout.BundleError, match='not a directory'):
        verify.verify(str(tmp_path / 'none'))
    with pytest.raises(layout.BundleError, match='no manifest'):
        verify.verify(str(tmp_path))
    (tmp_path / 'manifest.json').write_text(
        '{"format": "osc-image-migrate-bundle", "version": 9, '
        '"images": {}}')
    with pytest.raises(layout.BundleError, match='version 9; this'):
        verify.verify(str(tmp_path))
