# SPDX-License-Identifier: Apache-2.0
"""Faults on the way, on real servers: nothing lost, nothing bad active.

Every test runs the real CLI, damages something between or around the two
clouds, then inspects both clouds. For each fault: the run reports it in
the row of the image it hit, later images still proceed, and a re-run
finishes the job with no duplicate, no burned ID and no bad data active.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate import model
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import proxy

MiB = fs.MiB


def openstack_command(*args, cloud='src'):
    binary = os.path.join(os.path.dirname(sys.executable), 'openstack')
    return [binary, '--os-cloud', cloud] + list(args)


@pytest.mark.parametrize('side', ['source', 'destination'])
def test_connection_cut_mid_stream_is_retried(sandbox, tmp_path, side):
    images = fs.Images(sandbox)
    big = images.make('a-big', 8 * MiB)
    small = images.make('b-small', MiB)
    if side == 'source':
        # A source that cannot serve the rest (Range): test_resume.py has
        # those that can, which are resumed instead of retried.
        cutter = proxy.FaultProxy(fs.glance_port(sandbox, 'src'), mode='cut',
                                  after_bytes=3 * MiB, max_faults=1,
                                  refuse_ranged=True)
        env = fs.bent_env(sandbox, tmp_path, src=cutter.url)
    else:
        cutter = proxy.FaultProxy(fs.glance_port(sandbox, 'dst'), mode='cut',
                                  after_bytes=3 * MiB, max_faults=1,
                                  direction='request')
        env = fs.bent_env(sandbox, tmp_path, dst=cutter.url)
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1',
                               *fs.image_args(big, small), env=env)
    finally:
        cutter.close()
    assert cutter.faults == 1
    assert run.returncode == 0, run.stderr
    assert 'broke off' in run.stderr and 'retrying' in run.stderr
    for image in (big, small):
        row = rows[image['id']]
        assert (row['Result'], row['Dest ID']) == ('migrated', image['id'])
        fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


@pytest.mark.parametrize('side', ['source', 'destination'])
def test_connection_cut_on_every_attempt_then_rerun(sandbox, tmp_path,
                                                    side):
    images = fs.Images(sandbox)
    big = images.make('a-big', 8 * MiB)
    small = images.make('b-small', MiB)
    if side == 'source':
        cutter = proxy.FaultProxy(fs.glance_port(sandbox, 'src'), mode='cut',
                                  after_bytes=3 * MiB, refuse_ranged=True)
        env = fs.bent_env(sandbox, tmp_path, src=cutter.url)
        detail = 'source download broke off after'
    else:
        cutter = proxy.FaultProxy(fs.glance_port(sandbox, 'dst'), mode='cut',
                                  after_bytes=3 * MiB, direction='request')
        env = fs.bent_env(sandbox, tmp_path, dst=cutter.url)
        detail = 'destination upload broke off after'
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1', '--retries', '1',
                               *fs.image_args(big, small), env=env)
    finally:
        cutter.close()
    assert cutter.faults == 2  # the first attempt and its one retry
    assert run.returncode == 1
    assert rows[big['id']]['Result'] == 'failed'
    assert detail in rows[big['id']]['Detail']
    # The image after the failed one was still copied.
    assert rows[small['id']]['Result'] == 'migrated'
    # The cut upload left the record queued: never active, never deleted.
    assert fs.wait_for(lambda: fs.dest_status(sandbox, big['id']) ==
                       'queued', timeout=10)

    rows, run = fs.migrate(sandbox, *fs.image_args(big, small))
    assert run.returncode == 0, run.stderr
    assert (rows[big['id']]['Result'], rows[big['id']]['Dest ID']) == (
        'migrated', big['id'])
    assert rows[small['id']]['Result'] == 'skipped'
    for image in (big, small):
        fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


def test_byte_flipped_on_the_way_in_is_never_left_active(sandbox, tmp_path):
    """Corruption after our hash check: Glance activates what it got.

    No Glance API lets a client veto activation, so the tool compares the
    records afterwards and deactivates a copy with other data; the re-run
    copies the image again, to a new ID.
    """
    images = fs.Images(sandbox)
    big = images.make('a-big', 8 * MiB)
    small = images.make('b-small', MiB)
    flipper = proxy.FaultProxy(fs.glance_port(sandbox, 'dst'), mode='flip',
                               after_bytes=3 * MiB + 1000,
                               direction='request')
    env = fs.bent_env(sandbox, tmp_path, dst=flipper.url)
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1',
                               *fs.image_args(big, small), env=env)
    finally:
        flipper.close()
    assert flipper.faults == 1
    assert run.returncode == 1
    row = rows[big['id']]
    assert row['Result'] == 'failed'
    assert 'differs from the source' in row['Detail']
    assert 'deactivated destination image %s' % big['id'] in row['Detail']
    assert rows[small['id']]['Result'] == 'migrated'
    bad = sandbox.image('dst', big['id'])
    assert bad['status'] == 'deactivated'
    assert bad['os_hash_value'] != big['os_hash_value']
    assert bad['visibility'] == 'private'  # final state never applied

    rows, run = fs.migrate(sandbox, *fs.image_args(big, small))
    assert run.returncode == 0, run.stderr
    row = rows[big['id']]
    assert row['Result'] == 'migrated' and row['Dest ID'] != big['id']
    good = fs.assert_one_good_copy(sandbox, big, images.data[big['id']])
    assert good['id'] == row['Dest ID']
    assert good[model.SOURCE_ID_PROPERTY] == big['id']
    assert sandbox.image('dst', big['id'])['status'] == 'deactivated'
    rows, run = fs.migrate(sandbox, *fs.image_args(big, small))
    assert {r['Result'] for r in rows.values()} == {'skipped'}


def _start(args, env):
    return subprocess.Popen(openstack_command(*args), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_sigkill_mid_stream_then_rerun_finishes_everything(sandbox,
                                                           tmp_path):
    images = fs.Images(sandbox)
    big = images.make('a-big', 32 * MiB)
    later = [images.make('b-later', MiB), images.make('c-later', 2 * MiB)]
    slow = proxy.FaultProxy(fs.glance_port(sandbox, 'src'), mode=None,
                            rate=8 * MiB)
    env = fs.bent_env(sandbox, tmp_path, src=slow.url)
    args = ['image', 'migrate', '--dest-cloud', 'dst', '--no-progress',
            '--parallel', '1'] + fs.image_args(big, *later)
    process = _start(args, env)
    try:
        assert fs.wait_for(lambda: fs.dest_status(sandbox, big['id']) ==
                           'saving', timeout=60)
        time.sleep(0.5)
        process.send_signal(signal.SIGKILL)
        process.communicate()
    finally:
        slow.close()
    # Glance puts the record back: never active with part of the data.
    assert fs.wait_for(lambda: fs.dest_status(sandbox, big['id']) ==
                       'queued', timeout=10)
    for image in later:
        assert fs.copies(sandbox, image['id']) == []

    rows, run = fs.migrate(sandbox, *fs.image_args(big, *later))
    assert run.returncode == 0, run.stderr
    for image in [big] + later:
        row = rows[image['id']]
        assert (row['Result'], row['Dest ID']) == ('migrated', image['id'])
        fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


@pytest.mark.parametrize('stop_signal, status', [
    (signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=['ctrl-c', 'sigterm'])
def test_ctrl_c_stops_promptly_and_a_rerun_completes(sandbox, tmp_path,
                                                     stop_signal, status):
    # SIGTERM (Kubernetes stopping a Job's pod, Ansible's task timeout) is
    # taken as Ctrl-C is, and exits as a shell reports it (143).
    images = fs.Images(sandbox)
    # The first image passes whole; the second is paused after its first
    # MiB, so Ctrl-C comes while it is surely mid-copy, however busy the
    # machine; at 256 KiB/s its other 2 MiB cannot arrive before the run
    # has seen Ctrl-C.
    made = [images.make('a-int', MiB // 2)] + [
        images.make('%s-int' % letter, 3 * MiB) for letter in 'bcd']
    slow = proxy.FaultProxy(fs.glance_port(sandbox, 'src'), mode='pause',
                            after_bytes=MiB, max_faults=1, rate=MiB // 4)
    env = fs.bent_env(sandbox, tmp_path, src=slow.url)
    args = ['image', 'migrate', '--dest-cloud', 'dst', '--no-progress',
            '--parallel', '1', '-f', 'json'] + fs.image_args(*made)
    process = _start(args, env)
    try:
        assert slow.paused.wait(120)
        assert fs.wait_for(lambda: fs.dest_status(sandbox, made[1]['id']) ==
                           'saving', timeout=60)
        interrupted = time.monotonic()
        process.send_signal(stop_signal)
        slow.resume()
        out, err = process.communicate(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        slow.close()
    assert process.returncode == status, err
    assert took < 5, took
    assert 'Traceback' not in err
    rows = {row['Source ID']: row for row in json.loads(out)}
    assert rows[made[0]['id']]['Result'] == 'migrated'
    assert (rows[made[1]['id']]['Result'],
            rows[made[1]['id']]['Detail']) == ('failed', 'interrupted')
    for image in made[2:]:
        assert rows[image['id']]['Result'] == 'failed'
        assert 'not started' in rows[image['id']]['Detail']
        assert fs.copies(sandbox, image['id']) == []
    assert fs.wait_for(lambda: fs.dest_status(sandbox, made[1]['id']) ==
                       'queued', timeout=10)

    rows, run = fs.migrate(sandbox, *fs.image_args(*made))
    assert run.returncode == 0, run.stderr
    assert rows[made[0]['id']]['Result'] == 'skipped'
    for image in made:
        assert rows[image['id']]['Dest ID'] == image['id']
        fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


def test_burned_id_with_keep_ids_fails_that_image_only(sandbox):
    images = fs.Images(sandbox)
    burned = images.make('a-burned', MiB)
    taken = images.make('b-taken', MiB)
    fine = images.make('c-fine', MiB)
    dst = sandbox.clients('dst').glance
    sandbox.create_image('dst', id=burned['id'], name='burn-%s' % images.tag)
    dst.images.delete(burned['id'])
    sandbox.create_image('dst', id=taken['id'], data=os.urandom(1000),
                         name='other-%s' % images.tag)
    args = ['--keep-ids'] + fs.image_args(burned, taken, fine)

    plan = json.loads(sandbox.openstack(
        'image', 'migrate', 'plan', '--dest-cloud', 'dst', '-f', 'json',
        *args).stdout)
    plan = {row['Source ID']: row for row in plan}
    # Glance answers 404 for a deleted ID: only creating the record tells.
    assert plan[burned['id']]['Action'] == 'copy'
    assert plan[taken['id']]['Action'] == 'blocked'
    assert '--keep-ids forbids a new ID' in plan[taken['id']]['Reason']

    rows, run = fs.migrate(sandbox, *args)
    assert run.returncode == 1
    assert rows[burned['id']]['Result'] == 'failed'
    assert rows[burned['id']]['Detail'] == (
        'ID %s is taken in the destination (--keep-ids)' % burned['id'])
    assert rows[taken['id']]['Result'] == 'blocked'
    assert rows[fine['id']]['Result'] == 'migrated'
    assert fs.copies(sandbox, burned['id']) == []

    # Without --keep-ids both get new IDs that record the source ID, once.
    rows, run = fs.migrate(sandbox, *fs.image_args(burned, taken, fine))
    assert run.returncode == 0, run.stderr
    for image in (burned, taken):
        assert rows[image['id']]['Result'] == 'migrated'
        assert rows[image['id']]['Dest ID'] != image['id']
        fs.assert_one_good_copy(sandbox, image, images.data[image['id']],
                                ignore=[taken['id']])
    rows, run = fs.migrate(sandbox, *fs.image_args(burned, taken, fine))
    assert {r['Result'] for r in rows.values()} == {'skipped'}


def test_destination_credential_without_admin(sandbox):
    """What needs admin is blocked in the plan, before anything is written."""
    images = fs.Images(sandbox)
    own = images.make('a-own', MiB)
    foreign = images.make('b-foreign', MiB,
                          owner=sandbox.project_id('src', 'alt_demo'))
    public = images.make('c-public', MiB, visibility='public')
    args = fs.image_args(own, foreign, public)

    def plan(*more):
        rows = json.loads(sandbox.openstack(
            'image', 'migrate', 'plan', '--dest-cloud', 'dst-demo', '-f',
            'json', *args, *more).stdout)
        return {row['Source ID']: row for row in rows}

    rows = plan()
    assert rows[own['id']]['Action'] == 'copy'
    assert (rows[public['id']]['Action'], rows[public['id']]['Reason']) == (
        'blocked', 'needs admin on the destination to make an image public')
    # A member cannot list the destination's projects, so it cannot map
    # alt_demo by name; mapped by ID, the owner needs admin rights.
    assert rows[foreign['id']]['Action'] == 'blocked'
    assert 'may not list projects' in rows[foreign['id']]['Reason']
    alt = sandbox.project_id('dst', 'alt_demo')
    args += ['--map-project', 'alt_demo=%s' % alt]
    rows = plan()
    assert (rows[foreign['id']]['Action'], rows[foreign['id']]['Reason']) \
        == ('blocked', 'needs admin on the destination to create images '
            'owned by %s' % alt)

    rows, run = fs.migrate(sandbox, *args, dest='dst-demo')
    assert run.returncode == 1
    assert rows[own['id']]['Result'] == 'migrated'
    assert sandbox.image('dst', own['id'])['owner'] == \
        sandbox.project_id('dst', 'demo')
    for image in (foreign, public):
        assert rows[image['id']]['Result'] == 'blocked'
        assert rows[image['id']]['Detail'].startswith('needs admin')
        assert fs.copies(sandbox, image['id']) == []


def test_source_changed_between_plan_and_run(sandbox, tmp_path):
    images = fs.Images(sandbox)
    keep = images.make('a-keep', MiB)
    gone = images.make('b-gone', MiB)
    off = images.make('c-off', MiB)
    off_demo = images.make('d-off-demo', MiB)
    src = sandbox.clients('src').glance
    plans = {}
    for cloud, chosen in (('src', (keep, gone, off)),
                          ('src-demo', (off_demo,))):
        plans[cloud] = tmp_path / ('plan-%s.json' % cloud)
        plans[cloud].write_text(sandbox.openstack(
            'image', 'migrate', 'plan', '--dest-cloud', 'dst', '-f', 'json',
            *fs.image_args(*chosen), cloud=cloud).stdout)
    src.images.delete(gone['id'])
    src.images.deactivate(off['id'])
    src.images.deactivate(off_demo['id'])

    rows, run = fs.migrate(sandbox, '--plan-file', str(plans['src']))
    assert run.returncode == 1
    assert rows[keep['id']]['Result'] == 'migrated'
    assert rows[gone['id']]['Result'] == 'failed'
    assert rows[gone['id']]['Detail'] == 'source image no longer exists'
    assert fs.copies(sandbox, gone['id']) == []
    # An admin source can still read a deactivated image: it is copied,
    # and so is its deactivation.
    assert rows[off['id']]['Result'] == 'migrated'
    assert sandbox.image('dst', off['id'])['status'] == 'deactivated'

    rows, run = fs.migrate(sandbox, '--plan-file', str(plans['src-demo']),
                           cloud='src-demo')
    assert run.returncode == 1
    assert rows[off_demo['id']]['Result'] == 'blocked'
    assert 'only an admin can download' in rows[off_demo['id']]['Detail']
    with pytest.raises(http.CloudError) as missing:
        sandbox.image('dst', off_demo['id'])
    assert missing.value.status == 404


def test_ctrl_c_with_a_stalled_source_still_exits(sandbox, tmp_path):
    """A copy blocked on a silent peer is left behind after a grace."""
    images = fs.Images(sandbox)
    stuck = images.make('a-stuck', 8 * MiB)
    later = images.make('b-later', MiB)
    staller = proxy.FaultProxy(fs.glance_port(sandbox, 'src'),
                               mode='stall', after_bytes=2 * MiB)
    env = fs.bent_env(sandbox, tmp_path, src=staller.url)
    args = ['image', 'migrate', '--dest-cloud', 'dst', '--no-progress',
            '--parallel', '1', '-f', 'json'] + fs.image_args(stuck, later)
    process = _start(args, env)
    try:
        assert fs.wait_for(lambda: staller.faults == 1, timeout=60)
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        took = time.monotonic() - interrupted
    finally:
        staller.close()
    assert process.returncode == 130, err
    # The stuck copy is given execution.STOP_GRACE (5 s) to abort.
    assert took < 10, took
    rows = {row['Source ID']: row for row in json.loads(out)}
    assert (rows[stuck['id']]['Result'], rows[stuck['id']]['Dest ID'],
            rows[stuck['id']]['Detail']) == ('failed', stuck['id'],
                                             'interrupted')
    assert 'not started' in rows[later['id']]['Detail']
    assert fs.wait_for(lambda: fs.dest_status(sandbox, stuck['id']) ==
                       'queued', timeout=30)

    rows, run = fs.migrate(sandbox, *fs.image_args(stuck, later))
    assert run.returncode == 0, run.stderr
    for image in (stuck, later):
        assert rows[image['id']]['Dest ID'] == image['id']
        fs.assert_one_good_copy(sandbox, image, images.data[image['id']])
