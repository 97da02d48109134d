# SPDX-License-Identifier: Apache-2.0
"""Section ``resume``: what source cuts cost a copy.

The same ``image migrate`` of one image, through a TCP proxy in front of the
source Glance (tests/functional/fixtures/proxy.py, pointed at by clouds.yaml's
``image_endpoint_override``): once with the proxy only forwarding, once with it
cutting the source download ``CUTS`` times. A resumed download costs a
reconnect, not a restart: the cut copy must keep at least ``TARGET`` of the
uncut one's speed, with one destination upload each (counted in the destination
Glance's log).
"""

import json
import os
import pathlib
import re
import sys
import tempfile

import yaml

import measure
import report

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tests.functional.fixtures import proxy  # noqa: E402

CUTS = 5
TARGET = 0.9
_UPLOAD = re.compile(rb'PUT /v2/images/([0-9a-f-]+)/file => ')


def _bent_env(bench, url, directory):
    """The bench's environment, its source images through ``url``."""
    config = yaml.safe_load(open(bench.info['clouds_yaml']))
    config['clouds']['src']['image_endpoint_override'] = url
    path = os.path.join(directory, 'clouds.yaml')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        yaml.safe_dump(config, f)
    return dict(bench.env, OS_CLIENT_CONFIG_FILE=path)


def _uploads_since(bench, mark, image_id):
    bench.requests.since(mark, lambda *a: None)  # waits for the log lines
    with open(bench.requests.logs['dst-glance'], 'rb') as f:
        f.seek(mark['dst-glance'])
        return sum(1 for m in map(_UPLOAD.search, f)
                   if m and m.group(1).decode() == image_id)


def _copy(bench, image_id, size, cuts, directory):
    """One migrate through the proxy: (copy seconds, wall, uploads)."""
    # The source Glance's own uWSGI port (plain HTTP): behind HAProxy the
    # catalog's port speaks TLS, and a proxy must cut bytes, not records.
    port = bench.info['backend_ports']['src-glance']
    if cuts:
        # Each connection is cut after this many bytes of its answer, so
        # the cuts spread over the image.
        cutter = proxy.FaultProxy(port, mode='cut',
                                  after_bytes=size // (cuts + 1),
                                  max_faults=cuts)
    else:
        cutter = proxy.FaultProxy(port, mode=None)
    try:
        env = _bent_env(bench, cutter.url, directory)
        mark = bench.requests.mark()
        run = measure.run_processes([[bench.cli(
            'src', 'image', 'migrate', '--dest-cloud', 'dst',
            '--no-progress', '--image', image_id, '-f', 'json')]], env,
            servers=bench.servers)
    finally:
        cutter.close()
    if not run.ok:
        raise measure.BenchError('image migrate failed: ' + run.error_tail())
    (row,) = json.loads(run.outputs[0])
    if row['Result'] != 'migrated':
        raise measure.BenchError('image migrate did not migrate: %s'
                                 % row['Detail'])
    if cutter.faults != cuts:
        raise measure.BenchError('the proxy made %d cuts, not %d'
                                 % (cutter.faults, cuts))
    record = bench.image('dst', row['Dest ID'])
    if record['status'] != 'active' or record['size'] != size:
        raise measure.BenchError('copy %s is %s with %s bytes' % (
            row['Dest ID'], record['status'], record['size']))
    uploads = _uploads_since(bench, mark, row['Dest ID'])
    bench.delete('dst', [row['Dest ID']])
    return row['Seconds'], run.wall, uploads


def resume(bench, size, repeat, log):
    """Section 7: a copy with CUTS source cuts vs the same copy uncut."""
    bench.check_disk(size * (2 * repeat + 1))
    log('resume: creating %d source images of %s'
        % (2 * repeat, report.size(size)))
    ids = bench.create_images(2 * repeat, threads=2, size=size, seed=7,
                              visibility='private')
    cases = {'uncut': [], '%d cuts' % CUTS: []}
    uploads = {name: [] for name in cases}
    try:
        with tempfile.TemporaryDirectory(prefix='osc-bench-') as directory:
            for round_no in range(repeat):
                for n, (name, cuts) in enumerate(
                        (('uncut', 0), ('%d cuts' % CUTS, CUTS))):
                    image_id = ids[2 * round_no + n]
                    seconds, wall, count = _copy(bench, image_id, size,
                                                 cuts, directory)
                    cases[name].append(seconds)
                    uploads[name].append(count)
                    log('resume: %s round %d/%d: %.1f s (wall %.1f s), %d '
                        'upload(s)' % (name, round_no + 1, repeat, seconds,
                                       wall, count))
    finally:
        bench.delete('src', ids)
    uncut = measure.median(cases['uncut'])
    table = report.Table(
        '7. One image of %s, source download cut %d times vs uncut (both '
        'through the proxy)' % (report.size(size), CUTS),
        ('case', 'copy s', 'MiB/s', 'x uncut', 'dest uploads', 'rounds'),
        [])
    for name, times in cases.items():
        seconds = measure.median(times)
        table.rows.append((name, '%.1f' % seconds,
                           '%.1f' % (size / seconds / measure.MiB),
                           '%.3f' % (uncut / seconds),
                           '/'.join(str(u) for u in uploads[name]),
                           len(times)))
    cut = measure.median(cases['%d cuts' % CUTS])
    table.targets.append(('%d source cuts keep >= %.1f of the uncut speed '
                          '(a cut costs a reconnect, not a restart)'
                          % (CUTS, TARGET), uncut / cut >= TARGET))
    table.targets.append(('one destination upload per copy', all(
        u == 1 for counts in uploads.values() for u in counts)))
    return table
