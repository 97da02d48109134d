# SPDX-License-Identifier: Apache-2.0
"""The rbd data path between two Ceph-backed sandbox clouds.

Each cloud of the variant sandbox runs a one-node Ceph cluster that its
Glance stores images in (tools/cloudsandbox/ceph.py); the tool reaches
both with the ``image_migrate:`` blocks of the clouds.yaml, as the
``migrator`` user of the destination (service role). Skipped where the
Debian Ceph packages are missing (.ci/run installs them).
"""

import hashlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

import pytest
import yaml

from tests.functional.fixtures import faults as fs
from tests.functional.fixtures.variants import GlanceVariant

MiB = fs.MiB
CEPH = GlanceVariant(ceph=True)
DEST = 'dst-migrator'

pytestmark = pytest.mark.skipif(
    not all(shutil.which(c, path=os.pathsep.join([
        os.environ.get('PATH', ''), '/usr/bin', '/usr/sbin']))
        for c in ('ceph-mon', 'ceph-osd', 'rbd')),
    reason='Debian\'s Ceph packages are not installed')


@pytest.fixture
def box(variant_sandbox):
    return variant_sandbox(src=CEPH, dst=CEPH)


def rbd(box, cloud, *args, user='glance'):
    settings = box.info['clouds'][cloud]['ceph']
    return subprocess.run(
        ['rbd', '--conf', settings['ceph_conf'], '--id', user] + list(args),
        capture_output=True, text=True, check=True).stdout


def used(box, cloud, image_id):
    """Bytes the image's snapshot holds in the cloud's pool."""
    found = json.loads(rbd(box, cloud, 'du', '--format', 'json',
                           'images/%s@snap' % image_id))
    return found['images'][0]['used_size']


def migrate(box, *args, **kwargs):
    return fs.migrate(box, *args, dest=kwargs.pop('dest', DEST), **kwargs)


def sparse_blob():
    """128 MiB with three 4 MiB runs of data, the rest zeros."""
    blob = bytearray(128 * MiB)
    for offset in (0, 60 * MiB, 124 * MiB):
        blob[offset:offset + 4 * MiB] = os.urandom(4 * MiB)
    return bytes(blob)


def qcow2_blob(tmp_path):
    raw, qcow2 = tmp_path / 'disk.raw', tmp_path / 'disk.qcow2'
    raw.write_bytes(os.urandom(MiB) + bytes(3 * MiB))
    subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2',
                    str(raw), str(qcow2)], check=True)
    return qcow2.read_bytes()


def test_images_move_storage_to_storage_and_glance_verifies(box, tmp_path):
    """As the operator, with a location_cloud's credential for locations."""
    images = fs.Images(box)
    kernel = images.make('kernel', MiB + 3, disk_format='aki',
                         container_format='aki')
    ramdisk = images.make('ramdisk', MiB + 5, disk_format='ari',
                          container_format='ari')
    made = {'kernel': kernel, 'ramdisk': ramdisk,
            'dense': images.make('dense', 8 * MiB + 1, kernel_id=kernel['id'],
                                 ramdisk_id=ramdisk['id'], os_distro='x')}
    blob = sparse_blob()
    made['sparse'] = box.create_image(data=blob, owner=images.owner,
                                      name='sparse-' + images.tag)
    if shutil.which('qemu-img'):
        made['qcow2'] = box.create_image(
            data=qcow2_blob(tmp_path), owner=images.owner,
            disk_format='qcow2', name='qcow2-' + images.tag)
    made['shared'] = images.make('shared', 2 * MiB, visibility='shared',
                                 tags=['web'])
    src = box.clients('src').glance
    alt = box.project_id('src', 'alt_demo')
    src.image_members.create(made['shared']['id'], alt)
    src.image_members.update(made['shared']['id'], alt, 'accepted')
    ids = [m['id'] for m in made.values()]
    assert box.image('src', made['sparse']['id'])['direct_url'].startswith(
        'rbd://')

    # The operator's credential (dst: admin, no service role) does all
    # but add the locations, which the migrator's (service role) does.
    env = with_settings(box, tmp_path, 'dst', location_cloud=DEST)
    rows, run = migrate(box, '--data-path', 'rbd',
                        *fs.image_args(*made.values()), dest='dst', env=env)
    assert run.returncode == 0, run.stderr
    for image_id in ids:
        row, source = rows[image_id], box.image('src', image_id)
        assert (row['Result'], row['Dest ID']) == ('migrated', image_id)
        assert row['Detail'].startswith('rbd: moved'), row
        assert re.search(r'; Glance checked the copy in \d+\.\d s',
                         row['Detail']), row
        copy = box.image('dst', image_id)
        assert copy['status'] == 'active'
        assert copy['direct_url'].startswith('rbd://')
        for field in ('os_hash_value', 'size', 'disk_format', 'name',
                      'visibility', 'checksum'):
            assert copy[field] == source[field], field
    assert box.image('dst', made['dense']['id'])['kernel_id'] == kernel['id']
    members = box.clients('dst').glance.image_members.list(
        made['shared']['id'])
    assert [m['status'] for m in members] == ['accepted']
    # Thin: only what the source holds moved (Glance wrote it in 8 MiB
    # pieces, its zero pieces skipped), and the copy holds as much.
    sparse = made['sparse']['id']
    moved = int(re.match(r'rbd: moved (\d+) MiB', rows[sparse]['Detail'])[1])
    held = used(box, 'src', sparse)
    assert held < 32 * MiB
    assert moved * MiB <= held * 1.05 + MiB
    assert used(box, 'dst', sparse) <= held
    assert hashlib.sha256(box.image_data('dst', sparse)).digest() == (
        hashlib.sha256(blob).digest())

    rows, run = migrate(box, *fs.image_args(*made.values()))
    assert {r['Result'] for r in rows.values()} == {'skipped'}, rows


