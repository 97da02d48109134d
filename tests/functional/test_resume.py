# SPDX-License-Identifier: Apache-2.0
"""Huge images over unreliable links: resumed, not started over.

A fault proxy sits between the client and the source Glance (the source
cloud's image endpoint points at it through clouds.yaml's
``image_endpoint_override``), or between the client and the destination.
Every test counts the data requests the destination Glance served from
its own log: a resumed source read keeps one upload. Stalls are found by
events (the proxy says when it stalled and whether the client left),
never by the clock.
"""

import pytest

from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import proxy

MiB = fs.MiB


def one_upload_done(image_id, count):
    """uWSGI logs a request when it ends: wait for the last line."""
    assert fs.wait_for(lambda: fs.uploads(image_id) >= count, timeout=30)
    return fs.uploads(image_id)


def nothing_active(sandbox, image):
    records = fs.copies(sandbox, image['id'])
    assert [r['status'] for r in records] == ['queued'], records


def test_source_cut_three_times_completes_with_one_upload(sandbox,
                                                          tmp_path):
    images = fs.Images(sandbox)
    huge = images.make('a-huge', 256 * MiB)
    cutter, env = fs.source_proxy(sandbox, tmp_path, mode='cut',
                                  after_bytes=48 * MiB, max_faults=3)
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1',
                               *fs.image_args(huge), env=env)
    finally:
        cutter.close()
    assert run.returncode == 0, run.stderr
    assert cutter.faults == 3
    assert run.stderr.count('resuming from there') == 3
    assert 'retrying' not in run.stderr
    downloads = [r for r in cutter.requests
                 if r.startswith('GET /v2/images/%s/file' % huge['id'])]
    assert len(downloads) == 4  # the first and three resumed
    row = rows[huge['id']]
    assert (row['Result'], row['Dest ID']) == ('migrated', huge['id'])
    assert one_upload_done(huge['id'], 1) == 1
    good = fs.assert_one_good_copy(sandbox, huge, images.data[huge['id']])
    assert (good['os_hash_algo'], good['os_hash_value']) == (
        'sha512', huge['os_hash_value'])


def test_stalled_source_is_detected_and_resumed(sandbox, tmp_path):
    images = fs.Images(sandbox)
    image = images.make('a-stalled', 32 * MiB)
    # Held far longer than the stall timeout: only the client's own
    # detection can end it (counted as "abandoned"), not the proxy.
    staller, env = fs.source_proxy(sandbox, tmp_path, mode='stall',
                                   after_bytes=8 * MiB, max_faults=1,
                                   stall_seconds=300)
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1',
                               '--stall-timeout', '2',
                               *fs.image_args(image), env=env)
    finally:
        staller.close()
    assert run.returncode == 0, run.stderr
    assert staller.faulted.is_set() and staller.reconnected.is_set()
    assert staller.abandoned == 1
    assert 'ReadTimeoutError' in run.stderr
    assert run.stderr.count('resuming from there') == 1
    assert rows[image['id']]['Result'] == 'migrated'
    assert one_upload_done(image['id'], 1) == 1
    fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


def test_other_bytes_after_a_cut_never_become_active(sandbox, tmp_path):
    images = fs.Images(sandbox)
    image = images.make('a-changed', 32 * MiB)
    # The first download is cut, the resumed one serves other bytes.
    changer, env = fs.source_proxy(sandbox, tmp_path, after_bytes=8 * MiB,
                                   plan=['cut', 'flip'])
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1', '--retries', '0',
                               *fs.image_args(image), env=env)
    finally:
        changer.close()
    assert changer.faults == 2
    assert run.returncode == 1
    row = rows[image['id']]
    assert (row['Result'], row['Dest ID']) == ('failed', image['id'])
    assert 'does not match the source record' in row['Detail']
    assert fs.wait_for(lambda: fs.dest_status(sandbox, image['id']) ==
                       'queued', timeout=30)
    nothing_active(sandbox, image)
    assert one_upload_done(image['id'], 1) == 1

    rows, run = fs.migrate(sandbox, *fs.image_args(image))
    assert run.returncode == 0, run.stderr
    assert (rows[image['id']]['Result'], rows[image['id']]['Dest ID']) == (
        'migrated', image['id'])
    assert one_upload_done(image['id'], 2) == 2
    fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


