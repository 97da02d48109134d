# SPDX-License-Identifier: Apache-2.0
"""A bundle's two legs under faults, on the sandbox (issue 27).

One image of 1 GiB serves every test that needs size: its export killed
after its first whole chunk (while a second export into the same bundle
is refused by the lock) and resumed from that chunk; its import from the
finished bundle killed while the destination record is ``saving``, then
finished into the same record. A full file system in the middle of an
export: one clear line, nothing accepted, and a re-run once space is
free resumes. Every wait is on an event (a file, a status), never a
sleep.
"""

import hashlib
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import pytest

from osc_image_migrate.bundle import layout
from tests.functional.fixtures import faults as fs

MiB = 1024 * 1024
GiB = 1024 * MiB
CHUNK = layout.CHUNK_SIZE


def openstack(*args, cloud='src'):
    head = [str(pathlib.Path(sys.executable).parent / 'openstack')]
    return head + (['--os-cloud', cloud] if cloud else []) + list(args)


def run_migrate(sandbox, *argv, cloud='src'):
    """``openstack [--os-cloud cloud] image migrate <argv> -f json``.

    A process of its own, as an operator runs it: run in this process
    after test_bad_input's in-process runs (on another sandbox), the
    source listing lacked the module's image. Returns (exit status, rows
    by source ID, stderr).
    """
    run = sandbox.openstack('image', 'migrate', *argv, '-f', 'json',
                            cloud=cloud, check=False)
    rows = json.loads(run.stdout) if run.stdout.strip() else []
    return run.returncode, {row['Source ID']: row for row in rows}, run.stderr


def wait_until(predicate, process, what, timeout=120):
    """Poll for an event while ``process`` runs; fail if it ends first."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, 'the command ended before %s' % what
        assert time.monotonic() < deadline, 'no %s in %d s' % (
            what, timeout)
        time.sleep(0.02)


def killed(process):
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(4 * MiB), b''):
            digest.update(block)
    return digest.hexdigest()


class Blocks:
    """Seeded random data, generated block by block: never held whole."""

    def __init__(self, size, seed):
        self.size = size
        self.seed = seed
        self.sha256 = None

    def __iter__(self):
        digest = hashlib.sha256()
        rng = random.Random(self.seed)
        left = self.size
        while left:
            block = rng.randbytes(min(4 * MiB, left))
            digest.update(block)
            left -= len(block)
            yield block
        self.sha256 = digest.hexdigest()


@pytest.fixture(scope='module')
def gib(sandbox):
    """A 1 GiB shared source image (a member, a tag, a property), sha256.

    Deleted with its copy once the module is done: 1 GiB in each Glance
    per run would add up.
    """
    data = Blocks(GiB, seed=27)
    image = sandbox.create_image(
        name='gib-bundle-%s' % os.urandom(4).hex(), data=iter(data),
        visibility='shared', tags=['big'], os_distro='debian',
        owner=sandbox.project_id('src', 'demo'))
    assert image['size'] == GiB
    members = sandbox.clients('src').glance.image_members
    members.create(image['id'], sandbox.project_id('src', 'alt_demo'))
    members.update(image['id'], sandbox.project_id('src', 'alt_demo'),
                   'accepted')
    yield image, data.sha256
    for cloud in ('dst', 'src'):
        sandbox.clients(cloud).image.delete('/v2/images/%s' % image['id'],
                                            raise_exc=False)


@pytest.fixture(scope='module')
def gib_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp('gib') / 'bundle')


def left_behind(root):
    return sorted(str(p.relative_to(root))
                  for p in pathlib.Path(root).rglob('*') if p.is_file())


def document_data(root, image_id):
    return layout.load(os.path.join(root, layout.metadata_name(
        image_id)))['data']


def manifest_data(root, image_id):
    manifest = layout.load(os.path.join(root, layout.MANIFEST)) or {}
    return (manifest.get('images', {}).get(image_id) or {}).get('data')


def test_a_killed_export_resumes_and_a_second_one_is_locked_out(
        sandbox, gib, gib_root):
    image, sha256 = gib
    root = gib_root
    part = os.path.join(root, layout.part_name(image['id']))
    sums = os.path.join(root, layout.sums_name(image['id']))
    data = os.path.join(root, layout.data_name(image['id']))
    # Slowed so that it is surely still writing while the second export
    # starts, plans and is refused (the kill comes right after).
    export = subprocess.Popen(
        openstack('image', 'migrate', '--to-bundle', root, image['id'],
                  '--limit-rate', '32M', '-f', 'json'),
        env=sandbox.env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        # The event: the first whole chunk is on disk and listed.
        wait_until(lambda: os.path.exists(sums) and os.path.getsize(sums),
                   export, 'a whole chunk')
        second = run_migrate(sandbox, '--to-bundle', root, image['id'])
        assert export.poll() is None, 'the first export ended too soon'
    finally:
        killed(export)
    assert second[:2] == (2, {})
    assert second[2].splitlines() == [
        'bundle %s is being written by another export (process %d); run '
        'this one when it has ended' % (root, export.pid)]
    written = os.path.getsize(part)
    # What the kill left: the part, its chunk list, the document without
    # data; no data file, no manifest (the first run had not ended).
    assert left_behind(root) == sorted([
        layout.LOCK, layout.metadata_name(image['id']),
        layout.part_name(image['id']), layout.sums_name(image['id'])])
    assert document_data(root, image['id']) is None
    assert CHUNK <= written < GiB

    status, rows, err = run_migrate(sandbox, '--to-bundle', root,
                                    image['id'])
    assert (status, err) == (0, '')
    row = rows[image['id']]
    resumed = int(row['Detail'].split('resumed from byte ')[1].split()[0])
    assert row['Result'] == 'migrated'
    assert resumed % CHUNK == 0 and CHUNK <= resumed <= written
    assert row['Size'] == GiB
    assert file_sha256(data) == sha256
    assert not os.path.exists(sums) and not os.path.exists(part)
    assert manifest_data(root, image['id'])['size'] == GiB


@pytest.fixture(scope='module')
def gib_exported(sandbox, gib, gib_root):
    """The 1 GiB image's bundle, complete (as the test above leaves it)."""
    image, _ = gib
    if manifest_data(gib_root, image['id']) is None:
        rows, _ = sandbox.migrate_json('--to-bundle', gib_root, image['id'])
        assert rows[image['id']]['Result'] == 'migrated'
    return gib_root


