# SPDX-License-Identifier: Apache-2.0
"""Section ``bundle``: a bundle's two legs against curl and a file.

Export (``image migrate --to-bundle``) of one image vs ``curl`` of the
same image into a file; import (``image migrate --from-bundle``) of that
bundle vs ``curl -T`` of the same data file into an empty destination
record. The four cases run in that order in every round, so each leg is
compared with its reference in the same round (paired medians, as
everywhere in the benchmark), and the import and ``curl -T`` read the
same file, equally warm in the page cache.

The export does more than curl by design: it hashes the data twice (the
record's algorithm over the whole image, sha256 per chunk) and fsyncs
each 64 MiB chunk before listing it, so a killed export keeps what it
listed. The import checks each chunk's sha256 on the way and the
record's hash before the upload ends. The targets say what that may
cost: each leg at least ``TARGET`` of its reference's speed.

Memory: a small image is exported and imported once too; the large
image's peak RSS must be within report.RSS_GROWTH of the small one's,
for each leg.
"""

import json
import os
import shutil
import tempfile

import measure
from measure import MiB
import report
import transfers

TARGET = 0.9
SMALL = 64 * MiB
EXPORT, CURL_GET = 'export --to-bundle', 'curl GET > file'
IMPORT, CURL_PUT = 'import --from-bundle', 'curl -T file'
CASES = (EXPORT, CURL_GET, IMPORT, CURL_PUT)


def _rows(run, what):
    if not run.ok:
        raise measure.BenchError('%s failed: %s' % (what, run.error_tail()))
    rows = json.loads(run.outputs[0])
    bad = [r for r in rows if r['Result'] != 'migrated']
    if bad or len(rows) != 1:
        raise measure.BenchError('%s did not migrate: %s' % (what, [
            (r['Name'], r['Result'], r['Detail']) for r in rows]))
    return rows[0]


def export(bench, image_id, root):
    """``--to-bundle root``: (Run, copy seconds)."""
    run = measure.run_processes([[bench.cli(
        'src', 'image', 'migrate', '--to-bundle', root, '--image', image_id,
        '--no-public-and-shared', '--no-progress', '-f', 'json')]],
        bench.env, servers=bench.servers)
    return run, _rows(run, 'export')['Seconds']


def import_(bench, image_id, root):
    """``--from-bundle root``, no source cloud: (Run, seconds, dest ID)."""
    run = measure.run_processes([[[
        bench.openstack, 'image', 'migrate', '--from-bundle', root,
        '--dest-cloud', 'dst', '--image', image_id, '--no-public-and-shared',
        '--no-progress', '-f', 'json']]], bench.env, servers=bench.servers)
    row = _rows(run, 'import')
    return run, row['Seconds'], row['Dest ID']