def test_source_that_ignores_range_fails_the_attempt_cleanly(sandbox,
                                                             tmp_path):
    images = fs.Images(sandbox)
    image = images.make('a-norange', 32 * MiB)
    cutter, env = fs.source_proxy(sandbox, tmp_path, mode='cut',
                                  after_bytes=8 * MiB, max_faults=1,
                                  strip_range=True)
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1', '--retries', '0',
                               *fs.image_args(image), env=env)
        assert run.returncode == 1
        row = rows[image['id']]
        assert (row['Result'], row['Dest ID']) == ('failed', image['id'])
        assert 'source download cannot be resumed' in row['Detail']
        assert 'got HTTP 200 without Content-Range' in row['Detail']
        assert fs.wait_for(lambda: fs.dest_status(sandbox, image['id']) ==
                           'queued', timeout=30)
        nothing_active(sandbox, image)
        assert one_upload_done(image['id'], 1) == 1

        # The same source, which still ignores Range, in one go this time.
        rows, run = fs.migrate(sandbox, *fs.image_args(image), env=env)
    finally:
        cutter.close()
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Result'] == 'migrated'
    assert one_upload_done(image['id'], 2) == 2
    fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


@pytest.mark.parametrize('method', ['put', 'glance-direct'])
def test_cut_upload_starts_again_from_the_first_byte_in_the_same_record(
        sandbox, tmp_path, method):
    """Glance cannot resume an upload: what a cut one leaves, and after.

    The first run's only attempt is cut: the record goes back to queued,
    and no partial data stays in the store or the staging area. The
    second run is cut once more and retries: each time the whole image
    from its first byte, into the same record.
    """
    images = fs.Images(sandbox)
    image = images.make('a-cut-%s' % method, 16 * MiB)
    cutter = proxy.FaultProxy(fs.glance_port(sandbox, 'dst'), mode='cut',
                              after_bytes=6 * MiB, max_faults=2,
                              direction='request')
    env = fs.bent_env(sandbox, tmp_path, dst=cutter.url)
    args = ['--parallel', '1', '--upload-method', method]
    try:
        rows, run = fs.migrate(sandbox, '--retries', '0', *args,
                               *fs.image_args(image), env=env)
        assert run.returncode == 1
        assert 'broke off after' in rows[image['id']]['Detail']
        assert fs.wait_for(lambda: fs.dest_status(sandbox, image['id']) ==
                           'queued', timeout=30)
        nothing_active(sandbox, image)
        assert one_upload_done(image['id'], 1) == 1
        assert fs.wait_for(lambda: fs.glance_files(image['id']) == [],
                           timeout=30), fs.glance_files(image['id'])

        rows, run = fs.migrate(sandbox, *args, *fs.image_args(image),
                               env=env)
    finally:
        cutter.close()
    assert cutter.faults == 2
    assert run.returncode == 0, run.stderr
    assert 'retrying' in run.stderr
    assert (rows[image['id']]['Result'], rows[image['id']]['Dest ID']) == (
        'migrated', image['id'])
    assert one_upload_done(image['id'], 3) == 3
    assert len(fs.copies(sandbox, image['id'])) == 1
    fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


def test_stalled_upload_is_cut_and_retried_into_the_same_record(sandbox,
                                                                tmp_path):
    """The destination stops reading: the upload cannot be resumed."""
    images = fs.Images(sandbox)
    image = images.make('a-dst-stall', 32 * MiB)
    staller = proxy.FaultProxy(fs.glance_port(sandbox, 'dst'), mode='stall',
                               after_bytes=6 * MiB, max_faults=1,
                               direction='request', stall_seconds=300)
    env = fs.bent_env(sandbox, tmp_path, dst=staller.url)
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1',
                               '--stall-timeout', '2',
                               *fs.image_args(image), env=env)
    finally:
        staller.close()
    assert run.returncode == 0, run.stderr
    assert staller.faulted.is_set() and staller.abandoned == 1
    assert 'destination upload broke off after' in run.stderr
    assert 'retrying' in run.stderr
    assert (rows[image['id']]['Result'], rows[image['id']]['Dest ID']) == (
        'migrated', image['id'])
    assert one_upload_done(image['id'], 2) == 2
    assert len(fs.copies(sandbox, image['id'])) == 1
    fs.assert_one_good_copy(sandbox, image, images.data[image['id']])
