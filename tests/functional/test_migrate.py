# SPDX-License-Identifier: Apache-2.0
"""``image migrate``: real copies between the two sandbox clouds."""

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from osc_image_migrate.cloud import http
from osc_image_migrate import model
from tests.functional.fixtures import proxy

MiB = 1024 * 1024


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def migrate(sandbox, *args, **kwargs):
    return sandbox.migrate_json('--dest-cloud', 'dst', '--no-progress',
                                *args, **kwargs)


@pytest.fixture(scope='module')
def copied(sandbox):
    """A varied set of source images, migrated once by the real CLI."""
    tag = uuid.uuid4().hex[:8]
    demo = sandbox.project_id('src', 'demo')
    alt = sandbox.project_id('src', 'alt_demo')
    src = sandbox.clients('src').glance
    data = {}

    def make(kind, size=MiB, **fields):
        blob = os.urandom(size) if size else None
        fields.setdefault('owner', demo)
        image = sandbox.create_image(name='mig-%s-%s' % (kind, tag),
                                     data=blob, **fields)
        data[kind] = blob
        return image['id']

    ids = {
        'kernel': make('kernel', disk_format='aki', container_format='aki'),
        'ramdisk': make('ramdisk', disk_format='ari',
                        container_format='ari'),
        'hidden': make('hidden', os_hidden=True, visibility='private'),
        'queued': make('queued', size=0, visibility='private'),
        'deactivated': make('deactivated', visibility='private'),
        'protected': make('protected', protected=True, visibility='private'),
        'shared': make('shared', 3 * MiB + 5, visibility='shared'),
    }
    ids['server'] = make('server', 2 * MiB, kernel_id=ids['kernel'],
                         ramdisk_id=ids['ramdisk'], visibility='community',
                         min_disk=2, min_ram=128, tags=['a', 'b'],
                         os_distro='debian', hw_disk_bus='virtio')
    src.image_members.create(ids['shared'], alt)
    src.image_members.update(ids['shared'], alt, 'accepted')
    src.images.deactivate(ids['deactivated'])
    # The kernel's ID is burned in the destination: it gets a new ID, and
    # the server's kernel_id must follow it.
    sandbox.create_image('dst', id=ids['kernel'], name='burn-%s' % tag)
    sandbox.clients('dst').glance.images.delete(ids['kernel'])

    image_args = []
    for image_id in ids.values():
        image_args += ['--image', image_id]
    rows, run = migrate(sandbox, *image_args)
    return {'ids': ids, 'data': data, 'rows': rows, 'run': run, 'tag': tag,
            'image_args': image_args}


def test_first_run_succeeds(copied):
    run = copied['run']
    assert run.returncode == 0, run.stderr
    results = {r['Source ID']: r['Result'] for r in copied['rows'].values()}
    ids = copied['ids']
    assert results[ids['queued']] == 'metadata-only'
    for kind in ('server', 'ramdisk', 'hidden', 'deactivated', 'shared',
                 'protected', 'kernel'):
        assert results[ids[kind]] == 'migrated', kind


def test_ids_are_kept(copied):
    for kind, image_id in copied['ids'].items():
        if kind != 'kernel':
            assert copied['rows'][image_id]['Dest ID'] == image_id, kind


def test_bytes_are_identical(sandbox, copied):
    for kind in ('server', 'ramdisk', 'hidden', 'shared', 'protected'):
        source_id = copied['ids'][kind]
        dest_id = copied['rows'][source_id]['Dest ID']
        assert sha256(sandbox.image_data('dst', dest_id)) == \
            sha256(copied['data'][kind]), kind


def test_attributes_are_kept_and_owner_mapped(sandbox, copied):
    server_id = copied['ids']['server']
    src, dst = sandbox.image('src', server_id), sandbox.image('dst',
                                                              server_id)
    for key in ('name', 'disk_format', 'container_format', 'min_disk',
                'min_ram', 'visibility', 'os_hidden', 'protected',
                'os_distro', 'hw_disk_bus', 'ramdisk_id', 'checksum',
                'os_hash_algo', 'os_hash_value', 'size'):
        assert dst.get(key) == src.get(key), key
    assert sorted(dst['tags']) == ['a', 'b']
    assert dst['owner'] == sandbox.project_id('dst', 'demo')


def test_kernel_with_burned_id_gets_new_id_and_is_remapped(sandbox,
                                                           copied):
    kernel_id = copied['ids']['kernel']
    row = copied['rows'][kernel_id]
    assert row['Dest ID'] != kernel_id
    new_kernel = sandbox.image('dst', row['Dest ID'])
    assert new_kernel[model.SOURCE_ID_PROPERTY] == kernel_id
    assert new_kernel['status'] == 'active'
    server = sandbox.image('dst', copied['ids']['server'])
    assert server['kernel_id'] == row['Dest ID']


def test_final_state_applied(sandbox, copied):
    ids = copied['ids']
    assert sandbox.image('dst', ids['deactivated'])['status'] == \
        'deactivated'
    assert sandbox.image('dst', ids['hidden'])['os_hidden'] is True
    assert sandbox.image('dst', ids['protected'])['protected'] is True
    queued = sandbox.image('dst', ids['queued'])
    assert queued['status'] == 'queued'
    members = list(sandbox.clients('dst').glance.image_members.list(
        ids['shared']))
    assert [(m['member_id'], m['status']) for m in members] == [
        (sandbox.project_id('dst', 'alt_demo'), 'accepted')]