def test_a_killed_import_never_activates_and_a_rerun_finishes_it(
        sandbox, gib, gib_exported):
    image, _ = gib
    command = openstack('image', 'migrate', '--from-bundle', gib_exported,
                        '--dest-cloud', 'dst', image['id'], '-f', 'json',
                        cloud=None)
    process = subprocess.Popen(command, env=sandbox.env(),
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        # The event: the destination record is taking data.
        wait_until(lambda: fs.dest_status(sandbox, image['id']) == 'saving',
                   process, 'a saving record')
    finally:
        killed(process)
    # Glance puts the record back: never active with part of the data.
    assert fs.wait_for(lambda: fs.dest_status(sandbox, image['id']) ==
                       'queued', timeout=30)
    assert [(r['id'], r['status']) for r in fs.copies(
        sandbox, image['id'])] == [(image['id'], 'queued')]
    assert fs.glance_files(image['id']) == []  # no partial data kept

    status, rows, err = run_migrate(
        sandbox, '--from-bundle', gib_exported, '--dest-cloud', 'dst',
        image['id'])
    assert (status, err) == (0, '')
    row = rows[image['id']]
    assert (row['Result'], row['Dest ID']) == ('migrated', image['id'])
    (copy,) = fs.copies(sandbox, image['id'])
    assert copy['id'] == image['id']
    for field in ('status', 'size', 'os_hash_algo', 'os_hash_value',
                  'checksum', 'tags', 'os_distro', 'name', 'visibility'):
        assert copy[field] == image[field], field
    assert copy['owner'] == sandbox.project_id('dst', 'demo')
    members = sandbox.clients('dst').glance.image_members.list(image['id'])
    assert [(m['member_id'], m['status']) for m in members] == [
        (sandbox.project_id('dst', 'alt_demo'), 'accepted')]


@pytest.fixture
def tmpfs(tmp_path):
    """A 160 MiB tmpfs."""
    with fs.tmpfs(tmp_path, '160m') as mount:
        yield mount


def fill(folder):
    """Write a file into ``folder`` until its file system is full."""
    path = os.path.join(folder, 'filler')
    block = b'\0' * MiB
    with open(path, 'wb', buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError:
            pass
    return path


def test_a_full_disk_mid_export_accepts_nothing_and_a_rerun_resumes(
        sandbox, tmpfs):
    images = fs.Images(sandbox)
    image = images.make('full', CHUNK + CHUNK // 2)
    root = str(tmpfs / 'bundle')
    sums = os.path.join(root, layout.sums_name(image['id']))
    data = os.path.join(root, layout.data_name(image['id']))
    export = subprocess.Popen(
        openstack('image', 'migrate', '--to-bundle', root, image['id'],
                  '--limit-rate', '24M', '-f', 'json'),
        env=sandbox.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        # The event: the first whole chunk is listed; then the disk fills.
        wait_until(lambda: os.path.exists(sums) and os.path.getsize(sums),
                   export, 'a whole chunk')
        filler = fill(str(tmpfs))
        out, err = export.communicate(timeout=120)
    finally:
        if export.poll() is None:
            killed(export)
    assert export.returncode == 1, err
    (row,) = json.loads(out)
    assert (row['Result'], row['Detail']) == ('failed', (
        'bundle: cannot write %s: No space left on device'
        % os.path.join(root, layout.part_name(image['id']))))
    # The manifest cannot be written either: one line after the rows.
    assert err.splitlines() == [
        'bundle %s: cannot write %s: No space left on device; the next run '
        'writes it' % (root, layout.MANIFEST)]
    assert left_behind(root) == sorted([
        layout.LOCK, layout.metadata_name(image['id']),
        layout.part_name(image['id']), layout.sums_name(image['id'])])
    assert document_data(root, image['id']) is None

    os.unlink(filler)
    status, rows, err = run_migrate(sandbox, '--to-bundle', root,
                                    image['id'])
    assert (status, err) == (0, '')
    row = rows[image['id']]
    assert row['Result'] == 'migrated'
    assert 'resumed from byte %d ' % CHUNK in row['Detail']
    with open(data, 'rb') as f:
        assert f.read() == images.data[image['id']]
    assert manifest_data(root, image['id'])['size'] == CHUNK + CHUNK // 2
