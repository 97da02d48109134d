# SPDX-License-Identifier: Apache-2.0
"""Destination quotas: Keystone unified limits on a real Glance.

The destination Glance enforces the image limits (``use_keystone_limits``)
that the variant registers in its Keystone. Glance checks each request
against the limits of the project that makes it, and counts usage per
image owner; each test sets the limits of its project from the usage it
finds, since other tests leave images in the shared variant sandbox.
"""

import threading

from tests.functional.fixtures import faults as fs
from tests.functional.fixtures.variants import GlanceVariant

MiB = 1024 * 1024
# Uploads in flight, for every project; the rest is set per test.
LIMITS = {'image_count_uploading': 1}


def limited(box_factory, **project_limits):
    return box_factory(dst=GlanceVariant(unified_limits=LIMITS,
                                         project_limits=project_limits))


def usage(box, project_id):
    """(count, bytes) of the project's images, read as admin."""
    owned = [i for i in box.clients('dst').glance.images.list(
        filters={'owner': project_id, 'visibility': 'all'})
        if i['status'] not in ('killed', 'deleted', 'pending_delete')]
    return len(owned), sum(i.get('size') or 0 for i in owned)


def glance_usage(box, cloud):
    """What Glance itself reports for the cloud's project."""
    return {name: (value['usage'], value['limit']) for name, value in
            box.clients(cloud).image.get('/v2/info/usage').json()[
                'usage'].items()}


