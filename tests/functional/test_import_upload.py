# SPDX-License-Identifier: Apache-2.0
"""Upload method: direct upload, glance-direct import, and the fall-back.

Destinations that forbid direct upload come from ``variant_sandbox``
(policy ``upload_image: "!"``); glance-direct on a stock destination and
the faults run on the shared sandbox.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time

from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import proxy
from tests.functional.fixtures.variants import GlanceVariant

MiB = 1024 * 1024
NO_DIRECT_UPLOAD = GlanceVariant(policy={'upload_image': '!'})
NO_GLANCE_DIRECT = GlanceVariant(conf={'DEFAULT': {
    'enabled_import_methods': "['web-download']"}})
OCTETS = {'Content-Type': 'application/octet-stream'}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def assert_identical(box, images):
    for image in images.box_images:
        copy = box.image('dst', image['id'])
        assert copy['status'] == 'active'
        assert copy['os_hash_value'] == image['os_hash_value']
        assert sha256(box.image_data('dst', image['id'])) == sha256(
            images.data[image['id']])


def plan(box, *args):
    return box.migrate_json('plan', '--dest-cloud', 'dst', *args,
                            check=False)


def make_images(box, *sizes):
    images = fs.Images(box)
    images.box_images = [images.make('imp%d' % n, size)
                         for n, size in enumerate(sizes)]
    return images


def test_auto_falls_back_to_glance_direct_and_migrates(variant_sandbox):
    box = variant_sandbox(dst=NO_DIRECT_UPLOAD)
    images = make_images(box, 2 * MiB + 7, MiB)
    args = fs.image_args(*images.box_images)
    rows, run = plan(box, '--upload-method', 'glance-direct', *args)
    assert run.returncode == 0, run.stderr
    for image in images.box_images:
        assert rows[image['id']]['Reason'].endswith('upload: glance-direct')

    rows, run = fs.migrate(box, *args, '--parallel', '1')
    assert run.returncode == 0, run.stderr
    for image in images.box_images:
        row = rows[image['id']]
        assert row['Result'] == 'migrated'
        assert row['Dest ID'] == image['id']
        assert 'imported with glance-direct' in row['Detail']
    # Learned once: only the first copy met the 403.
    assert ['HTTP 403' in rows[i['id']]['Detail']
            for i in images.box_images] == [True, False]
    assert_identical(box, images)
    # A re-run has nothing to do.
    rows, run = fs.migrate(box, *args)
    assert {r['Result'] for r in rows.values()} == {'skipped'}


def test_put_on_an_import_only_destination_fails_clearly(
        variant_sandbox, tmp_path):
    box = variant_sandbox(dst=NO_DIRECT_UPLOAD)
    images = make_images(box, MiB)
    (image,) = images.box_images
    # A slow source (as under load): Glance's 403 comes, and the balancer
    # closes the TLS connection, before the client has sent the body.
    slow = proxy.FaultProxy(fs.glance_port(box, 'src'), mode=None,
                            rate=MiB // 2)
    env = fs.bent_env(box, tmp_path, src=slow.url)
    try:
        rows, run = fs.migrate(box, '--upload-method', 'put',
                               *fs.image_args(image), env=env)
    finally:
        slow.close()
    assert run.returncode == 1
    detail = rows[image['id']]['Detail']
    assert 'HTTP 403' in detail and '--upload-method glance-direct' in detail
    assert box.image('dst', image['id'])['status'] == 'queued'


def test_glance_direct_not_offered_is_a_usage_error(variant_sandbox):
    box = variant_sandbox(dst=NO_GLANCE_DIRECT)
    images = make_images(box, MiB)
    (image,) = images.box_images
    for command in (('plan',), ()):
        run = box.openstack('image', 'migrate', *command, '--dest-cloud',
                            'dst', '--upload-method', 'glance-direct',
                            '--image', image['id'], check=False)
        assert run.returncode == 2, run.stderr
        assert 'does not offer the glance-direct import method' in \
            run.stderr
        assert 'Traceback' not in run.stderr
    assert list(box.clients('dst').glance.images.list(
        filters={'name': image['name']})) == []


def test_bad_upload_method_is_an_argparse_error(sandbox):
    run = sandbox.openstack('image', 'migrate', '--dest-cloud', 'dst',
                            '--upload-method', 'ftp', 'x', check=False)
    assert run.returncode == 2
    assert "invalid choice: 'ftp'" in run.stderr


def test_glance_direct_on_a_stock_destination(sandbox):
    images = make_images(sandbox, 3 * MiB + 1)
    (image,) = images.box_images
    rows, run = plan(sandbox, '--upload-method', 'glance-direct',
                     *fs.image_args(image))
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Reason'].endswith('upload: glance-direct')
    rows, run = fs.migrate(sandbox, '--upload-method', 'glance-direct',
                           *fs.image_args(image))
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Result'] == 'migrated'
    assert 'imported with glance-direct' in rows[image['id']]['Detail']
    assert_identical(sandbox, images)


def test_corrupted_stream_via_glance_direct_never_becomes_active(
        sandbox, tmp_path):
    images = make_images(sandbox, 8 * MiB)
    (image,) = images.box_images
    flipper = proxy.FaultProxy(fs.glance_port(sandbox, 'src'), mode='flip',
                               after_bytes=3 * MiB)
    try:
        rows, run = fs.migrate(
            sandbox, '--upload-method', 'glance-direct', '--retries', '1',
            *fs.image_args(image),
            env=fs.bent_env(sandbox, tmp_path, src=flipper.url))
    finally:
        flipper.close()
    assert flipper.faults >= 1
    assert run.returncode == 1
    assert 'does not match' in rows[image['id']]['Detail']
    assert sandbox.image('dst', image['id'])['status'] == 'queued'

    rows, run = fs.migrate(sandbox, '--upload-method', 'glance-direct',
                           *fs.image_args(image))
    assert rows[image['id']]['Result'] == 'migrated', rows
    assert_identical(sandbox, images)


def _dest_record(box, image):
    """The record a run creates before sending data (same ID, owner)."""
    return box.create_image('dst', id=image['id'], name=image['name'],
                            owner=box.project_id('dst', 'demo'))


class Cut(Exception):
    """Raised from a request body: the stage is cut mid-stream."""


def _cut_after(data, limit):
    for start in range(0, len(data), MiB):
        if start >= limit:
            raise Cut()
        yield data[start:start + MiB]


def test_rerun_after_a_cut_stage_resumes(sandbox):
    images = make_images(sandbox, 4 * MiB)
    (image,) = images.box_images
    _dest_record(sandbox, image)
    dst = sandbox.clients('dst').image
    try:
        dst.put('/v2/images/%s/stage' % image['id'], headers=OCTETS,
                data=_cut_after(images.data[image['id']], 2 * MiB))
    except Cut:
        pass
    # Glance notices the cut connection a moment later (seconds on a busy
    # machine) and puts the record back to queued.
    assert fs.wait_for(lambda: sandbox.image('dst', image['id'])['status']
                       == 'queued', timeout=30)
    rows, run = fs.migrate(sandbox, '--upload-method', 'glance-direct',
                           *fs.image_args(image))
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Result'] == 'migrated'
    assert_identical(sandbox, images)


def test_killed_mid_stage_then_rerun(sandbox):
    images = make_images(sandbox, 256 * MiB)
    (image,) = images.box_images
    command = [os.path.join(os.path.dirname(sys.executable), 'openstack'),
               '--os-cloud', 'src', 'image', 'migrate', '--dest-cloud',
               'dst', '--no-progress', '--upload-method', 'glance-direct',
               '--image', image['id']]
    process = subprocess.Popen(command, env=sandbox.env(),
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        assert fs.wait_for(lambda: fs.dest_status(sandbox, image['id'])
                           == 'uploading', timeout=60)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # Glance puts a cut stage back to queued: never imported half-way.
    assert fs.wait_for(lambda: fs.dest_status(sandbox, image['id'])
                       == 'queued', timeout=10)
    rows, run = fs.migrate(sandbox, '--upload-method', 'glance-direct',
                           *fs.image_args(image))
    assert rows[image['id']]['Result'] == 'migrated', rows
    assert rows[image['id']]['Dest ID'] == image['id']
    assert_identical(sandbox, images)


def test_rerun_imports_a_stage_an_earlier_run_left_uploading(sandbox):
    images = make_images(sandbox, 2 * MiB)
    (image,) = images.box_images
    _dest_record(sandbox, image)
    response = sandbox.clients('dst').image.put(
        '/v2/images/%s/stage' % image['id'], headers=OCTETS,
        data=images.data[image['id']])
    assert response.status_code == 204
    assert sandbox.image('dst', image['id'])['status'] == 'uploading'
    rows, run = plan(sandbox, *fs.image_args(image))
    assert rows[image['id']]['Action'] == 'resume'
    assert 'complete stage' in rows[image['id']]['Reason']
    rows, run = fs.migrate(sandbox, *fs.image_args(image))
    assert run.returncode == 0, run.stderr
    row = rows[image['id']]
    assert row['Result'] == 'migrated' and row['Dest ID'] == image['id']
    assert 'earlier run staged' in row['Detail']
    assert_identical(sandbox, images)


def test_failed_import_is_blocked_and_kept(sandbox):
    images = make_images(sandbox, MiB)
    (image,) = images.box_images
    record = sandbox.create_image('dst', id=image['id'], name=image['name'],
                                  owner=sandbox.project_id('dst', 'demo'),
                                  disk_format='qcow2')
    dst = sandbox.clients('dst').image
    assert dst.put('/v2/images/%s/stage' % record['id'], headers=OCTETS,
                   data=os.urandom(MiB)).status_code == 204
    assert dst.post('/v2/images/%s/import' % record['id'], json={
        'method': {'name': 'glance-direct'}}).status_code == 202
    assert fs.wait_for(lambda: sandbox.image('dst', record['id']).get(
        'os_glance_failed_import'), timeout=60)
    assert sandbox.image('dst', record['id'])['status'] == 'importing'
    rows, run = fs.migrate(sandbox, *fs.image_args(image))
    assert run.returncode == 1
    row = rows[image['id']]
    assert row['Result'] == 'blocked'
    assert 'failed its import (stores fs)' in row['Detail']
    assert sandbox.image('dst', record['id'])['status'] == 'importing'
