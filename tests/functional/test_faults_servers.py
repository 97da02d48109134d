# SPDX-License-Identifier: Apache-2.0
"""Faults of the servers themselves, on sandboxes of their own.

A destination Glance restarted mid-upload, Keystone tokens that expire
during a run, and a destination that refuses data (413 over its size cap,
415 for data that does not match its disk_format). These change or stop
servers, so they run on the extra sandboxes of ``fixtures/faults.py``; the
short tokens on the variant sandbox (``token_expiration``), which is set
back to the stock lifetime for the next test that asks for it.
"""

import threading

from osc_image_migrate import model
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import proxy

MiB = fs.MiB
# Keystone's token lifetime in the token test: short, so that one copy
# outlives its token in little time. keystoneauth renews every token with
# less than 120 s left (MIN_TOKEN_LIFE_SECONDS) before each request, so
# any lifetime under that is renewed as often as a 60 s one.
TOKEN_SECONDS = 20


def test_destination_glance_restarted_mid_upload(restart_box, tmp_path):
    box = restart_box
    images = fs.Images(box)
    big = images.make('a-big', 48 * MiB)
    later = images.make('b-later', MiB)
    # The source pauses after 16 MiB: the upload is then surely running
    # (the record "saving", 16 MiB in Glance's hands) while the
    # destination Glance restarts; the source goes on once it is back.
    paused = proxy.FaultProxy(fs.glance_port(box, 'src'), mode='pause',
                              after_bytes=16 * MiB, max_faults=1)
    env = fs.bent_env(box, tmp_path, src=paused.url)
    restarted = threading.Event()
    status_when_paused = []
    finished = threading.Event()

    def restart_mid_upload():
        try:
            while not (paused.paused.wait(0.1) or finished.is_set()):
                pass
            if paused.paused.is_set():
                status_when_paused.append(fs.dest_status(box, big['id']))
                box.tool.stop_service('dst-glance', state_dir=box.state_dir,
                                      quiet=True)
                box.tool.start_service('dst-glance',
                                       state_dir=box.state_dir, quiet=True)
                restarted.set()
        finally:
            paused.resume()

    restarter = threading.Thread(target=restart_mid_upload)
    restarter.start()
    try:
        rows, run = fs.migrate(box, '--parallel', '1',
                               *fs.image_args(big, later), env=env)
    finally:
        finished.set()
        restarter.join()
        paused.close()
    assert status_when_paused == ['saving']
    assert restarted.is_set()
    assert run.returncode == 0, run.stderr
    assert 'destination upload broke off' in run.stderr
    row = rows[big['id']]
    assert row['Result'] == 'migrated'
    assert rows[later['id']]['Result'] == 'migrated'
    good = fs.assert_one_good_copy(box, big, images.data[big['id']])
    assert good['id'] == row['Dest ID']
    if row['Dest ID'] != big['id']:
        # The restart killed Glance's upload: the record stays "saving"
        # for good (Glance has no way back to "queued" then), so the copy
        # went to a new ID that records the source ID.
        assert 'left saving by a lost upload' in row['Detail']
        assert good[model.SOURCE_ID_PROPERTY] == big['id']
        assert fs.dest_status(box, big['id']) == 'saving'

    rows, run = fs.migrate(box, *fs.image_args(big, later))
    assert run.returncode == 0, run.stderr
    assert {r['Result'] for r in rows.values()} == {'skipped'}
    fs.assert_one_good_copy(box, big, images.data[big['id']])


def test_tokens_expire_during_a_long_run(variant_sandbox, tmp_path):
    """20 s tokens: one copy outlives its tokens, the next ones need new.

    Glance checks a token when a request arrives, so a stream outliving
    its token goes on; every later request needs a new token.
    """
    box = variant_sandbox(token_expiration=TOKEN_SECONDS)
    images = fs.Images(box)
    # At 1 MiB/s, the copy lasts a few seconds longer than a token.
    long = images.make('a-long', (TOKEN_SECONDS + 4) * MiB)
    after = [images.make('%s-after' % letter, MiB) for letter in 'bc']
    # (Much slower, and uWSGI's 4 s socket timeout makes the source Glance
    # itself cut the download: "OSError: write error" in its log.)
    slow = proxy.FaultProxy(fs.glance_port(box, 'src'), mode=None,
                            rate=MiB)
    env = fs.bent_env(box, tmp_path, src=slow.url)
    try:
        rows, run = fs.migrate(box, '--parallel', '1', '--debug',
                               *fs.image_args(long, *after), env=env)
    finally:
        slow.close()
    assert run.returncode == 0, run.stderr[-3000:]
    assert rows[long['id']]['Seconds'] > TOKEN_SECONDS + 1, rows[long['id']]
    for image in [long] + after:
        assert rows[image['id']]['Result'] == 'migrated'
        fs.assert_one_good_copy(box, image, images.data[image['id']])
    # Tokens were renewed along the way (keystoneauth renews any token
    # with less than 120 s left, so a 20 s token before every request),
    # and no request was refused for an expired token.
    logins = run.stderr.count('POST /v3/auth/tokens HTTP/1.1" 201')
    assert logins > 2 * len(rows), logins
    assert ' 401 ' not in run.stderr
    assert 'retrying' not in run.stderr