def test_rerun_only_skips(sandbox, copied):
    rows, run = migrate(sandbox, *copied['image_args'])
    assert run.returncode == 0, run.stderr
    assert {r['Result'] for r in rows.values()} == {'skipped'}
    # No duplicate: the burned kernel has exactly one copy.
    copies = [i for i in sandbox.clients('dst').glance.images.list(
        filters={'visibility': 'all'})
        if i.get(model.SOURCE_ID_PROPERTY) == copied['ids']['kernel']]
    assert len(copies) == 1


def test_whole_cloud_needs_all(sandbox):
    result = sandbox.openstack('image', 'migrate', '--dest-cloud', 'dst',
                               check=False)
    assert result.returncode == 2
    assert '--all' in result.stderr
    assert result.stdout == ''


def test_dry_run_writes_nothing(sandbox):
    image = sandbox.create_image(data=os.urandom(MiB),
                                 owner=sandbox.project_id('src', 'demo'))
    rows, run = migrate(sandbox, '--dry-run', '--image', image['id'])
    assert rows[image['id']]['Action'] == 'copy'
    with pytest.raises(http.CloudError) as missing:
        sandbox.image('dst', image['id'])
    assert missing.value.status == 404


def test_plan_file_is_rechecked(sandbox, tmp_path):
    demo = sandbox.project_id('src', 'demo')
    keep = sandbox.create_image(data=os.urandom(MiB), owner=demo)
    gone = sandbox.create_image(data=os.urandom(MiB), owner=demo)
    plan = sandbox.openstack('image', 'migrate', 'plan', '--dest-cloud',
                             'dst', '--image', keep['id'], '--image',
                             gone['id'], '-f', 'json').stdout
    path = tmp_path / 'plan.json'
    path.write_text(plan)
    sandbox.clients('src').glance.images.delete(gone['id'])
    rows, run = migrate(sandbox, '--plan-file', str(path), check=False)
    assert run.returncode == 1
    assert rows[keep['id']]['Result'] == 'migrated'
    assert rows[gone['id']]['Result'] == 'failed'
    assert 'no longer exists' in rows[gone['id']]['Detail']


def test_corrupted_stream_never_becomes_active(sandbox, tmp_path):
    """A byte flipped between source and tool: the copy stays queued."""
    blob = os.urandom(8 * MiB)
    image = sandbox.create_image(data=blob,
                                 owner=sandbox.project_id('src', 'demo'))
    src_port = sandbox.backend_port('src-glance')
    flipper = proxy.FaultProxy(src_port, mode='flip',
                               after_bytes=3 * MiB)
    try:
        config = yaml.safe_load(open(sandbox.clouds_yaml))
        config['clouds']['src']['image_endpoint_override'] = flipper.url
        bent = tmp_path / 'clouds.yaml'
        bent.write_text(yaml.safe_dump(config))
        env = sandbox.env()
        env['OS_CLIENT_CONFIG_FILE'] = str(bent)
        rows, run = migrate(sandbox, '--image', image['id'], '--retries',
                            '1', check=False, env=env)
    finally:
        flipper.close()
    assert flipper.faults >= 1
    assert run.returncode == 1
    row = rows[image['id']]
    assert row['Result'] == 'failed'
    assert 'does not match' in row['Detail']
    assert sandbox.image('dst', image['id'])['status'] == 'queued'

    # The next run, on a healthy path, uploads into the same record.
    rows, run = migrate(sandbox, '--image', image['id'])
    assert rows[image['id']]['Result'] == 'migrated'
    assert sha256(sandbox.image_data('dst', image['id'])) == sha256(blob)


def test_killed_mid_stream_then_rerun(sandbox):
    blob = os.urandom(256 * MiB)
    image = sandbox.create_image(data=blob,
                                 owner=sandbox.project_id('src', 'demo'))
    command = [os.path.join(os.path.dirname(sys.executable), 'openstack'),
               '--os-cloud', 'src', 'image', 'migrate', '--dest-cloud',
               'dst', '--no-progress', '--image', image['id']]
    process = subprocess.Popen(command, env=sandbox.env(),
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    dst = sandbox.clients('dst').glance
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if dst.images.get(image['id'])['status'] == 'saving':
                break
        except Exception:
            pass
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Glance restores the record: never active with partial data.
    for _ in range(100):
        status = dst.images.get(image['id'])['status']
        if status != 'saving':
            break
        time.sleep(0.1)
    assert status == 'queued'

    rows, run = migrate(sandbox, '--image', image['id'])
    assert rows[image['id']]['Result'] == 'migrated'
    assert rows[image['id']]['Dest ID'] == image['id']
    assert sha256(sandbox.image_data('dst', image['id'])) == sha256(blob)


def test_run_that_died_before_final_state_is_finished(sandbox):
    """Data already copied, visibility/members/protection not yet."""
    blob = os.urandom(2 * MiB)
    alt = sandbox.project_id('src', 'alt_demo')
    image = sandbox.create_image(data=blob, visibility='shared',
                                 protected=True,
                                 owner=sandbox.project_id('src', 'demo'))
    sandbox.clients('src').glance.image_members.create(image['id'], alt)
    sandbox.create_image('dst', data=blob, id=image['id'],
                         name=image['name'], visibility='private',
                         owner=sandbox.project_id('dst', 'demo'))
    plan, _ = sandbox.migrate_json('plan', '--dest-cloud', 'dst', '--image',
                                   image['id'])
    assert plan[image['id']]['Action'] == 'finish'
    rows, run = migrate(sandbox, '--image', image['id'])
    assert rows[image['id']]['Result'] == 'finished'
    copy = sandbox.image('dst', image['id'])
    assert (copy['visibility'], copy['protected']) == ('shared', True)
    members = list(sandbox.clients('dst').glance.image_members.list(
        image['id']))
    assert [(m['member_id'], m['status']) for m in members] == [
        (sandbox.project_id('dst', 'alt_demo'), 'pending')]
