# SPDX-License-Identifier: Apache-2.0
"""``--reuse-identical`` on the sandbox (issue 28): map, do not duplicate.

The destination is seeded, as its own tooling would, with an image of the
same bytes as a public source image under another ID: the plan and the run
map the source image to it and write nothing for it; a source image whose
bytes are in the destination only with other formats is copied.
"""

import json
import os
import uuid

import pytest

from osc_image_migrate.cloud import http
from tests.functional.test_plan import glance_requests

KiB = 1024
WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')


def image_args(*ids):
    return [arg for image_id in ids for arg in ('--image', image_id)]


@pytest.fixture(scope='module')
def scene(sandbox):
    """Two public source images and the destination's own two.

    One holds the same bytes as the first source image; the other the
    bytes of the second, as another container format.
    """
    tag = uuid.uuid4().hex[:8]
    same, other = os.urandom(48 * KiB), os.urandom(40 * KiB)
    ids = {
        'same': sandbox.create_image(name='reuse-same-%s' % tag, data=same,
                                     visibility='public')['id'],
        'other': sandbox.create_image(name='reuse-other-%s' % tag,
                                      data=other, visibility='public')['id'],
        # The destination's own uploads: other IDs, no record of ours.
        'seeded': sandbox.create_image('dst', name='seeded-%s' % tag,
                                       data=same, visibility='public')['id'],
        'near': sandbox.create_image('dst', name='near-%s' % tag, data=other,
                                     container_format='ovf',
                                     visibility='public')['id'],
    }
    return ids


def test_plan_maps_the_identical_image_and_copies_the_other(sandbox, scene):
    run = sandbox.openstack(
        '--debug', 'image', 'migrate', 'plan', '--dest-cloud', 'dst',
        '--reuse-identical', '-f', 'json',
        *image_args(scene['same'], scene['other']))
    rows = {row['Source ID']: row for row in json.loads(run.stdout)}
    # The candidates are in the listings the plan reads anyway: both
    # clouds, both os_hidden values; no request per image, no write.
    requests = glance_requests(run.stderr)
    assert [m for m, _ in requests] == ['GET'] * len(requests)
    assert [p for _, p in requests].count('/v2/images') == 4
    same, other = rows[scene['same']], rows[scene['other']]
    assert (same['Action'], same['Path'], same['Dest ID']) == (
        'reuse', '-', scene['seeded'])
    assert same['Dest Owner'] == sandbox.image('dst',
                                               scene['seeded'])['owner']
    assert same['Reason'].startswith(
        'identical data (size, sha512 hash, formats) in destination image '
        '%s (public, owned by admin): reused, nothing written'
        % scene['seeded'])
    assert (other['Action'], other['Dest ID']) == ('copy', scene['other'])


def test_migrate_writes_nothing_for_the_reused_image(sandbox, scene):
    seeded_before = sandbox.image('dst', scene['seeded'])
    run = sandbox.openstack(
        '--debug', 'image', 'migrate', '--dest-cloud', 'dst',
        '--no-progress', '--reuse-identical', '-f', 'json',
        *image_args(scene['same'], scene['other']))
    rows = {row['Source ID']: row for row in json.loads(run.stdout)}
    same, other = rows[scene['same']], rows[scene['other']]
    assert (same['Result'], same['Dest ID']) == ('reused', scene['seeded'])
    assert same['Detail'].startswith('identical data')
    assert (other['Result'], other['Dest ID']) == ('migrated',
                                                   scene['other'])
    # The only writes are the other image's: one record, its data, its
    # final state.
    writes = [(method, path) for method, path in glance_requests(run.stderr)
              if method in WRITES]
    assert ('POST', '/v2/images') in writes
    assert writes.count(('POST', '/v2/images')) == 1
    assert all(path == '/v2/images' or scene['other'] in path
               for _, path in writes), writes
    assert sandbox.image('dst', scene['seeded']) == seeded_before
    with pytest.raises(http.CloudError) as missing:
        sandbox.clients('dst').image.get('/v2/images/%s' % scene['same'])
    assert missing.value.status == 404
    copied = sandbox.image('dst', scene['other'])
    assert (copied['status'], copied['container_format']) == ('active',
                                                              'bare')


def test_a_rerun_reuses_again(sandbox, scene):
    rows, run = sandbox.migrate_json(
        '--dest-cloud', 'dst', '--no-progress', '--reuse-identical',
        *image_args(scene['same'], scene['other']))
    assert run.returncode == 0 and run.stderr == ''
    assert (rows[scene['same']]['Result'], rows[scene['same']]['Dest ID']) \
        == ('reused', scene['seeded'])
    assert rows[scene['other']]['Result'] == 'skipped'