def test_a_copy_glance_finds_wrong_never_becomes_active(box):
    image = fs.Images(box).make('tampered', 4 * MiB)
    spec = 'images/%s' % image['id']
    # The source snapshot changes behind its record's back: its first MiB
    # is written over (an rbd diff without snapshots), then it is taken
    # again.
    patch = os.path.join(box.state_dir, 'patch-%s' % image['id'])
    with open(patch, 'wb') as f:
        f.write(b'rbd diff v1\nw' + struct.pack('<QQ', 0, MiB)
                + os.urandom(MiB) + b'e')
    rbd(box, 'src', 'import-diff', '--no-progress', patch, spec,
        user='admin')
    os.remove(patch)
    rbd(box, 'src', 'snap', 'unprotect', spec + '@snap', user='admin')
    rbd(box, 'src', 'snap', 'rm', '--no-progress', spec + '@snap',
        user='admin')
    rbd(box, 'src', 'snap', 'create', spec + '@snap', user='admin')
    rbd(box, 'src', 'snap', 'protect', spec + '@snap', user='admin')

    rows, run = migrate(box, '--data-path', 'rbd', '--retries', '0',
                        *fs.image_args(image))
    row = rows[image['id']]
    assert row['Result'] == 'failed', row
    assert image['os_hash_value'] in row['Detail']
    assert 'refused the rbd copy' in row['Detail']
    assert box.image('dst', image['id'])['status'] == 'queued'
    assert image['id'] not in rbd(box, 'dst', 'ls', 'images').split()


def marked(box, image_id):
    """Whether the rbd copy made and marked the image's RBD image yet."""
    return subprocess.run(
        ['rbd', '--conf', box.info['clouds']['dst']['ceph']['ceph_conf'],
         '--id', 'glance', 'image-meta', 'get', 'images/%s' % image_id,
         'osc-image-migrate.copy-of'], capture_output=True).returncode == 0


