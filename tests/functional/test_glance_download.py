# SPDX-License-Identifier: Apache-2.0
"""glance-download between two regions of one Keystone, on real servers.

The clouds: ``variant_sandbox(regions=1)``, one Keystone (the source's)
whose catalog has the source Glance in RegionOne and the destination Glance
in RegionTwo, Keystone itself in RegionOne only (as devstack registers
it); the destination enables glance-download, its URL filter opened for
the sandbox's Glances or left at Glance's default (ports 80 and 443).
"""

import os
import re

from tests.functional.fixtures import sandbox as sandboxes
from tests.functional.fixtures import variants

GLANCE_DOWNLOAD = variants.GlanceVariant(import_methods=('glance-download',),
                                         open_import_filter=True)
# The same with Glance's default URL filter: the download is refused.
FILTERED = variants.GlanceVariant(import_methods=('glance-download',))
KEPT = ('id', 'name', 'disk_format', 'container_format', 'min_disk',
        'min_ram', 'visibility', 'protected', 'os_hidden', 'size',
        'checksum', 'os_hash_algo', 'os_hash_value', 'hw_disk_bus',
        'custom', 'owner')


def data_requests(stderr, image_id):
    """The client's own data requests (file, stage) for one image."""
    return [r for r in sandboxes.data_requests(stderr)
            if image_id in r[2] and not r[2].endswith('/import')]


def downloads(box, image_id):
    """Whole-image downloads the source Glance served, from its log."""
    with open(box.info['logs']['src-glance'], errors='replace') as f:
        return len(re.findall(r'GET /v2/images/%s/file => generated (\d+)'
                              % image_id, f.read()))


def corrupt(box, image_id):
    """Other bytes of the same size in the source's store.

    The source record's hash no longer describes them, as when the record
    changed between the plan and the import.
    """
    path = os.path.join(box.state_dir, 'src', 'glance', 'images', image_id)
    size = os.path.getsize(path)
    with open(path, 'r+b') as f:
        f.write(b'\xff' * min(size, 4096))


def test_region_migration_moves_no_byte_through_the_client(variant_sandbox):
    box = variant_sandbox(regions=1, dst=GLANCE_DOWNLOAD)
    member = sandboxes.ensure_project(box, 'src', 'demo')
    good = box.create_image(data=os.urandom(1 << 20), min_disk=1,
                            visibility='shared', hw_disk_bus='scsi',
                            custom='kept', tags=['t1'])
    box.clients('src').glance.image_members.create(good['id'], member)
    bad = box.create_image(data=os.urandom(1 << 20))
    corrupt(box, bad['id'])

    plan, _ = box.migrate_json('plan', '--dest-cloud', 'dst', good['id'],
                               bad['id'])
    assert [plan[i]['Path'] for i in (good['id'], bad['id'])] == [
        'glance-download'] * 2

    rows, run = box.migrate_json('--dest-cloud', 'dst', good['id'],
                                 bad['id'], '--debug', check=False)
    assert run.returncode == 1, run.stderr[-3000:]
    row = rows[good['id']]
    assert row['Result'] == 'migrated', row
    assert row['Detail'] == 'imported with glance-download from RegionOne'
    # Not one byte of image data through the client: its own requests
    # hold no download or upload; the destination Glance downloaded it.
    assert data_requests(run.stderr, good['id']) == []
    assert downloads(box, good['id']) == 1
    copy = box.image('dst', good['id'])
    assert {k: copy.get(k) for k in KEPT} == {k: good.get(k) for k in KEPT}
    assert copy['status'] == 'active' and copy['tags'] == ['t1']
    assert [m['member_id'] for m in box.clients('dst').glance.image_members
            .list(good['id'])] == [member]

    # Other bytes than the source record's: caught, never left active.
    failed = rows[bad['id']]
    assert failed['Result'] == 'failed', failed
    assert re.search(r'sha512 [0-9a-f]{12}\.\.\. vs [0-9a-f]{12}\.\.\.',
                     failed['Detail']), failed
    assert 'deactivated destination image %s' % bad['id'] in (
        failed['Detail'])
    assert box.image('dst', bad['id'])['status'] == 'deactivated'
    assert data_requests(run.stderr, bad['id']) == []

    again, _ = box.migrate_json('--dest-cloud', 'dst', good['id'])
    assert again[good['id']]['Result'] == 'skipped'


def test_a_refused_download_streams_into_the_same_record(variant_sandbox):
    box = variant_sandbox(regions=1, dst=FILTERED)
    data = os.urandom(1 << 20)
    image = box.create_image(data=data)
    rows, run = box.migrate_json('--dest-cloud', 'dst', image['id'],
                                 '--debug')
    row = rows[image['id']]
    assert row['Result'] == 'migrated', row
    assert row['Detail'].startswith(
        'stream, not glance-download: the destination\'s glance-download '
        'failed and left the record queued'), row
    assert [r[0] for r in data_requests(run.stderr, image['id'])] == [
        'GET', 'PUT']
    assert box.image('dst', image['id'])['os_hash_value'] == (
        image['os_hash_value'])
    assert box.image_data('dst', image['id']) == data