def test_destination_size_cap_413_then_rerun_after_raising_it(caps_box):
    box = caps_box
    images = fs.Images(box)
    big = images.make('a-big', fs.CAPS_SIZE_CAP + MiB)
    fine = images.make('b-fine', MiB)
    rows, run = fs.migrate(box, '--parallel', '1',
                           *fs.image_args(big, fine))
    assert run.returncode == 1
    assert rows[big['id']]['Result'] == 'failed'
    # Glance's own reason follows ours.
    assert rows[big['id']]['Detail'].startswith(
        'destination upload: HTTP 413, too large for the destination '
        '(image_size_cap or storage quota): ')
    assert 'too large' in rows[big['id']]['Detail'].split('quota): ')[1]
    assert 'retrying' not in run.stderr  # a 413 is not retried blindly
    assert rows[fine['id']]['Result'] == 'migrated'
    assert fs.dest_status(box, big['id']) == 'queued'

    # The operator raises the cap; the re-run uploads into the same record.
    box.tool.up(state_dir=box.state_dir, quiet=True,
                dst_image_size_cap=64 * MiB)
    try:
        rows, run = fs.migrate(box, *fs.image_args(big, fine))
    finally:
        box.tool.up(state_dir=box.state_dir, quiet=True,
                    dst_image_size_cap=fs.CAPS_SIZE_CAP)
    assert run.returncode == 0, run.stderr
    assert (rows[big['id']]['Result'], rows[big['id']]['Dest ID']) == (
        'migrated', big['id'])
    fs.assert_one_good_copy(box, big, images.data[big['id']])


def test_data_not_matching_disk_format_415(caps_box):
    """A source image mislabelled long ago (its Glance did not check).

    With our own format check off, the destination's check is the one that
    refuses it (test_format_check shows the default, an early stop).
    """
    box = caps_box
    images = fs.Images(box)
    mislabelled = images.make('a-mislabelled', MiB, disk_format='qcow2')
    assert mislabelled['status'] == 'active'
    fine = images.make('b-fine', MiB)
    rows, run = fs.migrate(box, '--parallel', '1', '--no-check-format',
                           *fs.image_args(mislabelled, fine))
    assert run.returncode == 1
    row = rows[mislabelled['id']]
    assert (row['Result'], row['Dest ID']) == ('failed', mislabelled['id'])
    assert row['Detail'].startswith('destination upload: HTTP 415, data does '
                                    'not match its disk_format: ')
    assert 'retrying' not in run.stderr
    assert rows[fine['id']]['Result'] == 'migrated'
    assert [(r['id'], r['status']) for r in fs.copies(
        box, mislabelled['id'])] == [(mislabelled['id'], 'queued')]

    # A re-run tries the same record again and fails the same image only.
    # (Glance 33 leaves the refused data in its store, so the second
    # upload into that record gets HTTP 500 "Duplicate" instead of 415.)
    rows, run = fs.migrate(box, '--retries', '0', '--no-check-format',
                           *fs.image_args(mislabelled, fine))
    assert run.returncode == 1
    row = rows[mislabelled['id']]
    assert (row['Result'], row['Dest ID']) == ('failed', mislabelled['id'])
    assert row['Detail'].startswith((
        'destination upload: HTTP 415, data does not match its disk_format',
        'destination upload: HTTP 500, server error'))
    assert rows[fine['id']]['Result'] == 'skipped'
    assert [(r['id'], r['status']) for r in fs.copies(
        box, mislabelled['id'])] == [(mislabelled['id'], 'queued')]
