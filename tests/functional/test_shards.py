# SPDX-License-Identifier: Apache-2.0
"""One reviewed plan run as three shards at once, one of them killed.

The split is computed by each process from the plan file alone, so the
shards never copy the same image; together their rows are the plan's rows;
a shard killed mid-run is run again on its own and finishes.
"""

import collections
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import uuid

from tests.functional.fixtures import sandbox as sandboxes
from tests.functional.fixtures.sandbox import ensure_project

KiB = 1024
SHARDS = 3
# uWSGI's request log line (``[pid: ...] ... PUT /v2/images/<id>/file =>
# generated ...``), one per upload request; not the ``Broken pipe ...
# during PUT ...`` line it adds when the client is gone before the answer.
UPLOAD = re.compile(r'\] PUT /v2/images/([0-9a-f-]+)/file ')


def shard_command(sandbox, plan_file, index, *extra):
    return [str(pathlib.Path(sys.executable).parent / 'openstack'),
            '--os-cloud', 'src', 'image', 'migrate', '--dest-cloud', 'dst',
            '--no-progress', '--plan-file', str(plan_file),
            '--shard', '%d/%d' % (index, SHARDS), '-f', 'json', *extra]


def run_shards(sandbox, plan_file, indexes):
    """Run these shards side by side; their rows by shard index."""
    processes = {i: subprocess.Popen(
        shard_command(sandbox, plan_file, i), env=sandbox.env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in indexes}
    rows = {}
    for index, process in processes.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        rows[index] = json.loads(out)
    return rows


def uploads(log, start):
    with open(log) as f:
        f.seek(start)
        return collections.Counter(UPLOAD.findall(f.read()))


def make_images(sandbox, owner):
    """30 images: 5 kernel + ramdisk + server triples and 15 plain ones."""
    ids = []
    for n in range(5):
        kernel = sandbox.create_image(
            data=os.urandom(64 * KiB), owner=owner, disk_format='aki',
            container_format='aki')['id']
        ramdisk = sandbox.create_image(
            data=os.urandom(64 * KiB), owner=owner, disk_format='ari',
            container_format='ari')['id']
        server = sandbox.create_image(
            data=os.urandom(256 * KiB), owner=owner, kernel_id=kernel,
            ramdisk_id=ramdisk)['id']
        ids += [kernel, ramdisk, server]
    ids += [sandbox.create_image(data=os.urandom((n + 1) * 64 * KiB),
                                 owner=owner)['id'] for n in range(15)]
    return ids


def test_three_shards_one_killed_and_run_again(sandbox, tmp_path):
    name = 'shards-%s' % uuid.uuid4().hex[:8]
    owner = ensure_project(sandbox, 'src', name)
    ensure_project(sandbox, 'dst', name)
    ids = make_images(sandbox, owner)
    plan = sandbox.openstack('image', 'migrate', 'plan', '--dest-cloud',
                             'dst', '--project', name,
                             '--no-public-and-shared', '--shards',
                             str(SHARDS), '-f', 'json').stdout
    plan_file = tmp_path / 'plan.json'
    plan_file.write_text(plan)
    planned = {row['Source ID']: row for row in json.loads(plan)}
    assert set(planned) == set(ids)
    shard_of = {i: row['Shard'] for i, row in planned.items()}
    images = json.loads(plan)
    for row in images:
        image = sandbox.image('src', row['Source ID'])
        for key in ('kernel_id', 'ramdisk_id'):
            if image.get(key):
                assert shard_of[image[key]] == row['Shard']
    assert set(shard_of.values()) == set(range(SHARDS))

    log = sandboxes.state_dir() / 'logs' / 'dst-glance.log'
    start = log.stat().st_size
    # Shard 0 crawls (--limit-rate) and is killed once it has begun.
    slow = subprocess.Popen(
        shard_command(sandbox, plan_file, 0, '--limit-rate', '64K'),
        env=sandbox.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rows = run_shards(sandbox, plan_file, [1, 2])
    dst = sandbox.clients('dst').glance
    deadline = time.monotonic() + 120
    mine = [i for i in ids if shard_of[i] == 0]
    while time.monotonic() < deadline and not any(
            dst.images.get(i)['status'] == 'active' for i in mine
            if _exists(dst, i)):
        time.sleep(0.2)
    slow.send_signal(signal.SIGKILL)
    slow.communicate()
    assert any(_exists(dst, i) for i in mine)
    # Glance puts a cut upload's record back to queued, not always at once.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
            dst.images.get(i)['status'] == 'saving' for i in mine
            if _exists(dst, i)):
        time.sleep(0.2)
    rows.update(run_shards(sandbox, plan_file, [0]))

    # Each shard printed exactly its rows; together, the plan's rows.
    for index, shard_rows in rows.items():
        assert {r['Source ID'] for r in shard_rows} == {
            i for i in ids if shard_of[i] == index}
        # The killed shard may have left a copy whose final state its
        # second run applied ('finished').
        done = {'migrated', 'skipped', 'finished'} if index == 0 else {
            'migrated'}
        assert {r['Result'] for r in shard_rows} <= done
    assert sorted(r['Source ID'] for rs in rows.values() for r in rs) == (
        sorted(ids))
    # One copy of each image, under its own ID, holding the source's data.
    counted = uploads(log, start)
    for image_id in ids:
        assert dst.images.get(image_id)['status'] == 'active'
        assert sandbox.image_data('dst', image_id) == sandbox.image_data(
            'src', image_id)
        # Shards 1 and 2 uploaded each of theirs once; the killed shard
        # may have cut one upload short, resumed by its second run.
        assert counted[image_id] == 1 or (
            shard_of[image_id] == 0 and counted[image_id] == 2), image_id

    # Every shard again: nothing left to do, nothing uploaded.
    again_start = log.stat().st_size
    again = run_shards(sandbox, plan_file, range(SHARDS))
    assert {r['Result'] for rs in again.values() for r in rs} == {'skipped'}
    assert not uploads(log, again_start)


def _exists(dst, image_id):
    try:
        dst.images.get(image_id)
    except Exception:  # noqa: not there yet
        return False
    return True
