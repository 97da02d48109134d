# SPDX-License-Identifier: Apache-2.0
"""Sandbox destinations whose Glance differs, proven on the real servers.

Each test asks ``variant_sandbox`` for the clouds it needs; the sandbox
writes the variant into the destination Glance's configuration.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess

from osc_image_migrate.cloud import http
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures.variants import GlanceVariant

MiB = 1024 * 1024
TWO_STORES = GlanceVariant(stores=('fast', 'slow'))
NO_DIRECT_UPLOAD = GlanceVariant(policy={'upload_image': '!'})
CONVERTS_TO_RAW = GlanceVariant(
    import_plugins=('image_conversion',),
    conf={'image_conversion': {'output_format': 'raw'}})
OCTETS = {'Content-Type': 'application/octet-stream'}
LOST_ANSWER_ATTEMPTS = 5


def upload(box, image_id, data, store=None):
    """PUT the image data; returns the HTTP status.

    A refusal Glance sends before reading the body can still be lost in a
    TCP reset behind HAProxy (the client's unsent body meets the closed
    connection); the record is then still ``queued``, and the PUT is sent
    again, a few times at most.
    """
    headers = dict(OCTETS)
    if store:
        headers['X-Image-Meta-Store'] = store
    for attempt in range(LOST_ANSWER_ATTEMPTS):
        try:
            return box.clients('dst').image.put(
                '/v2/images/%s/file' % image_id, data=data, headers=headers,
                raise_exc=False).status_code
        except http.CloudError as e:
            if e.status is not None or attempt + 1 == LOST_ANSWER_ATTEMPTS \
                    or box.image('dst', image_id)['status'] != 'queued':
                raise


def stage_and_import(box, image_id, data):
    """Interoperable import with glance-direct; returns the final record."""
    dst = box.clients('dst').image
    response = dst.put('/v2/images/%s/stage' % image_id, data=data,
                       headers=OCTETS, raise_exc=False)
    assert response.status_code == 204, response.status_code
    response = dst.post('/v2/images/%s/import' % image_id,
                        json={'method': {'name': 'glance-direct'}},
                        raise_exc=False)
    assert response.status_code == 202, response.status_code
    assert fs.wait_for(lambda: fs.dest_status(box, image_id) in (
        'active', 'queued'), timeout=60)
    return box.image('dst', image_id)


def server_pids(box):
    return {s: st['pid'] for s, st in box.tool.status(box.state_dir).items()}


def test_destination_with_two_stores(variant_sandbox):
    box = variant_sandbox(dst=TWO_STORES)
    stores = box.clients('dst').image.get('/v2/info/stores').json()['stores']
    assert sorted(s['id'] for s in stores) == ['fast', 'slow']
    assert [s['id'] for s in stores if s.get('default')] == ['fast']
    source = box.clients('src').image.get('/v2/info/stores').json()
    assert [s['id'] for s in source['stores']] == ['fs']

    data = os.urandom(MiB + 5)
    to_slow = box.create_image('dst')
    assert upload(box, to_slow['id'], data, store='slow') == 204
    to_default = box.create_image('dst')
    assert upload(box, to_default['id'], data) == 204
    assert box.image('dst', to_slow['id'])['stores'] == 'slow'
    assert box.image('dst', to_default['id'])['stores'] == 'fast'
    glance_dir = pathlib.Path(box.state_dir, 'dst', 'glance')
    assert (glance_dir / 'images-slow' / to_slow['id']).read_bytes() == data
    assert (glance_dir / 'images-fast' / to_default['id']).exists()
    assert box.image_data('dst', to_slow['id']) == data


def test_variant_is_kept_by_a_plain_up(variant_sandbox):
    box = variant_sandbox(dst=TWO_STORES)
    before = server_pids(box)
    info = box.tool.up(state_dir=box.state_dir, quiet=True)
    assert info['clouds']['dst']['glance_variant'] == TWO_STORES
    assert info['clouds']['src']['glance_variant'] == GlanceVariant()
    assert server_pids(box) == before


def test_changed_variant_restarts_only_that_glance(variant_sandbox):
    before = server_pids(variant_sandbox(dst=TWO_STORES))
    box = variant_sandbox(dst=NO_DIRECT_UPLOAD)
    after = server_pids(box)
    assert after['dst-glance'] != before['dst-glance']
    del before['dst-glance'], after['dst-glance']
    assert after == before
    stores = box.clients('dst').image.get('/v2/info/stores').json()['stores']
    assert [s['id'] for s in stores] == ['fs']


def test_destination_that_forbids_direct_upload(variant_sandbox):
    box = variant_sandbox(dst=NO_DIRECT_UPLOAD)
    methods = box.clients('dst').image.get('/v2/info/import').json()
    assert 'glance-direct' in methods['import-methods']['value']
    data = os.urandom(MiB + 5)
    image = box.create_image('dst')
    assert upload(box, image['id'], data) == 403
    assert box.image('dst', image['id'])['status'] == 'queued'

    imported = stage_and_import(box, image['id'], data)
    assert imported['status'] == 'active'
    assert imported['os_hash_value'] == hashlib.sha512(data).hexdigest()
    # The source keeps Glance's default policy.
    assert box.create_image('src', data=b'direct')['status'] == 'active'


def test_destination_that_converts_imports_to_raw(variant_sandbox, tmp_path):
    assert shutil.which('qemu-img'), 'qemu-img missing: install qemu-utils'
    box = variant_sandbox(dst=CONVERTS_TO_RAW)
    qcow2 = tmp_path / 'disk.qcow2'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', str(qcow2),
                    '32M'], check=True)
    data = qcow2.read_bytes()
    image = box.create_image('dst', disk_format='qcow2')

    imported = stage_and_import(box, image['id'], data)
    assert imported['status'] == 'active', imported.get(
        'os_glance_failed_import')
    assert imported['disk_format'] == 'raw'
    assert imported['size'] == 32 * MiB
    assert box.image_data('dst', image['id']) == bytes(32 * MiB)


def test_destination_with_unified_limits(variant_sandbox):
    box = variant_sandbox(dst=GlanceVariant(
        unified_limits={'image_count_total': 1000}))
    alt = box.clients('dst-alt_demo').image
    usage = alt.get('/v2/info/usage').json()['usage']
    count = usage['image_count_total']['usage']
    size = usage['image_size_total']['usage']  # whole MiB
    box = variant_sandbox(dst=GlanceVariant(
        unified_limits={'image_count_total': 1000},
        project_limits={'alt_demo': {'image_count_total': count + 1,
                                     'image_size_total': size + 1}}))
    usage = alt.get('/v2/info/usage').json()['usage']
    assert usage['image_count_total'] == {'usage': count,
                                          'limit': count + 1}
    assert usage['image_size_total']['limit'] == size + 1
    assert usage['image_count_uploading']['limit'] == -1  # not named

    def create(client):
        return client.post('/v2/images', json={
            'name': 'limited', 'disk_format': 'raw',
            'container_format': 'bare'}, raise_exc=False)

    image = create(alt).json()
    # 2 MiB announced, 1 MiB left: refused before the data is read (a
    # short body, so the refusal cannot cut it off mid-send).
    response = alt.put('/v2/images/%s/file' % image['id'],
                       data=iter([b'x' * 1024]), raise_exc=False,
                       headers=dict(OCTETS, **{
                           'x-openstack-image-size': str(2 * MiB)}))
    assert response.status_code == 413
    assert 'image_size_total is over limit of %d' % (size + 1) in \
        response.text
    assert box.image('dst', image['id'])['status'] == 'queued'
    response = create(alt)
    assert response.status_code == 413
    assert 'image_count_total is over limit of %d' % (count + 1) in \
        response.text
    # Glance checks the quota of the project making the request: the
    # admin (another project) still creates an image alt_demo owns.
    owner = box.project_id('dst', 'alt_demo')
    response = box.clients('dst').image.post('/v2/images', json={
        'name': 'over', 'disk_format': 'raw', 'container_format': 'bare',
        'owner': owner}, raise_exc=False)
    assert response.status_code == 201
    assert alt.get('/v2/info/usage').json()['usage'][
        'image_count_total']['usage'] == count + 2
