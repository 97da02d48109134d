# SPDX-License-Identifier: Apache-2.0
"""Data the destination would refuse is stopped in its first MiB.

The source of ``caps_box`` does not check formats, so it can hold images
whose data does not match their disk_format, as old clouds do. Real qcow2
data comes from ``qemu-img`` (Debian's qemu-utils, installed by .ci/run).
"""

import os
import re
import shutil
import subprocess

from tests.functional.fixtures import faults as fs

MiB = fs.MiB


def qcow2_bytes(tmp_path, size):
    """A real qcow2 image holding ``size`` random bytes."""
    assert shutil.which('qemu-img'), 'qemu-img missing: install qemu-utils'
    raw, qcow2 = tmp_path / 'disk.raw', tmp_path / 'disk.qcow2'
    raw.write_bytes(os.urandom(size))
    subprocess.run(['qemu-img', 'convert', '-q', '-f', 'raw', '-O', 'qcow2',
                    str(raw), str(qcow2)], check=True)
    return qcow2.read_bytes()


def make(box, images, kind, data, disk_format):
    image = box.create_image(
        name='%s-format-%s' % (kind, images.tag), data=data,
        disk_format=disk_format, owner=images.owner, visibility='private')
    images.data[image['id']] = data
    assert image['status'] == 'active'
    return image


def stopped_after(detail):
    match = re.search(r'\(stopped after (\d+) of (\d+) bytes\)$', detail)
    assert match, detail
    return int(match.group(1)), int(match.group(2))


def test_mislabelled_data_is_stopped_before_it_is_sent(caps_box, tmp_path):
    box = caps_box
    images = fs.Images(box)
    qcow2 = qcow2_bytes(tmp_path, 3 * MiB)
    as_raw = make(box, images, 'a-qcow2-as-raw', qcow2, 'raw')
    as_qcow2 = make(box, images, 'b-raw-as-qcow2', os.urandom(3 * MiB),
                    'qcow2')
    real = make(box, images, 'c-real-qcow2', qcow2, 'qcow2')
    rows, run = fs.migrate(box, '--parallel', '1',
                           *fs.image_args(as_raw, as_qcow2, real))
    assert run.returncode == 1

    detail = rows[as_raw['id']]['Detail']
    assert detail.startswith('data is qcow2 but its disk_format is raw')
    read, size = stopped_after(detail)
    assert (read <= MiB, size) == (True, len(qcow2))
    detail = rows[as_qcow2['id']]['Detail']
    assert detail.startswith('data is raw but its disk_format is qcow2')
    assert stopped_after(detail)[0] <= MiB
    assert 'retrying' not in run.stderr
    for image in (as_raw, as_qcow2):
        assert rows[image['id']]['Result'] == 'failed'
        assert [(r['id'], r['status']) for r in fs.copies(
            box, image['id'])] == [(image['id'], 'queued')]

    assert rows[real['id']]['Result'] == 'migrated'
    assert box.image_data('dst', real['id']) == qcow2

    # The destination never took the refused data, so a re-run meets the
    # same early stop (not Glance's "Duplicate" of a refused upload).
    rows, run = fs.migrate(box, '--retries', '0',
                           *fs.image_args(as_raw, as_qcow2))
    assert rows[as_raw['id']]['Detail'].startswith(
        'data is qcow2 but its disk_format is raw')
    assert rows[as_qcow2['id']]['Detail'].startswith(
        'data is raw but its disk_format is qcow2')


def test_plan_inspect_names_them_before_anything_is_copied(caps_box,
                                                           tmp_path):
    box = caps_box
    images = fs.Images(box)
    qcow2 = qcow2_bytes(tmp_path, 2 * MiB)
    as_raw = make(box, images, 'a-qcow2-as-raw', qcow2, 'raw')
    small = make(box, images, 'b-small-qcow2-as-raw',
                 qcow2_bytes(tmp_path, 64 * 1024), 'raw')
    fine = make(box, images, 'c-fine', os.urandom(2 * MiB), 'raw')
    real = make(box, images, 'd-real-qcow2', qcow2, 'qcow2')
    args = fs.image_args(as_raw, small, fine, real)
    before = fs.snapshot(box)

    rows, _ = box.migrate_json('plan', '--dest-cloud', 'dst', *args)
    assert {r['Action'] for r in rows.values()} == {'copy'}
    rows, _ = box.migrate_json('plan', '--dest-cloud', 'dst', '--inspect',
                               *args)
    for image in (as_raw, small):
        row = rows[image['id']]
        assert row['Action'] == 'blocked'
        assert row['Reason'].startswith(
            'format check of the first MiB: data is qcow2 but its '
            'disk_format is raw'), row['Reason']
    assert rows[fine['id']]['Action'] == 'copy'
    assert rows[real['id']]['Action'] == 'copy'
    assert fs.snapshot(box) == before