def test_killed_mid_copy_then_rerun_completes_the_same_record(box):
    """And so does a re-run by the stream, its RBD image removed first."""
    images = fs.Images(box)
    image = images.make('killed', 24 * MiB)
    streamed = images.make('killed-streamed', 8 * MiB)
    command = [os.path.join(os.path.dirname(sys.executable), 'openstack'),
               '--os-cloud', 'src', 'image', 'migrate', '--dest-cloud',
               DEST, '--no-progress', '--limit-rate', '4M',
               '--image', image['id'], '--image', streamed['id']]
    process = subprocess.Popen(command, env=box.env(),
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        # The copies are under way once their RBD images are in the dst
        # pool with the tool's mark.
        while not (marked(box, image['id']) and marked(box, streamed['id'])):
            assert process.poll() is None, 'the copy ended before the kill'
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert box.image('dst', image['id'])['status'] == 'queued'

    rows, run = migrate(box, *fs.image_args(image))
    row = rows[image['id']]
    assert (row['Result'], row['Dest ID']) == ('migrated', image['id']), row
    assert row['Detail'].startswith('rbd: moved')
    copy = box.image('dst', image['id'])
    assert (copy['status'], copy['os_hash_value']) == (
        'active', image['os_hash_value'])
    assert [c['id'] for c in fs.copies(box, image['id'])] == [image['id']]
    assert rbd(box, 'dst', 'ls', 'images').split().count(image['id']) == 1

    # Glance's own rbd upload needs the RBD image's name the killed copy
    # took: the stream removes that image first. (Without the
    # destination's Ceph settings the failed stream's row says so: see
    # tests/unit/copying/test_rbd_copy.py.)
    assert box.image('dst', streamed['id'])['status'] == 'queued'
    assert marked(box, streamed['id'])
    rows, run = migrate(box, '--data-path', 'stream', '--retries', '0',
                        *fs.image_args(streamed))
    row = rows[streamed['id']]
    assert (row['Result'], row['Dest ID']) == (
        'migrated', streamed['id']), row
    assert row['Detail'] == ('removed RBD image images/%s, left by an '
                             'interrupted rbd copy' % streamed['id'])
    copy = box.image('dst', streamed['id'])
    assert (copy['status'], copy['os_hash_value']) == (
        'active', streamed['os_hash_value'])
    assert [c['id'] for c in fs.copies(box, streamed['id'])] == [
        streamed['id']]
    assert not marked(box, streamed['id'])


def with_settings(box, tmp_path, cloud, **settings):
    """The box's env with a clouds.yaml whose ``cloud`` has ``settings``."""
    with open(box.clouds_yaml) as f:
        config = yaml.safe_load(f)
    config['clouds'][cloud]['image_migrate'].update(settings)
    path = tmp_path / ('clouds-%s.yaml' % cloud)
    path.write_text(yaml.safe_dump(config))
    return dict(box.env(), OS_CLIENT_CONFIG_FILE=str(path))


def test_a_location_glance_cannot_use_goes_to_the_stream(box, tmp_path):
    """Refused at run time, the image streams into the same record.

    The plan offers rbd (both clusters answer, the service role), but
    the destination's settings name a pool Glance's Ceph user cannot
    read: Glance's location task fails. (That --data-path rbd then fails
    the row is copying/offload.py's, tested in tests/unit.)
    """
    conf = box.info['clouds']['dst']['ceph']['ceph_conf']
    ceph = ['ceph', '--conf', conf, '--id', 'admin', 'osd', 'pool']
    if 'elsewhere' not in subprocess.run(
            ceph + ['ls'], capture_output=True, text=True,
            check=True).stdout.split():
        # Of size 1, as the sandbox's pools; its first write waits for it.
        subprocess.run(ceph + ['create', 'elsewhere', '8', '8'],
                       capture_output=True, check=True)
    env = with_settings(box, tmp_path, DEST, rbd_pool='elsewhere',
                        ceph_user='admin', ceph_keyring='')
    image = fs.Images(box).make('elsewhere', MiB + 7)

    rows, run = migrate(box, *fs.image_args(image), env=env)
    row = rows[image['id']]
    assert (row['Result'], row['Dest ID']) == ('migrated', image['id']), row
    assert row['Detail'].startswith(
        'stream, not rbd: the destination Glance did not take the location '
        'elsewhere/%s' % image['id']), row
    copy = box.image('dst', image['id'])
    assert (copy['status'], copy['os_hash_value']) == (
        'active', image['os_hash_value'])
    assert [c['id'] for c in fs.copies(box, image['id'])] == [image['id']]
    assert rbd(box, 'dst', 'ls', 'elsewhere', user='admin') == ''


def without_ceph_settings(box, tmp_path, cloud):
    with open(box.clouds_yaml) as f:
        config = yaml.safe_load(f)
    config['clouds'][cloud].pop('image_migrate')
    path = tmp_path / 'clouds.yaml'
    path.write_text(yaml.safe_dump(config))
    return dict(box.env(), OS_CLIENT_CONFIG_FILE=str(path))


def test_the_plan_says_which_images_stream_and_why(box, tmp_path):
    """Without Ceph settings or without the service role: the stream.

    (That a refusal at run time hands the image to the stream in the
    same record is copying/offload.py's, tested in tests/unit.)
    """
    images = fs.Images(box)
    image = images.make('streamed', MiB)
    for dest, env, reason in (
            ('dst', box.env(),
             'destination credential lacks the service role'),
            (DEST, without_ceph_settings(box, tmp_path, DEST),
             'no Ceph settings for cloud %s' % DEST)):
        rows, run = box.migrate_json('plan', '--dest-cloud', dest,
                                     *fs.image_args(image), env=env)
        row = rows[image['id']]
        assert row['Path'] == 'stream'
        assert row['Reason'].endswith('stream, not rbd: ' + reason), row
    rows, run = box.migrate_json('plan', '--dest-cloud', DEST,
                                 *fs.image_args(image))
    assert rows[image['id']]['Path'] == 'rbd'