def curl_get(bench, image_id, path):
    run = measure.run_processes([[
        transfers.CURL + bench.curl_tls('src') + [
            '-H', '@' + bench.header_file('src'), '-o', path,
            bench.file_url('src', image_id)]]], bench.env,
        servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('curl GET failed: ' + run.error_tail())
    return run


def curl_put(bench, path, dest_id):
    run = measure.run_processes([[
        transfers.CURL + bench.curl_tls('dst') + [
            '-H', '@' + bench.header_file('dst'), '-H', 'Expect:',
            '-H', 'Content-Type: application/octet-stream', '-T', path,
            '-o', '/dev/null', bench.file_url('dst', dest_id)]]],
        bench.env, servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('curl -T failed: ' + run.error_tail())
    return run


def _data_file(root, image_id):
    return os.path.join(root, 'images', '%s.data' % image_id)


def _round(bench, image_id, size, work, results, log, label):
    """The four cases once, in order; everything made is removed."""
    root = os.path.join(work, 'bundle')
    fetched = os.path.join(work, 'curl.data')
    try:
        run, seconds = export(bench, image_id, root)
        if os.path.getsize(_data_file(root, image_id)) != size:
            raise measure.BenchError('the exported file is not %d bytes'
                                     % size)
        results[EXPORT].add(run, seconds)
        results[CURL_GET].add(curl_get(bench, image_id, fetched))
        os.unlink(fetched)
        run, seconds, dest_id = import_(bench, image_id, root)
        transfers.check_copies(bench, [dest_id], size)
        bench.delete('dst', [dest_id])
        results[IMPORT].add(run, seconds)
        ref = bench.queued_dest('bench-bundle-ref')
        results[CURL_PUT].add(curl_put(bench, _data_file(root, image_id),
                                       ref))
        transfers.check_copies(bench, [ref], size)
        bench.delete('dst', [ref])
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if os.path.exists(fetched):
            os.unlink(fetched)
    log('bundle %s: %s' % (label, ', '.join(
        '%s %.1f s' % (name, results[name].runs[-1].wall)
        for name in CASES)))


def bundle(bench, size, repeat, log):
    """Section 9: export and import of a bundle vs curl and a file."""
    bench.check_disk(size * 4 + SMALL * 4)
    log('bundle: creating source images of %s and %s'
        % (report.size(size), report.size(SMALL)))
    big = bench.create_image(size=size, seed=9, visibility='private')
    small = bench.create_image(size=SMALL, seed=9, visibility='private')
    results = {name: measure.Case(name) for name in CASES}
    smallest = {name: measure.Case(name) for name in CASES}
    work = tempfile.mkdtemp(prefix='osc-bench-bundle-',
                            dir=bench.private_dir())
    try:
        _round(bench, small, SMALL, work, smallest, log, 'small image')
        for round_no in range(repeat):
            _round(bench, big, size, work, results, log,
                   'round %d/%d' % (round_no + 1, repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        bench.delete('src', [big, small])
    return _table(results, smallest, size)


def _table(results, smallest, size):
    rows = []
    pairs = {EXPORT: CURL_GET, IMPORT: CURL_PUT}
    for name, case in results.items():
        reference = pairs.get(name)
        rows.append((
            name, len(case.runs), '%.2f' % case.wall,
            measure.spread([r.wall for r in case.runs]),
            '%.1f' % (size / MiB / case.wall),
            '%.2f' % report.paired(results[reference].runs, case.runs)
            if reference else '',
            '%.2f' % case.cpu, '%.0f' % (case.maxrss / MiB),
            '%.0f' % (smallest[name].maxrss / MiB),
            report.server_shares(case)))
        if case.copy_seconds:
            copy_s = measure.median(case.copy_seconds)
            rows.append((
                '%s, copy phase' % name, len(case.copy_seconds),
                '%.2f' % copy_s, measure.spread(case.copy_seconds),
                '%.1f' % (size / MiB / copy_s),
                '%.2f' % report.paired(results[reference].runs,
                                       case.copy_seconds),
                '', '', '', ''))
    table = report.Table(
        '9. A bundle of one image of %s: export vs curl to a file, import '
        'vs curl -T from that file' % report.size(size),
        ('case', 'runs', 'median s', 'range s', 'MiB/s', 'x reference',
         'client CPU s', 'peak RSS MiB', 'RSS %s' % report.size(SMALL),
         'src/dst Glance CPU'), rows)
    table.notes += [
        "'x reference' = median over rounds of the reference's time / "
        "this row's (export: curl GET > file; import: curl -T file); above "
        "1: faster than the reference",
        "'copy phase' = the Seconds column migrate prints itself; the "
        "rest of the command is OpenStackClient's start-up, login and "
        "planning",
        "peak RSS = VmHWM of the process itself; 'RSS %s' = the same "
        "command for an image of %s" % (report.size(SMALL),
                                        report.size(SMALL)),
    ]
    for name, reference in pairs.items():
        ratio = report.paired(results[reference].runs, results[name].runs)
        table.targets.append((
            '%s vs %s, whole command (%.2f x, need >= %.2f)'
            % (name, reference, ratio, TARGET), ratio >= TARGET))
        ratio = report.paired(results[reference].runs,
                              results[name].copy_seconds)
        table.targets.append((
            '%s vs %s, copy phase (%.2f x, need >= %.2f)'
            % (name, reference, ratio, TARGET), ratio >= TARGET))
        growth = results[name].maxrss / smallest[name].maxrss
        table.targets.append((
            '%s peak RSS flat: %s within %d %% of %s (%.0f vs %.0f MiB, '
            '%.3f x)' % (name, report.size(size),
                         round((report.RSS_GROWTH - 1) * 100),
                         report.size(SMALL), results[name].maxrss / MiB,
                         smallest[name].maxrss / MiB, growth),
            growth <= report.RSS_GROWTH))
    return table
