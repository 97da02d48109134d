# SPDX-License-Identifier: Apache-2.0
"""Section 11: a region migration by glance-download vs by stream.

Two regions of one Keystone: a sandbox of its own beside the bench's (its
state folder ``<state>-regions``, ports from the bench's + 60, the same
venv) in the ``regions`` topology, whose destination Glance enables
glance-download with its URL filter opened for the sandbox. The same
``image migrate`` of a fresh image of ``size`` runs with ``--data-path
glance-download`` (the destination Glance pulls the data) and with
``--data-path stream`` (through the client), rounds alternating, beside
``image migrate plan`` of the same image (the fixed cost: logging in,
reading both clouds).

Measured for each: wall time, the client's CPU seconds, and the bytes
the client process read and wrote (``/proc/self/io`` rchar + wchar at its
exit, through benchmarks/iocount.py: every read and write, the Python
modules it loads included, so a command that moves no image data still
shows some tens of MB). The destination Glance's own work (hashing,
writing) is in both cases; with glance-download it also downloads.
The sandbox is stopped at the end (not wiped: the next run starts it in
seconds).
"""

import json
import os
import re

import cloud
import measure
import report

MiB = measure.MiB
OFFLOAD, STREAM = 'migrate --data-path glance-download', (
    'migrate --data-path stream')
# Everything but the data: the client I/O and CPU any command spends.
PLAN = 'migrate plan (fixed cost)'
CASES = (OFFLOAD, STREAM, PLAN)
PATHS = {OFFLOAD: 'glance-download', STREAM: 'stream'}
HERE = os.path.dirname(os.path.abspath(__file__))
IOCOUNT = os.path.join(HERE, 'iocount.py')
# Where the regions sandbox's ports start, from the bench sandbox's: a
# sandbox takes base..base+19.
PORT_OFFSET = 60
_IO = re.compile(rb'client-io rchar=(\d+) wchar=(\d+)')


def regions_bench(bench, log):
    """A cloud.Bench on the regions sandbox (brought up as needed)."""
    sandbox = bench.sandbox
    state_dir = bench.state_dir.rstrip('/') + '-regions'
    port_base = bench.info['port_base'] + PORT_OFFSET
    log('regions: bringing up %s (ports from %d)' % (state_dir, port_base))
    sandbox.up(state_dir=state_dir, port_base=port_base,
               venv=bench.info['venv'], quiet=True, regions=1,
               dst=sandbox.GlanceVariant(import_methods=('glance-download',),
                                         open_import_filter=True))
    return cloud.Bench(state_dir, port_base, bench.info['venv'], quiet=True)


def client_io(run):
    """Bytes the client process read and wrote, from iocount.py's line."""
    match = _IO.search(run.errors[0])
    if not match:
        raise measure.BenchError('no client I/O figures: '
                                 + run.error_tail())
    return int(match.group(1)) + int(match.group(2))


def command(bench, image_id, *args):
    """``image migrate`` (or ``plan``) of one image, its I/O counted."""
    argv = bench.cli('src', 'image', 'migrate', *args, '--dest-cloud',
                     'dst', '-f', 'json', '--image', image_id,
                     runner=IOCOUNT)
    run = measure.run_processes([[argv]], bench.env, servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('image migrate failed: ' + run.error_tail())
    return run


def migrate(bench, image_id, name):
    """One ``image migrate`` of one image along the case's path."""
    run = command(bench, image_id, '--no-progress', '--data-path',
                  PATHS[name])
    rows = json.loads(run.outputs[0])
    if [r['Result'] for r in rows] != ['migrated']:
        raise measure.BenchError('image migrate did not migrate: %s' % rows)
    detail = rows[0]['Detail']
    if (name == OFFLOAD) != ('glance-download' in detail):
        raise measure.BenchError('%s took another path: %s' % (name, detail))
    return run, rows[0]['Dest ID']


def regions(bench, size, repeat, log):
    """``repeat`` rounds of both cases on images of ``size``."""
    box = regions_bench(bench, log)
    try:
        box.check_disk(size * 4 * repeat)
        log('regions: creating %d source images of %s'
            % (2 * repeat, report.size(size)))
        ids = box.create_images(2 * repeat, threads=2, size=size, seed=10,
                                visibility='private')
        fresh = {OFFLOAD: ids[:repeat], STREAM: ids[repeat:]}
        results = {name: measure.Case(name) for name in CASES}
        moved = {name: [] for name in CASES}

        def one_run(name, round_no):
            if name == PLAN:
                run = command(box, fresh[OFFLOAD][-1], 'plan')
            else:
                run, dest_id = migrate(box, fresh[name][round_no], name)
                record = box.image('dst', dest_id)
                if record['status'] != 'active' or record['size'] != size:
                    raise measure.BenchError('copy %s is %s with %s bytes'
                                             % (dest_id, record['status'],
                                                record['size']))
            results[name].add(run)
            moved[name].append(client_io(run))
            log('%s round %d/%d: %.1f s, %.2f CPU s, %.0f MB client I/O'
                % (name, round_no + 1, repeat, run.wall, run.cpu,
                   moved[name][-1] / 1e6))

        measure.alternate(CASES, repeat, one_run)
    finally:
        log('regions: deleting the images, stopping the sandbox')
        box.sweep()
        box.close()
        bench.sandbox.down(state_dir=box.state_dir, quiet=True)
    return regions_table(results, moved, size)


def regions_table(results, moved, size):
    """Both cases side by side, and the ratios of one to the other."""
    table = report.Table(
        '11. A region migration of one %s image: glance-download vs stream'
        % report.size(size),
        ('case', 'runs', 'wall s', 'spread', 'client CPU s',
         'client I/O MB', 'peak RSS MiB'), [])
    for name in CASES:
        case = results[name]
        table.rows.append((
            name, len(case.runs), '%.2f' % case.wall,
            measure.spread([r.wall for r in case.runs]), '%.2f' % case.cpu,
            '%.0f' % (measure.median(moved[name]) / 1e6),
            '%.0f' % (case.maxrss / MiB)))
    offload, stream = results[OFFLOAD], results[STREAM]
    fixed = measure.median(moved[PLAN])
    data = {name: measure.median(moved[name]) - fixed
            for name in (OFFLOAD, STREAM)}
    table.notes += [
        'glance-download / stream: wall %.2f x, client CPU %.2f x; client '
        'I/O beyond the plan\'s: %.1f MB vs %.0f MB for %.0f MB of image '
        'data' % (offload.wall / stream.wall, offload.cpu / stream.cpu,
                  data[OFFLOAD] / 1e6, data[STREAM] / 1e6, size / 1e6),
        'client I/O: the process\'s rchar + wchar (/proc/self/io), module '
        'loading included; the stream reads and writes every image byte',
    ]
    table.targets.append((
        'glance-download moves no image data through the client (client '
        'I/O beyond the plan\'s %.1f MB, need < 1 %% of the image)'
        % (data[OFFLOAD] / 1e6), data[OFFLOAD] < 0.01 * size))
    return table
