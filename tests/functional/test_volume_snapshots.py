# SPDX-License-Identifier: Apache-2.0
"""Volume-backed instance snapshots against a destination with real Cinder.

Nova snapshots a volume-backed instance as a Glance record without data
whose ``block_device_mapping`` names the Cinder snapshots it boots from
(``bdm_v2``, ``root_device_name``): made here through the source Glance's
API the way Nova makes it (an empty upload, so the record is ``active``
with size 0). The destination runs the Cinder API from PyPI
(``GlanceVariant(cinder=True)``, on the ``services_box`` these tests share
with the signed-image and encrypted-image ones), in its catalog as
``block-storage`` and ``volumev3``; its snapshots are rows written into
its database (fixtures/volumes.py), since it has no volume backend. The
plan asks that Cinder for each snapshot, as the admin of the destination's
clouds.yaml.
"""

import json
import re
import uuid

import pytest

from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import signing
from tests.functional.fixtures import volumes

EMPTY = b''


def nova_mapping(root, data):
    """block_device_mapping as Nova writes it: a boot volume, a data one."""
    def disk(snapshot, index, device):
        return {'boot_index': index, 'delete_on_termination': False,
                'destination_type': 'volume', 'device_name': device,
                'device_type': 'disk', 'disk_bus': 'virtio',
                'guest_format': None, 'image_id': None, 'no_device': None,
                'snapshot_id': snapshot, 'source_type': 'snapshot',
                'tag': None, 'volume_id': None, 'volume_size': 1,
                'volume_type': None}
    return json.dumps([disk(root, 0, '/dev/vda'), disk(data, None,
                                                       '/dev/vdb')])


def nova_snapshot(box, root, data):
    """A volume-backed instance snapshot in the source, as Nova makes it."""
    return box.create_image(
        'src', data=EMPTY, name='vm-snapshot-%s' % uuid.uuid4().hex[:6],
        owner=box.project_id('src', 'demo'), visibility='private',
        block_device_mapping=nova_mapping(root, data), bdm_v2='True',
        root_device_name='/dev/vda')


@pytest.fixture(scope='module')
def snapshot_image(services_box):
    box = services_box
    root, data = str(uuid.uuid4()), str(uuid.uuid4())
    image = nova_snapshot(box, root, data)
    assert (image['status'], image['size']) == ('active', 0)
    return {'box': box, 'image': image, 'root': root, 'data': data,
            'project': box.project_id('dst', 'demo')}


def cinder_reads(box, snapshot_id, status):
    """GETs of the snapshot the destination Cinder answered with status."""
    pattern = re.compile(r'GET /v3/\w+/snapshots/%s => .*\(HTTP/1.1 %d\)'
                         % (re.escape(snapshot_id), status))
    return [line for line in signing.log_lines(box, 'dst-cinder', 'GET')
            if pattern.search(line)]


def test_the_catalog_leads_to_cinder(snapshot_image):
    box = snapshot_image['box']
    dst = box.clients('dst')
    for service_type in ('block-storage', 'volumev3'):
        url = dst.session.get_endpoint(service_type=service_type,
                                       interface='public')
        assert url == '%s/v3/%s' % (box.info['clouds']['dst']['cinder'],
                                    dst.session.get_project_id())


def test_missing_snapshots_block_before_anything_is_created(snapshot_image):
    box, image = snapshot_image['box'], snapshot_image['image']
    rows, run = box.migrate_json('plan', '--dest-cloud', 'dst',
                                 '--detailed-exit-code', '--image',
                                 image['id'], check=False)
    assert run.returncode == 4, run.stderr
    row = rows[image['id']]
    assert row['Action'] == 'blocked', row
    assert snapshot_image['root'] in row['Reason']
    assert snapshot_image['data'] in row['Reason']
    assert 'which the destination does not hold' in row['Reason']
    assert cinder_reads(box, snapshot_image['root'], 404)

    rows, run = fs.migrate(box, '--image', image['id'])
    assert run.returncode == 1, run.stderr
    assert rows[image['id']]['Result'] == 'blocked'
    assert fs.copies(box, image['id']) == []


def test_one_snapshot_missing_still_blocks_naming_only_it(snapshot_image):
    box, image = snapshot_image['box'], snapshot_image['image']
    volumes.add_snapshot(box, snapshot_image['project'],
                         snapshot_id=snapshot_image['root'])
    rows, run = box.migrate_json('plan', '--dest-cloud', 'dst',
                                 '--image', image['id'], check=False)
    row = rows[image['id']]
    assert row['Action'] == 'blocked', row
    assert snapshot_image['data'] in row['Reason']
    assert snapshot_image['root'] not in row['Reason']
    assert cinder_reads(box, snapshot_image['root'], 200)
    assert fs.copies(box, image['id']) == []


def test_snapshots_present_migrate_and_reruns_skip(snapshot_image):
    box, image = snapshot_image['box'], snapshot_image['image']
    volumes.add_snapshot(box, snapshot_image['project'],
                         snapshot_id=snapshot_image['data'])
    rows, run = box.migrate_json('plan', '--dest-cloud', 'dst',
                                 '--detailed-exit-code', '--image',
                                 image['id'], check=False)
    assert run.returncode == 3, run.stderr  # work to do, nothing to check
    assert 'Cinder snapshots %s, %s are in the destination' % (
        snapshot_image['root'], snapshot_image['data']) in \
        rows[image['id']]['Reason']

    rows, run = fs.migrate(box, '--image', image['id'])
    assert run.returncode == 0, run.stderr
    row = rows[image['id']]
    assert row['Result'] == 'migrated', row
    copy = box.image('dst', row['Dest ID'])
    assert (copy['status'], copy['size']) == ('active', 0)
    assert copy['owner'] == snapshot_image['project']
    for key in ('block_device_mapping', 'bdm_v2', 'root_device_name'):
        assert copy[key] == image[key], key

    for _ in range(2):
        rows, run = fs.migrate(box, '--image', image['id'])
        assert run.returncode == 0, run.stderr
        assert rows[image['id']]['Result'] == 'skipped', rows
    assert [r['id'] for r in fs.copies(box, image['id'])] == [copy['id']]


def test_without_a_volume_service_the_row_needs_attention(sandbox):
    """The stock destination: no volume service to ask."""
    root, data = str(uuid.uuid4()), str(uuid.uuid4())
    image = nova_snapshot(sandbox, root, data)
    rows, run = sandbox.migrate_json('plan', '--dest-cloud', 'dst',
                                     '--detailed-exit-code', '--image',
                                     image['id'], check=False)
    assert run.returncode == 4, run.stderr
    row = rows[image['id']]
    assert row['Action'] == 'copy', row
    assert root in row['Reason'] and data in row['Reason']
    assert 'no volume service to check' in row['Reason']


def test_reading_a_snapshot_takes_admin_or_its_project(snapshot_image):
    """Cinder's default policy, as the plan meets it (after the above).

    ``volume:get_snapshot`` is ``role:admin or (role:reader and
    project_id:%(project_id)s)``: the destination's admin reads every
    project's snapshots; a member of another project gets 404, which the
    plan would take for a missing snapshot.
    """
    box, root = snapshot_image['box'], snapshot_image['root']
    for cloud, status in (('dst', 200), ('dst-demo', 200),
                          ('dst-alt_demo', 404)):
        session = box.clients(cloud).session
        response = session.get(
            '/snapshots/%s' % root, raise_exc=False,
            endpoint_filter={'service_type': 'block-storage',
                             'interface': 'public'})
        assert response.status_code == status, (cloud, response.text)
