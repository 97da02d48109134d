# SPDX-License-Identifier: Apache-2.0
"""``migrate --dry-run`` shows what the same command would do, and no more.

With ``--plan-file`` and ``--shard``, the rows are those of that shard of
the re-checked plan file: the images to copy, those changed since the plan
(blocked) and those gone from the source. Nothing is written; the same
command without ``--dry-run`` then carries out exactly those rows.
"""

import json
import os
import uuid

from osc_image_migrate.planning import sharding
from tests.functional.fixtures import faults as fs
from tests.functional.test_plan import ensure_project

KiB = 1024
SHARDS = 3


def make_images(sandbox, owner):
    """A kernel + ramdisk + server triple and twelve plain images."""
    kernel = sandbox.create_image(
        data=os.urandom(16 * KiB), owner=owner, disk_format='aki',
        container_format='aki')['id']
    ramdisk = sandbox.create_image(
        data=os.urandom(16 * KiB), owner=owner, disk_format='ari',
        container_format='ari')['id']
    server = sandbox.create_image(
        data=os.urandom(64 * KiB), owner=owner, kernel_id=kernel,
        ramdisk_id=ramdisk)['id']
    plain = [sandbox.create_image(data=os.urandom((n + 1) * 8 * KiB),
                                  owner=owner)['id'] for n in range(12)]
    return [kernel, ramdisk, server], plain


def dst_image_ids(sandbox):
    return {image['id'] for image in sandbox.clients('dst').glance.images
            .list(filters={'visibility': 'all'})}


def test_dry_run_of_a_plan_file_shard(sandbox, tmp_path):
    name = 'dry-run-%s' % uuid.uuid4().hex[:8]
    owner = ensure_project(sandbox, 'src', name)
    dest_owner = ensure_project(sandbox, 'dst', name)
    triple, plain = make_images(sandbox, owner)
    ids = triple + plain
    planned, _ = sandbox.migrate_json(
        'plan', '--dest-cloud', 'dst', '--project', name,
        '--no-public-and-shared', '--shards', str(SHARDS))
    assert set(planned) == set(ids)
    assert {row['Action'] for row in planned.values()} == {'copy'}
    plan_file = tmp_path / 'plan.json'
    plan_file.write_text(json.dumps(list(planned.values())))
    shard_of = {i: row['Shard'] for i, row in planned.items()}
    # migrate computes the same split from the plan file alone.
    source_images = {i: sandbox.image('src', i) for i in ids}
    assert sharding.saved_plan_shards(
        planned, source_images, SHARDS) == shard_of
    mine = {i for i in ids if shard_of[i] == 0}
    mine_plain = [i for i in plain if i in mine]
    assert len(mine_plain) >= 2, shard_of
    assert mine != set(ids)

    # Since the plan: one of shard 0's images is deleted from the source,
    # another one's ID is taken in the destination by other data.
    gone, taken = mine_plain[:2]
    sandbox.clients('src').glance.images.delete(gone)
    sandbox.create_image('dst', data=os.urandom(KiB), id=taken,
                         owner=dest_owner)

    before = fs.snapshot(sandbox, only=set(ids))
    dst_before = dst_image_ids(sandbox)
    command = ('--dest-cloud', 'dst', '--no-progress', '--plan-file',
               str(plan_file), '--shard', '0/%d' % SHARDS)
    rows, run = sandbox.migrate_json(*command, '--dry-run')
    assert run.returncode == 0, run.stderr
    assert fs.snapshot(sandbox, only=set(ids)) == before, 'the dry run wrote'
    assert dst_image_ids(sandbox) == dst_before

    # Exactly shard 0's rows, as the plan showed them, but for the changes.
    assert set(rows) == mine
    assert len(rows) < len(ids)
    assert rows[gone]['Action'] == 'blocked'
    assert rows[gone]['Reason'] == 'source image no longer exists'
    assert rows[taken]['Action'] == 'blocked'
    assert rows[taken]['Reason'].startswith('changed since the plan: ')
    for image_id in mine - {gone, taken}:
        assert rows[image_id]['Action'] == 'copy'
        for column in ('Name', 'Owner', 'Size', 'Dest ID', 'Dest Owner'):
            assert rows[image_id][column] == planned[image_id][column]

    # The same command without --dry-run does what the dry run showed.
    results, run = sandbox.migrate_json(*command, check=False)
    assert run.returncode == 1, run.stderr  # an image of the plan is gone
    assert set(results) == mine
    done = {'copy': 'migrated', 'blocked': 'blocked'}
    assert {i: r['Result'] for i, r in results.items() if i != gone} == {
        i: done[row['Action']] for i, row in rows.items() if i != gone}
    assert results[gone]['Result'] == 'failed'
    assert dst_image_ids(sandbox) - dst_before == mine - {gone, taken}
