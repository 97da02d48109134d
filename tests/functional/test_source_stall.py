# SPDX-License-Identifier: Apache-2.0
"""A source that falls silent over HTTPS keeps the upload, with defaults.

The destination Glance (uWSGI) drops an upload that stays idle for its
socket timeout (4 s). The stream asks a silent source again from its next
byte after about 2 s, so a stall of any length costs one ranged request,
not a new upload; a slow but steady source is never asked again.

The fault proxy forwards TCP to the source cloud's HTTPS frontend
(HAProxy): the stream reads TLS as in production, through the socket
reads of body_readers.SocketBody. Stalls are events of the proxy, never
the clock.
"""

from tests.functional.fixtures import faults as fs

MiB = fs.MiB


def test_a_source_silent_for_good_keeps_the_upload_by_default(sandbox,
                                                              tmp_path):
    images = fs.Images(sandbox)
    image = images.make('a-silent', 32 * MiB)
    # The first download falls silent after 8 MiB and stays silent until
    # the run has ended: longer than the copy, and so far longer than the
    # destination's idle timeout. No option changed.
    pauser, env = fs.source_proxy(sandbox, tmp_path, tls=True, mode='pause',
                                  after_bytes=8 * MiB, max_faults=1)
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1',
                               *fs.image_args(image), env=env)
        silent_throughout = pauser.paused.is_set()
    finally:
        pauser.close()
    assert run.returncode == 0, run.stderr
    assert silent_throughout
    assert run.stderr.count('source download silent for') == 1
    assert 'asking again from there' in run.stderr
    assert 'retrying' not in run.stderr
    assert 'broke off' not in run.stderr
    row = rows[image['id']]
    assert (row['Result'], row['Dest ID']) == ('migrated', image['id'])
    assert fs.wait_for(lambda: fs.uploads(image['id']) >= 1, timeout=30)
    assert fs.uploads(image['id']) == 1
    fs.assert_one_good_copy(sandbox, image, images.data[image['id']])


def test_a_slow_steady_source_is_never_asked_again(sandbox, tmp_path):
    images = fs.Images(sandbox)
    image = images.make('a-slow', 3 * MiB // 2)
    # 256 KiB/s in pieces of at most 64 KiB: about 6 s in all, three
    # times the silence that would make the stream ask again.
    slow, env = fs.source_proxy(sandbox, tmp_path, tls=True, mode=None,
                                rate=256 * 1024)
    try:
        rows, run = fs.migrate(sandbox, '--parallel', '1',
                               *fs.image_args(image), env=env)
    finally:
        slow.close()
    assert run.returncode == 0, run.stderr
    assert 'silent for' not in run.stderr
    assert 'resuming' not in run.stderr
    assert 'retrying' not in run.stderr
    assert rows[image['id']]['Result'] == 'migrated'
    assert fs.wait_for(lambda: fs.uploads(image['id']) >= 1, timeout=30)
    assert fs.uploads(image['id']) == 1
    fs.assert_one_good_copy(sandbox, image, images.data[image['id']])
