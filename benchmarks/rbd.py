# SPDX-License-Identifier: Apache-2.0
"""Section 10: the rbd path vs the stream, between Ceph-backed clouds.

A sandbox of its own whose clouds keep their images in Ceph
(``GlanceVariant(ceph=True)``, tools/cloudsandbox/ceph.py), made with
the benchmark sandbox's venv at its port base + 40 (so its clusters are
at + 540 and + 550). Two source images (set-up, not measured): a sparse
raw one (``--rbd-size``, 2 GiB, holding ``--rbd-data`` in four runs) and
a dense one (``--rbd-dense-size``, 1 GiB of random bytes). Each is copied
by ``image migrate --data-path rbd`` and ``--data-path stream`` as the
destination's ``migrator`` (service role), cases alternating; the copy
is deleted after each run (the next run's record then gets a new ID).

Bytes through the client: the rbd path's own count (the row's "moved N
MiB"), and the image size for the stream (it downloads and uploads
every byte). Allocated: ``rbd du`` of the source snapshot.

Targets (issue 29): sparse by rbd at least 5 x faster than by stream,
with at most 1.05 x its allocated bytes through the client; dense by rbd
no slower than by stream.

Side by side, the bound Glance sets: before the copy becomes active,
Glance reads its whole virtual size back from RBD and hashes it (md5 and
sha512, one thread), holes included. The rbd row says how long that
check took ("Glance checked the copy in N s"); the stream's copy phase
divided by it is the most the rbd path could gain over the stream with
a copy that took no time at all.
"""

import json
import re
import subprocess

import cloud
import measure
from measure import MiB
import report

PORT_OFFSET = 40
DEST = 'dst-migrator'
CASES = ('rbd sparse', 'stream sparse', 'rbd dense', 'stream dense')
SPEED_TARGET, BYTES_TARGET, DENSE_TARGET = 5.0, 1.05, 1.0
RUNS = 4


