# SPDX-License-Identifier: Apache-2.0
"""A destination that converts imports (image_conversion, output raw).

The destination Glance runs the real ``image_conversion`` import plugin
(qemu-img) and forbids direct upload, as Ceph clouds do; the source images
are real qcow2 files made with qemu-img. Every test asks ``variant_sandbox``
for that destination.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys

import pytest

from osc_image_migrate import model
from osc_image_migrate.planning import conversion
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import proxy
from tests.functional.fixtures.sandbox import data_requests
from tests.functional.fixtures.variants import GlanceVariant

MiB = 1024 * 1024
VIRTUAL = 64 * MiB
CONVERTS_TO_RAW = GlanceVariant(
    import_plugins=('image_conversion',), policy={'upload_image': '!'},
    conf={'image_conversion': {'output_format': 'raw'}})
OCTETS = {'Content-Type': 'application/octet-stream'}


@pytest.fixture
def box(variant_sandbox):
    assert shutil.which('qemu-img'), 'qemu-img missing: install qemu-utils'
    return variant_sandbox(dst=CONVERTS_TO_RAW)


def qcow2_disk(tmp_path, data_size, virtual=VIRTUAL):
    """(qcow2 bytes, raw bytes) of a disk with random data at its start."""
    raw = tmp_path / ('disk-%s.raw' % os.urandom(4).hex())
    with open(raw, 'wb') as f:
        f.write(os.urandom(data_size))
        f.truncate(virtual)
    qcow2 = raw.with_suffix('.qcow2')
    subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2',
                    str(raw), str(qcow2)], check=True)
    return qcow2.read_bytes(), raw.read_bytes()


def source_qcow2(box, tmp_path, data_size=3 * MiB, virtual=VIRTUAL,
                 **fields):
    """A qcow2 source image owned by demo; (record, its raw bytes)."""
    data, raw = qcow2_disk(tmp_path, data_size, virtual)
    fields.setdefault('owner', box.project_id('src', 'demo'))
    fields.setdefault('visibility', 'private')
    image = box.create_image('src', data=data, disk_format='qcow2',
                             **fields)
    assert image['virtual_size'] == virtual
    return image, raw


def sha512(data):
    return hashlib.sha512(data).hexdigest()


def assert_converted_copy(box, source, raw, dest_id=None):
    """The copy is the raw conversion of the source and records it."""
    copy = box.image('dst', dest_id or source['id'])
    assert copy['status'] == 'active'
    assert (copy['disk_format'], copy['container_format']) == ('raw',
                                                               'bare')
    assert copy['size'] == copy['virtual_size'] == source['virtual_size']
    assert copy['os_hash_value'] == sha512(raw)
    assert sha512(box.image_data('dst', copy['id'])) == sha512(raw)
    assert copy[conversion.SOURCE_DISK_FORMAT] == 'qcow2'
    assert copy[conversion.SOURCE_SIZE] == str(source['size'])
    assert copy[conversion.SOURCE_HASH_ALGO] == source['os_hash_algo']
    assert copy[conversion.SOURCE_HASH_VALUE] == source['os_hash_value']
    assert copy[conversion.CONVERTED] == 'qcow2 -> raw'
    return copy


def plan(box, *args):
    return box.migrate_json('plan', '--dest-cloud', 'dst', *args,
                            check=False)


def test_converted_copy_is_accepted_and_a_rerun_skips_it(box, tmp_path):
    image, raw = source_qcow2(box, tmp_path, os_distro='debian')
    plain = box.create_image(
        'src', data=os.urandom(MiB + 3), os_distro='debian',
        owner=box.project_id('src', 'demo'), visibility='private')
    args = fs.image_args(image, plain)
    rows, run = fs.migrate(box, *args, '--parallel', '1')
    assert run.returncode == 0, run.stderr
    row = rows[image['id']]
    assert row['Result'] == 'migrated' and row['Dest ID'] == image['id']
    assert 'imported with glance-direct' in row['Detail']
    assert 'converted qcow2 -> raw by the destination' in row['Detail']
    copy = assert_converted_copy(box, image, raw)
    assert copy['os_distro'] == 'debian'
    # A raw image is imported unchanged: same data, nothing converted.
    assert rows[plain['id']]['Result'] == 'migrated'
    assert 'converted' not in rows[plain['id']]['Detail']
    same = box.image('dst', plain['id'])
    assert same['os_hash_value'] == plain['os_hash_value']
    assert same[conversion.SOURCE_HASH_VALUE] == plain['os_hash_value']
    assert conversion.CONVERTED not in same

    rows, run = plan(box, *args)
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Action'] == 'skip'
    assert 'same data' in rows[image['id']]['Reason']
    assert 'a copy converted qcow2 -> raw by the destination' in \
        rows[image['id']]['Reason']
    assert 'differs' not in rows[image['id']]['Reason']
    assert rows[plain['id']]['Action'] == 'skip'

    before = box.image('dst', image['id'])
    run = box.openstack('--debug', 'image', 'migrate', '--dest-cloud',
                        'dst', '--no-progress', '-f', 'json', *args)
    assert data_requests(run.stderr) == []
    assert box.image('dst', image['id'])['updated_at'] == \
        before['updated_at']


def test_sync_of_a_converted_copy_changes_only_what_changed(box, tmp_path):
    image, raw = source_qcow2(box, tmp_path, os_distro='debian')
    args = fs.image_args(image)
    rows, run = fs.migrate(box, *args)
    assert rows[image['id']]['Result'] == 'migrated', rows
    box.clients('src').glance.images.update(image['id'], os_distro='ubuntu',
                                            min_ram=512)
    rows, run = plan(box, *args, '--long')
    row = rows[image['id']]
    assert row['Action'] == 'update'
    assert sorted(row['Changes']) == ['min_ram', 'property:os_distro']
    assert 'disk_format' not in row['Reason']
    rows, run = fs.migrate(box, *args)
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Result'] == 'updated'
    copy = assert_converted_copy(box, image, raw)
    assert (copy['os_distro'], copy['min_ram']) == ('ubuntu', 512)
    rows, run = plan(box, *args)
    assert rows[image['id']]['Action'] == 'skip'


def test_corrupted_stream_never_becomes_active(box, tmp_path):
    image, raw = source_qcow2(box, tmp_path)
    flipper = proxy.FaultProxy(fs.glance_port(box, 'src'), mode='flip',
                               after_bytes=2 * MiB)
    try:
        rows, run = fs.migrate(
            box, '--upload-method', 'glance-direct', '--retries', '0',
            *fs.image_args(image),
            env=fs.bent_env(box, tmp_path, src=flipper.url))
    finally:
        flipper.close()
    assert flipper.faults == 1
    assert run.returncode == 1
    assert 'does not match the source record' in \
        rows[image['id']]['Detail']
    left = box.image('dst', image['id'])
    assert left['status'] == 'queued' and left['disk_format'] == 'qcow2'
    # The record named its source before any data went in.
    assert left[conversion.SOURCE_HASH_VALUE] == image['os_hash_value']

    rows, run = fs.migrate(box, *fs.image_args(image))
    assert rows[image['id']]['Result'] == 'migrated', rows
    assert_converted_copy(box, image, raw)


def _as_a_run_left_it(box, image, data):
    """What a run stopped after the import left: imported, not checked."""
    record = box.create_image(
        'dst', id=image['id'], name=image['name'], disk_format='qcow2',
        owner=box.project_id('dst', 'demo'), visibility='private',
        **{model.SOURCE_ID_PROPERTY: image['id']},
        **conversion.source_values(image))
    dst = box.clients('dst').image
    assert dst.put('/v2/images/%s/stage' % record['id'], data=data,
                   headers=OCTETS).status_code == 204
    assert dst.post('/v2/images/%s/import' % record['id'], json={
        'method': {'name': 'glance-direct'}}).status_code == 202
    assert fs.wait_for(lambda: fs.dest_status(box, record['id'])
                       == 'active', timeout=60)
    return record


def test_rerun_checks_a_conversion_a_stopped_run_left(box, tmp_path):
    data, raw = qcow2_disk(tmp_path, MiB)
    image = box.create_image('src', data=data, disk_format='qcow2',
                             owner=box.project_id('src', 'demo'),
                             visibility='shared')
    _as_a_run_left_it(box, image, data)
    rows, run = plan(box, *fs.image_args(image))
    row = rows[image['id']]
    assert row['Action'] == 'resume'
    assert 'not checked yet' in row['Reason']

    rows, run = fs.migrate(box, *fs.image_args(image))
    assert run.returncode == 0, run.stderr
    row = rows[image['id']]
    assert row['Result'] == 'migrated' and row['Dest ID'] == image['id']
    assert 'converted qcow2 -> raw by the destination' in row['Detail']
    copy = assert_converted_copy(box, image, raw)
    assert copy['visibility'] == 'shared'
    rows, run = plan(box, *fs.image_args(image))
    assert rows[image['id']]['Action'] == 'skip'


def test_run_killed_during_the_conversion_then_rerun(box, tmp_path):
    image, raw = source_qcow2(box, tmp_path, virtual=256 * MiB)
    command = [os.path.join(os.path.dirname(sys.executable), 'openstack'),
               '--os-cloud', 'src', 'image', 'migrate', '--dest-cloud',
               'dst', '--no-progress', '--upload-method', 'glance-direct',
               '--image', image['id']]
    process = subprocess.Popen(command, env=box.env(),
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        assert fs.wait_for(lambda: fs.dest_status(box, image['id'])
                           == 'importing', timeout=60, interval=0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # The destination finishes the import on its own; nobody checked it.
    assert fs.wait_for(lambda: fs.dest_status(box, image['id'])
                       == 'active', timeout=120)
    assert conversion.CONVERTED not in box.image('dst', image['id'])
    rows, run = plan(box, *fs.image_args(image))
    assert rows[image['id']]['Action'] == 'resume'
    assert 'not checked yet' in rows[image['id']]['Reason']
    rows, run = fs.migrate(box, *fs.image_args(image))
    assert run.returncode == 0, run.stderr
    assert 'converted qcow2 -> raw' in rows[image['id']]['Detail']
    assert_converted_copy(box, image, raw)


def test_other_data_staged_into_the_copy_is_not_accepted(box, tmp_path):
    data, raw = qcow2_disk(tmp_path, 64 * 1024)
    image = box.create_image('src', data=data, disk_format='qcow2',
                             owner=box.project_id('src', 'demo'),
                             visibility='private')
    # Another client stages a disk of the same file size into the record
    # (a smaller virtual disk): the size check before the import passes.
    other, _ = qcow2_disk(tmp_path, 64 * 1024, virtual=32 * MiB)
    assert len(other) == len(data) and other != data
    record = box.create_image(
        'dst', id=image['id'], name=image['name'], disk_format='qcow2',
        owner=box.project_id('dst', 'demo'), visibility='private',
        **{model.SOURCE_ID_PROPERTY: image['id']},
        **conversion.source_values(image))
    assert box.clients('dst').image.put(
        '/v2/images/%s/stage' % record['id'], data=other,
        headers=OCTETS).status_code == 204
    rows, run = plan(box, *fs.image_args(image))
    assert rows[image['id']]['Action'] == 'resume'

    rows, run = fs.migrate(box, *fs.image_args(image))
    assert run.returncode == 1
    detail = rows[image['id']]['Detail']
    assert 'evidence of a conversion of the verified data is missing' in \
        detail
    assert 'virtual size 33554432, the source\'s is 67108864' in detail
    assert 'deactivated destination image' in detail
    rejected = box.image('dst', image['id'])
    assert rejected['status'] == 'deactivated'
    assert conversion.CONVERTED not in rejected

    rows, run = plan(box, *fs.image_args(image))
    assert rows[image['id']]['Action'] == 'new-id'
    rows, run = fs.migrate(box, *fs.image_args(image))
    assert run.returncode == 0, run.stderr
    dest_id = rows[image['id']]['Dest ID']
    assert dest_id != image['id']
    assert_converted_copy(box, image, raw, dest_id)
    assert box.image('dst', image['id'])['status'] == 'deactivated'
