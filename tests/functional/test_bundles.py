# SPDX-License-Identifier: Apache-2.0
"""Export to a bundle on the sandbox (issue 27), and bundle verify.

The real ``openstack`` CLI against the shared sandbox's source cloud: a
mixed selection exported, checked file by file against the source, a
re-run that skips and a sync that records drift; a flipped byte found by
``bundle verify``; a bundle on a file system too small for the plan
refused before any byte. A SIGKILLed export and the other faults:
test_bundle_faults.py.
"""

import hashlib
import json
import os

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate.cloud import http
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import legacy

MiB = 1024 * 1024


def document(root, image_id):
    with open(os.path.join(root, layout.metadata_name(image_id))) as f:
        return json.load(f)


def data_of(root, image_id):
    with open(os.path.join(root, layout.data_name(image_id)), 'rb') as f:
        return f.read()


@pytest.fixture(scope='module')
def mixed(sandbox):
    """Images of every kind an export meets.

    A shared image with a member and the kernel it boots with, a record
    without a hash and one without data.
    """
    images = fs.Images(sandbox)
    made = {'kernel': images.make('kernel', MiB + 3),
            'nohash': images.make('nohash', 2 * MiB + 1),
            'empty': images.make('empty', 0)}
    made['shared'] = images.make('shared', 3 * MiB, visibility='shared',
                                 kernel_id=made['kernel']['id'])
    src = sandbox.clients('src').glance
    alt = sandbox.project_id('src', 'alt_demo')
    src.image_members.create(made['shared']['id'], alt)
    src.image_members.update(made['shared']['id'], alt, 'accepted')
    legacy.edit_images_table(sandbox, made['nohash']['id'], **legacy.NO_HASH)
    return images, made


def test_a_mixed_selection_is_exported_verified_and_synced(
        sandbox, mixed, tmp_path):
    images, made = mixed
    root = str(tmp_path / 'bundle')
    names = [made[k]['id'] for k in ('shared', 'nohash', 'empty')]
    rows, run = sandbox.migrate_json('plan', '--to-bundle', root, *names)
    assert {i: (r['Action'], r['Path']) for i, r in rows.items()} == {
        made['kernel']['id']: ('copy', 'bundle'),
        made['shared']['id']: ('copy', 'bundle'),
        made['nohash']['id']: ('copy', 'bundle'),
        made['empty']['id']: ('metadata-only', '-')}
    assert {r['Reason'].split('; ')[0] for r in rows.values()} == {
        'not in the bundle yet'}
    assert not os.path.exists(root)
    rows, run = sandbox.migrate_json('--to-bundle', root, *names)
    assert run.stderr == ''
    assert {i: r['Result'] for i, r in rows.items()} == {
        made['kernel']['id']: 'migrated', made['shared']['id']: 'migrated',
        made['nohash']['id']: 'migrated',
        made['empty']['id']: 'metadata-only'}
    for kind in ('kernel', 'shared', 'nohash'):
        image_id = made[kind]['id']
        assert data_of(root, image_id) == images.data[image_id], kind
    shared = document(root, made['shared']['id'])
    source = sandbox.image('src', made['shared']['id'])
    for field in ('name', 'owner', 'visibility', 'kernel_id', 'size',
                  'checksum', 'os_hash_value', 'created_at'):
        assert shared['image'][field] == source[field], field
    assert shared['owner']['name'] == 'demo'
    assert [(m['name'], m['status']) for m in shared['members']] == [
        ('alt_demo', 'accepted')]
    assert shared['data']['verified_against']['os_hash_value'] == (
        hashlib.sha512(images.data[made['shared']['id']]).hexdigest())
    nohash = document(root, made['nohash']['id'])['data']
    assert nohash['verified_against']['read']['sha512'] == hashlib.sha512(
        images.data[made['nohash']['id']]).hexdigest()
    assert document(root, made['empty']['id'])['data'] is None
    verified = sandbox.openstack('image', 'migrate', 'bundle', 'verify',
                                 root, '-f', 'json', cloud=None)
    assert {r['Source ID']: r['Result']
            for r in json.loads(verified.stdout)} == dict.fromkeys(
        rows, 'ok')
    rows, _ = sandbox.migrate_json('--to-bundle', root, *names)
    assert {r['Result'] for r in rows.values()} == {'skipped'}
    http.patch_image(sandbox.clients('src'), made['shared']['id'], [
        {'op': 'add', 'path': '/os_distro', 'value': 'debian'}])
    rows, _ = sandbox.migrate_json('--to-bundle', root, *names)
    assert rows[made['shared']['id']]['Result'] == 'updated'
    drift = document(root, made['shared']['id'])['drift']
    assert drift[-1]['changes'] == {
        'property:os_distro': {'old': None, 'new': 'debian'}}


def test_a_flipped_byte_is_named_by_bundle_verify(sandbox, mixed,
                                                  tmp_path):
    images, made = mixed
    root = str(tmp_path / 'bundle')
    sandbox.migrate_json('--to-bundle', root, made['shared']['id'],
                         '--no-public-and-shared')
    name = layout.data_name(made['shared']['id'])
    with open(os.path.join(root, name), 'r+b') as f:
        f.seek(MiB)
        byte = f.read(1)
        f.seek(MiB)
        f.write(bytes([byte[0] ^ 0x10]))
    result = sandbox.openstack('image', 'migrate', 'bundle', 'verify',
                               root, '-f', 'json', cloud=None, check=False)
    assert result.returncode == 1
    row = {r['Source ID']: r for r in json.loads(result.stdout)}[
        made['shared']['id']]
    assert (row['Result'], row['Detail']) == (
        'failed', '%s: chunk 0 (bytes 0-%d) differs' % (name, 3 * MiB - 1))


@pytest.fixture
def small_fs(tmp_path):
    """A 4 MiB tmpfs."""
    with fs.tmpfs(tmp_path, '4m') as mount:
        yield mount


def test_a_bundle_that_does_not_fit_is_refused_before_any_byte(
        sandbox, mixed, small_fs):
    _, made = mixed
    root = str(small_fs / 'bundle')
    for command in (('plan',), ()):
        result = sandbox.openstack(
            'image', 'migrate', *command, '--to-bundle', root,
            made['shared']['id'], made['nohash']['id'], check=False)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ''
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            'bundle %s does not fit: ' % root), lines
        assert lines[0].endswith('free on its file system; nothing written')
    assert os.listdir(small_fs) == []