def sparse_chunks(size, data, seed):
    """``size`` bytes: ``data`` random bytes in RUNS runs, zeros between."""
    run = data // RUNS
    starts = [i * (size // RUNS) for i in range(RUNS)]
    random_bytes = cloud.random_chunks(data, seed)
    position = 0
    while position < size:
        inside = [s for s in starts if s <= position < s + run]
        n = min(MiB, size - position)
        yield next(random_bytes) if inside else bytes(n)
        position += n


def ceph_bench(bench):
    """A Bench on Ceph-backed clouds beside the benchmark's sandbox."""
    variant = bench.sandbox.GlanceVariant(ceph=True)
    return cloud.Bench(bench.state_dir.rstrip('/') + '-ceph',
                       bench.info['port_base'] + PORT_OFFSET,
                       bench.info['venv'], quiet=True,
                       variants={'src': variant, 'dst': variant})


def allocated(bench, image_id):
    settings = bench.info['clouds']['src']['ceph']
    out = subprocess.run(
        ['rbd', '--conf', settings['ceph_conf'], '--id',
         settings['ceph_user'], 'du', '--format', 'json',
         '%s/%s@snap' % (settings['rbd_pool'], image_id)],
        capture_output=True, text=True, check=True).stdout
    return json.loads(out)['images'][0]['used_size']


def migrate(bench, image_id, path):
    """One ``image migrate`` by ``path``.

    Returns the Run, the bytes through the client, the destination ID and
    the copy phase (the Seconds the command prints for the image).
    """
    argv = bench.cli('src', 'image', 'migrate', '--dest-cloud', DEST,
                     '--no-progress', '-f', 'json', '--data-path', path,
                     '--image', image_id)
    run = measure.run_processes([[argv]], bench.env, servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('image migrate failed: ' + run.error_tail())
    row = json.loads(run.outputs[0])[0]
    if row['Result'] != 'migrated':
        raise measure.BenchError('image migrate by %s: %s: %s'
                                 % (path, row['Result'], row['Detail']))
    moved = re.search(r'rbd: moved (\d+) MiB', row['Detail'] or '')
    if (path == 'rbd') != bool(moved):
        raise measure.BenchError('image migrate took the wrong path: %s'
                                 % row['Detail'])
    through = int(moved[1]) * MiB if moved else row['Size']
    checked = re.search(r'Glance checked the copy in ([\d.]+) s',
                        row['Detail'] or '')
    return (run, through, row['Dest ID'], row['Seconds'],
            float(checked[1]) if checked else None)


def rbd_vs_stream(bench, size, data, dense_size, repeat, log):
    """Copy both images both ways, ``repeat`` rounds, cases alternating."""
    box = ceph_bench(bench)
    try:
        return _measure(box, size, data, dense_size, repeat, log)
    finally:
        box.sweep()
        box.close()
        box.sandbox.down(state_dir=box.state_dir, quiet=True)


def _measure(box, size, data, dense_size, repeat, log):
    log('rbd: creating a sparse image of %s holding %s and a dense one of '
        '%s' % (report.size(size), report.size(data),
                report.size(dense_size)))
    box.check_disk(size + 3 * dense_size)
    sparse = box.create_image(size=None, visibility='private')
    response = box.src.image.put(
        '/v2/images/%s/file' % sparse, data=sparse_chunks(size, data, 11),
        headers={'Content-Type': 'application/octet-stream'})
    if response.status_code != 204:
        raise measure.BenchError('set-up upload answered HTTP %d'
                                 % response.status_code)
    dense = box.create_image(size=dense_size, seed=12, visibility='private')
    held = allocated(box, sparse)
    sources = {'sparse': (sparse, size), 'dense': (dense, dense_size)}
    results = {name: measure.Case(name) for name in CASES}
    through = {name: [] for name in CASES}
    checks = {name: [] for name in CASES}

    def one_run(name, round_no):
        path, kind = name.split()
        run, moved, dest_id, copy_s, checked = migrate(
            box, sources[kind][0], path)
        box.delete('dst', [dest_id])
        results[name].add(run, copy_s)
        through[name].append(moved)
        if checked is not None:
            checks[name].append(checked)
        log('%s round %d/%d: %.1f s, %.2f CPU s, %s through the client'
            % (name, round_no + 1, repeat, run.wall, run.cpu,
               report.size(moved)))

    measure.alternate(CASES, repeat, one_run)
    return rbd_table(results, through, sources, held, checks)


def rbd_table(results, through, sources, held, checks):
    rows = []
    for name, case in results.items():
        total = sources[name.split()[1]][1]
        rows.append((name, len(case.runs), '%.2f' % case.wall,
                     measure.spread([r.wall for r in case.runs]),
                     '%.2f' % case.cpu,
                     '%.1f' % (measure.median(through[name]) / MiB),
                     '%.1f' % (total / MiB / case.wall)))
        copy_s = measure.median(case.copy_seconds)
        rows.append(('%s, copy phase' % name, len(case.copy_seconds),
                     '%.2f' % copy_s, measure.spread(case.copy_seconds),
                     '', '', '%.1f' % (total / MiB / copy_s)))
    table = report.Table(
        '10. rbd path vs stream between Ceph-backed clouds (sparse %s '
        'holding %s allocated; dense %s)' % (
            report.size(sources['sparse'][1]), report.size(held),
            report.size(sources['dense'][1])),
        ('case', 'runs', 'median s', 'range s', 'client CPU s',
         'MiB through client', 'image MiB/s'), rows)
    speed = report.paired(results['stream sparse'].runs,
                          results['rbd sparse'].runs)
    table.targets.append((
        'sparse by rbd vs by stream (%.2f x faster, need >= %.1f)'
        % (speed, SPEED_TARGET), speed >= SPEED_TARGET))
    moved = max(through['rbd sparse'])
    table.targets.append((
        'sparse by rbd: bytes through the client / allocated (%.3f, need '
        '<= %.2f)' % (moved / held, BYTES_TARGET),
        moved <= held * BYTES_TARGET))
    dense = report.paired(results['stream dense'].runs,
                          results['rbd dense'].runs)
    table.targets.append((
        'dense by rbd vs by stream (%.2f x faster, need >= %.1f)'
        % (dense, DENSE_TARGET), dense >= DENSE_TARGET))
    table.notes += [
        'copy phase: sparse %.2f x, dense %.2f x faster by rbd (the '
        'Seconds the command prints: record, data, Glance\'s check, final '
        'state; the rest is start-up, login and planning)' % (
            report.paired(results['stream sparse'].copy_seconds,
                          results['rbd sparse'].copy_seconds),
            report.paired(results['stream dense'].copy_seconds,
                          results['rbd dense'].copy_seconds)),
        'client CPU: the whole openstack command, its rbd export-diff and '
        'import-diff children included',
        'CPU ratio sparse stream / rbd: %.1f x; dense: %.1f x' % (
            results['stream sparse'].cpu / results['rbd sparse'].cpu,
            results['stream dense'].cpu / results['rbd dense'].cpu),
        'set-up: source images uploaded through Glance (its thin rbd '
        'store skips zero chunks of 8 MiB), not measured',
    ]
    for kind in ('sparse', 'dense'):
        check = measure.median(checks['rbd ' + kind])
        stream_copy = measure.median(
            results['stream ' + kind].copy_seconds)
        table.notes.append(
            "%s: Glance's own check took %.2f s of the rbd copy phase's "
            '%.2f s; the stream\'s copy phase / that check = %.1f x, the '
            'most the rbd path could gain with a copy that took no time' % (
                kind, check,
                measure.median(results['rbd ' + kind].copy_seconds),
                stream_copy / check))
    return table
