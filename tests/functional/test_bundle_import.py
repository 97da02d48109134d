# SPDX-License-Identifier: Apache-2.0
"""Import from a bundle on the sandbox (issue 27).

The real ``openstack`` CLI with no source cloud at all (no ``--os-cloud``,
``--dest-cloud dst``): a mixed selection exported from src, imported into
dst with IDs, owners, members, tags, properties and hashes checked; a
re-run that skips and a sync from a newer export; a flipped byte and a
truncated file that fail their row naming the file and chunk, never
``active``, and a good import that then finishes into the same record.
"""

import hashlib
import os
import shutil

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate.cloud import http
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import legacy

MiB = 1024 * 1024


def import_json(sandbox, root, *args, check=True, plan=False):
    """``image migrate [plan] --from-bundle root --dest-cloud dst``."""
    return sandbox.migrate_json(*(('plan',) if plan else ()),
                                '--from-bundle', root, '--dest-cloud', 'dst',
                                *args, cloud=None, check=check)


@pytest.fixture(scope='module')
def exported(sandbox, tmp_path_factory):
    """A mixed selection and one more image, exported to one bundle."""
    images = fs.Images(sandbox)
    made = {'kernel': images.make('kernel', MiB + 3),
            'nohash': images.make('nohash', 2 * MiB + 1),
            'empty': images.make('empty', 0),
            'victim': images.make('victim', 3 * MiB + 7)}
    made['shared'] = images.make(
        'shared', 3 * MiB, visibility='shared', kernel_id=made['kernel']['id'],
        tags=['web', 'prod'], os_distro='debian', hw_disk_bus='scsi')
    src = sandbox.clients('src').glance
    alt = sandbox.project_id('src', 'alt_demo')
    src.image_members.create(made['shared']['id'], alt)
    src.image_members.update(made['shared']['id'], alt, 'accepted')
    legacy.edit_images_table(sandbox, made['nohash']['id'], **legacy.NO_HASH)
    root = str(tmp_path_factory.mktemp('export') / 'bundle')
    rows, _ = sandbox.migrate_json('--to-bundle', root, '--no-public-and-'
                                   'shared', *[m['id'] for m in made.values()])
    assert {r['Result'] for r in rows.values()} == {'migrated',
                                                    'metadata-only'}
    return images, made, root


def test_a_mixed_selection_is_imported_with_no_source_login(
        sandbox, exported):
    images, made, root = exported
    names = [made[k]['id'] for k in ('shared', 'nohash', 'empty')]
    rows, run = import_json(sandbox, root, *names, plan=True)
    assert {i: (r['Action'], r['Path']) for i, r in rows.items()} == {
        made['kernel']['id']: ('copy', 'bundle'),
        made['shared']['id']: ('copy', 'bundle'),
        made['nohash']['id']: ('copy', 'bundle'),
        made['empty']['id']: ('metadata-only', '-')}
    # Owners map by the names recorded at export, or as --map-project says.
    demo = sandbox.project_id('dst', 'demo')
    alt = sandbox.project_id('dst', 'alt_demo')
    assert {r['Dest Owner'] for r in rows.values()} == {demo}
    rows, _ = import_json(sandbox, root, '--map-project', 'demo=alt_demo',
                          *names, plan=True)
    assert {r['Dest Owner'] for r in rows.values()} == {alt}
    rows, run = import_json(sandbox, root, *names)
    assert run.stderr == ''
    assert {i: (r['Result'], r['Dest ID']) for i, r in rows.items()} == {
        made['kernel']['id']: ('migrated', made['kernel']['id']),
        made['shared']['id']: ('migrated', made['shared']['id']),
        made['nohash']['id']: ('migrated', made['nohash']['id']),
        made['empty']['id']: ('metadata-only', made['empty']['id'])}
    shared = sandbox.image('dst', made['shared']['id'])
    source = sandbox.image('src', made['shared']['id'])
    assert shared['owner'] == demo != source['owner']
    assert (shared['visibility'], sorted(shared['tags'])) == (
        'shared', ['prod', 'web'])
    for field in ('name', 'kernel_id', 'os_distro', 'hw_disk_bus', 'size',
                  'checksum', 'os_hash_value', 'status'):
        assert shared[field] == source[field], field
    members = sandbox.clients('dst').glance.image_members.list(
        made['shared']['id'])
    assert [(m['member_id'], m['status']) for m in members] == [
        (alt, 'accepted')]
    for kind in ('kernel', 'nohash'):
        image_id = made[kind]['id']
        copy = sandbox.image('dst', image_id)
        assert (copy['status'], copy['owner']) == ('active', demo), kind
        assert copy['os_hash_value'] == hashlib.sha512(
            images.data[image_id]).hexdigest(), kind
    assert sandbox.image('dst', made['empty']['id'])['status'] == 'queued'
    rows, _ = import_json(sandbox, root, *names)
    assert {r['Result'] for r in rows.values()} == {'skipped'}
    # A newer export carries a change in the source: the import syncs it.
    http.patch_image(sandbox.clients('src'), made['shared']['id'], [
        {'op': 'add', 'path': '/os_version', 'value': '12'}])
    sandbox.migrate_json('--to-bundle', root, made['shared']['id'])
    rows, _ = import_json(sandbox, root, made['shared']['id'])
    assert rows[made['shared']['id']]['Result'] == 'updated'
    assert sandbox.image('dst', made['shared']['id'])['os_version'] == '12'


def damaged_copy(root, tmp_path, image_id, offset=None, size=None):
    """A copy of the bundle whose data file of ``image_id`` is damaged."""
    copied = str(tmp_path / ('copy-%s' % (offset if size is None else
                                          'short')))
    shutil.copytree(root, copied)
    path = os.path.join(copied, layout.data_name(image_id))
    with open(path, 'r+b') as f:
        if offset is not None:
            f.seek(offset)
            byte = f.read(1)
            f.seek(offset)
            f.write(bytes([byte[0] ^ 0x20]))
        if size is not None:
            f.truncate(size)
    return copied


def test_a_damaged_file_never_becomes_active_and_a_good_one_finishes(
        sandbox, exported, tmp_path):
    images, made, root = exported
    victim = made['victim']
    size = len(images.data[victim['id']])
    name = layout.data_name(victim['id'])
    cases = [
        (damaged_copy(root, tmp_path, victim['id'], offset=size - 2),
         'bundle: %s: chunk 0 (bytes 0-%d) differs from the manifest'
         % (name, size - 1)),
        (damaged_copy(root, tmp_path, victim['id'], size=2 * MiB),
         'bundle: %s ends at byte %d, in chunk 0: truncated (the manifest '
         'says %d bytes)' % (name, 2 * MiB, size))]
    for copied, detail in cases:
        rows, run = import_json(sandbox, copied, victim['id'], check=False)
        assert run.returncode == 1
        row = rows[victim['id']]
        assert (row['Result'], row['Dest ID'], row['Detail']) == (
            'failed', victim['id'], detail)
        records = fs.copies(sandbox, victim['id'])
        assert [(r['id'], r['status']) for r in records] == [
            (victim['id'], 'queued')]
    rows, run = import_json(sandbox, root, victim['id'])
    assert rows[victim['id']]['Result'] == 'migrated'
    assert rows[victim['id']]['Dest ID'] == victim['id']
    fs.assert_one_good_copy(sandbox, victim, images.data[victim['id']])