def test_plan_and_migrate_when_the_credentials_project_is_full(
        variant_sandbox):
    box = limited(variant_sandbox)
    demo = box.project_id('dst', 'demo')
    count, size = usage(box, demo)
    box = limited(variant_sandbox, demo={
        'image_count_total': count + 3,
        'image_size_total': size // MiB + 4})
    assert glance_usage(box, 'dst-demo')['image_count_total'] == (
        count, count + 3)
    images = fs.Images(box, 'demo')
    made = [images.make(kind, n) for kind, n in (
        ('qa', 2 * MiB), ('qb', 2 * MiB), ('qc', 2 * MiB), ('qd', 1024))]
    a, b, c, d = made
    args = fs.image_args(*made)

    rows, run = box.migrate_json('plan', '--dest-cloud', 'dst-demo', *args,
                                 '--detailed-exit-code', check=False)
    assert run.returncode == 4, run.stderr
    assert [rows[i['id']]['Action'] for i in made] == ['copy'] * 4
    assert 'quota' not in rows[a['id']]['Reason']
    assert 'quota' not in rows[b['id']]['Reason']
    size_numbers = (
        'project demo: image_size_total limit %d MiB, used %d bytes '
        '(%.1f MiB), the plan adds %d bytes (%.1f MiB)'
        % (size // MiB + 4, size, size / MiB, 6 * MiB + 1024,
           (6 * MiB + 1024) / MiB))
    count_numbers = ('project demo: image_count_total limit %d, used %d, '
                     'the plan adds 4' % (count + 3, count))
    assert rows[c['id']]['Reason'].endswith(
        '; quota: Glance will refuse it (HTTP 413): ' + size_numbers)
    assert rows[d['id']]['Reason'].endswith(
        '; quota: Glance will refuse it (HTTP 413): ' + count_numbers)
    warnings = run.stderr.strip().splitlines()
    assert warnings == [
        'Destination quota: %s: Glance will refuse 1 image(s) with HTTP 413'
        % numbers for numbers in (count_numbers, size_numbers)]

    before = {i['id'] for i in box.clients('dst').glance.images.list(
        filters={'owner': demo, 'visibility': 'all'})}
    rows, run = fs.migrate(box, *args, '--parallel', '1',
                           dest='dst-demo')
    assert run.returncode == 1
    assert [rows[i['id']]['Result'] for i in made] == [
        'migrated', 'migrated', 'failed', 'failed']
    assert rows[c['id']]['Detail'] == (
        'destination upload: HTTP 413, over the destination quota '
        'image_size_total of project %s (limit %d MiB, usage %d MiB, this '
        'request adds 2 MiB)' % (demo, size // MiB + 4, size // MiB + 4))
    assert rows[d['id']]['Detail'] == (
        'destination create: HTTP 413, over the destination quota '
        'image_count_total of project %s (limit %d, usage %d, this '
        'request adds 1)' % (demo, count + 3, count + 3))
    for image in (a, b):
        assert box.image_data('dst', image['id']) == images.data[image['id']]
    # Nothing partial is active: the refused upload left its record
    # queued (a re-run uploads into it), the refused create made none.
    after = {i['id']: i for i in box.clients('dst').glance.images.list(
        filters={'owner': demo, 'visibility': 'all'})}
    assert set(after) - before == {a['id'], b['id'], c['id']}
    assert after[c['id']]['status'] == 'queued'
    assert not after[c['id']].get('size')


def test_other_projects_end_over_their_limits(variant_sandbox):
    box = limited(variant_sandbox)
    alt = box.project_id('dst', 'alt_demo')
    count, size = usage(box, alt)
    box = limited(variant_sandbox, alt_demo={
        'image_count_total': count + 1,
        'image_size_total': size // MiB + 1})
    images = fs.Images(box, 'alt_demo')
    made = [images.make('over%d' % n, MiB + 10) for n in range(2)]
    args = fs.image_args(*made)

    rows, run = box.migrate_json('plan', '--dest-cloud', 'dst', *args,
                                 '--detailed-exit-code', check=False)
    assert run.returncode == 4, run.stderr
    numbers = [
        'project alt_demo: image_count_total limit %d, used %d, the plan '
        'adds 2' % (count + 1, count),
        'project alt_demo: image_size_total limit %d MiB, used %d bytes '
        '(%.1f MiB), the plan adds %d bytes (%.1f MiB)'
        % (size // MiB + 1, size, size / MiB, 2 * MiB + 20,
           (2 * MiB + 20) / MiB)]
    assert run.stderr.strip().splitlines() == [
        "Destination quota: %s: the copies are made (Glance checks the "
        "quota of the credential's project, admin), but alt_demo ends over "
        "its limit and its users cannot add images until it is raised"
        % n for n in numbers]
    for image in made:
        assert rows[image['id']]['Reason'] == (
            'ID free in destination; ' + '; '.join(
                'quota: alt_demo ends over its limit: ' + n
                for n in numbers))

    # Glance checks the admin's project, so the copies are all made...
    rows, run = fs.migrate(box, *args)
    assert run.returncode == 0, run.stderr
    assert {r['Result'] for r in rows.values()} == {'migrated'}
    # ... and alt_demo is over its limit: its own user cannot add one.
    limits = glance_usage(box, 'dst-alt_demo')
    assert limits['image_count_total'] == (count + 2, count + 1)
    refused = box.clients('dst-alt_demo').image.post(
        '/v2/images', json={'name': 'one-more', 'disk_format': 'raw',
                            'container_format': 'bare'}, raise_exc=False)
    assert refused.status_code == 413


def test_parallel_uploads_stay_within_image_count_uploading(
        variant_sandbox):
    box = limited(variant_sandbox)
    admin = box.project_id('dst', 'admin')
    assert glance_usage(box, 'dst')['image_count_uploading'] == (0, 1)
    images = fs.Images(box, 'admin')
    made = [images.make('up%d' % n, 12 * MiB + n) for n in range(4)]
    seen, done = [], threading.Event()

    def watch():
        # Glance counts the owner's images saving, uploading, importing.
        dst = box.clients('dst').image
        while not done.is_set():
            listing = dst.get('/v2/images?owner=%s&visibility=all'
                              '&limit=1000' % admin).json()['images']
            seen.append(sum(i['status'] in ('saving', 'uploading',
                                            'importing') for i in listing))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        rows, run = fs.migrate(box, *fs.image_args(*made), '--parallel',
                               '4')
    finally:
        done.set()
        watcher.join()
    assert run.returncode == 0, run.stdout + run.stderr
    assert {r['Result'] for r in rows.values()} == {'migrated'}
    for image in made:
        assert box.image('dst', image['id'])['os_hash_value'] == \
            image['os_hash_value']
    assert max(seen) == 1, seen
