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

Both legs are also compared with the same work done by bare tools, side
by side (the brief's "same requests made by a bare parallel client"):
``curl`` into a file through ``tee`` into ``openssl dgst`` for sha512 and
for sha256, then ``sync`` of the file, for the export; ``curl -T`` of the
file with both ``openssl dgst`` of it running beside it, for the import.
OpenSSL's hashes are the ones Python's hashlib runs (coreutils'
``sha256sum`` is about 5 times slower here, which would flatter us).
On two cores shared with both Glances and HAProxy, the hashes' CPU is
time that plain ``curl`` does not pay: the ratio to these floors says how
much of a miss against plain ``curl`` is our code and how much the
machine.

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
EXPORT_FLOOR = 'curl | tee file, sha512, sha256; sync'
IMPORT_FLOOR = 'curl -T file & sha512 & sha256'
CASES = (EXPORT, CURL_GET, EXPORT_FLOOR, IMPORT, CURL_PUT, IMPORT_FLOOR)
# Each leg's references: plain curl (the target) and the floor.
REFERENCES = {EXPORT: (CURL_GET, EXPORT_FLOOR),
              IMPORT: (CURL_PUT, IMPORT_FLOOR)}
# curl into a file and into both hashes at once (a fifo feeds sha256sum),
# then the file made durable as the export's fsyncs make it: "$1" the
# fifo's directory, "$2" the file, the rest curl's argv.
_GET_HASHED = """set -e -o pipefail
mkfifo "$1/sha256"
openssl dgst -sha256 < "$1/sha256" > /dev/null &
hasher=$!
"${@:3}" | tee "$2" "$1/sha256" | openssl dgst -sha512 > /dev/null
wait "$hasher"
sync "$2"
"""
# curl -T of the file while both hashes read it: "$1" the file, the rest
# curl's argv.
_PUT_HASHED = """set -e
openssl dgst -sha512 "$1" > /dev/null &
a=$!
openssl dgst -sha256 "$1" > /dev/null &
b=$!
"${@:2}"
wait "$a"
wait "$b"
"""


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


def _curl_get(bench, image_id, *options):
    """curl's argv for a GET of the image's data (stdout unless -o)."""
    return transfers.CURL + bench.curl_tls('src') + [
        '-H', '@' + bench.header_file('src'), *options,
        bench.file_url('src', image_id)]


def _curl_put(bench, path, dest_id):
    """curl's argv for a PUT of the file into the empty record."""
    return transfers.CURL + bench.curl_tls('dst') + [
        '-H', '@' + bench.header_file('dst'), '-H', 'Expect:',
        '-H', 'Content-Type: application/octet-stream', '-T', path,
        '-o', '/dev/null', bench.file_url('dst', dest_id)]


def _run(bench, argv, what):
    """One process, timed; a BenchError naming ``what`` if it failed."""
    run = measure.run_processes([[argv]], bench.env, servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('%s failed: %s' % (what, run.error_tail()))
    return run


def curl_get(bench, image_id, path):
    return _run(bench, _curl_get(bench, image_id, '-o', path), 'curl GET')


def curl_put(bench, path, dest_id):
    return _run(bench, _curl_put(bench, path, dest_id), 'curl -T')


def curl_get_hashed(bench, image_id, path, work):
    """The export's work by bare tools: curl, tee, both hashes, sync."""
    fifo_dir = tempfile.mkdtemp(prefix='fifo-', dir=work)
    try:
        return _run(bench, [
            'bash', '-c', _GET_HASHED, 'get-hashed', fifo_dir, path]
            + _curl_get(bench, image_id), 'curl | openssl dgst')
    finally:
        shutil.rmtree(fifo_dir, ignore_errors=True)


def curl_put_hashed(bench, path, dest_id):
    """The import's work by bare tools: curl -T beside both hashes."""
    return _run(bench, [
        'bash', '-c', _PUT_HASHED, 'put-hashed', path]
        + _curl_put(bench, path, dest_id), 'curl -T & openssl dgst')


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
        results[EXPORT_FLOOR].add(curl_get_hashed(bench, image_id, fetched,
                                                  work))
        if os.path.getsize(fetched) != size:
            raise measure.BenchError('curl | tee wrote %d bytes, not %d'
                                     % (os.path.getsize(fetched), size))
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
        ref = bench.queued_dest('bench-bundle-floor')
        results[IMPORT_FLOOR].add(curl_put_hashed(
            bench, _data_file(root, image_id), ref))
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


def _ratios(results, name, measured):
    """(x curl, x floor) of ``measured`` (Runs or copy seconds), paired."""
    return tuple(report.paired(results[reference].runs, measured)
                 for reference in REFERENCES[name])


def _table(results, smallest, size):
    rows = []
    for name, case in results.items():
        ratios = (_ratios(results, name, case.runs) if name in REFERENCES
                  else None)
        rows.append((
            name, len(case.runs), '%.2f' % case.wall,
            measure.spread([r.wall for r in case.runs]),
            '%.1f' % (size / MiB / case.wall),
            '%.2f' % ratios[0] if ratios else '',
            '%.2f' % ratios[1] if ratios else '',
            '%.2f' % case.cpu, '%.0f' % (case.maxrss / MiB),
            '%.0f' % (smallest[name].maxrss / MiB),
            report.server_shares(case)))
        if case.copy_seconds:
            copy_s = measure.median(case.copy_seconds)
            ratios = _ratios(results, name, case.copy_seconds)
            rows.append((
                '%s, copy phase' % name, len(case.copy_seconds),
                '%.2f' % copy_s, measure.spread(case.copy_seconds),
                '%.1f' % (size / MiB / copy_s), '%.2f' % ratios[0],
                '%.2f' % ratios[1], '', '', '', ''))
    table = report.Table(
        '9. A bundle of one image of %s: export vs curl to a file, import '
        'vs curl -T from that file' % report.size(size),
        ('case', 'runs', 'median s', 'range s', 'MiB/s', 'x curl',
         'x floor', 'client CPU s', 'peak RSS MiB',
         'RSS %s' % report.size(SMALL), 'src/dst Glance CPU'), rows)
    table.notes += [
        "'x curl' = median over rounds of plain curl's time / this row's "
        "(export: curl GET > file; import: curl -T file); 'x floor' = the "
        "same against the leg's work done by bare tools beside each other "
        "('%s'; '%s'); above 1: faster" % (EXPORT_FLOOR, IMPORT_FLOOR),
        "'copy phase' = the Seconds column migrate prints itself; the "
        "rest of the command is OpenStackClient's start-up, login and "
        "planning",
        "peak RSS = VmHWM of the process itself; 'RSS %s' = the same "
        "command for an image of %s" % (report.size(SMALL),
                                        report.size(SMALL)),
    ]
    for name, references in REFERENCES.items():
        for reference in references:
            for phase, measured in (
                    ('whole command', results[name].runs),
                    ('copy phase', results[name].copy_seconds)):
                ratio = report.paired(results[reference].runs, measured)
                table.targets.append((
                    '%s vs %s, %s (%.2f x, need >= %.2f)'
                    % (name, reference, phase, ratio, TARGET),
                    ratio >= TARGET))
        growth = results[name].maxrss / smallest[name].maxrss
        table.targets.append((
            '%s peak RSS flat: %s within %d %% of %s (%.0f vs %.0f MiB, '
            '%.3f x)' % (name, report.size(size),
                         round((report.RSS_GROWTH - 1) * 100),
                         report.size(SMALL), results[name].maxrss / MiB,
                         smallest[name].maxrss / MiB, growth),
            growth <= report.RSS_GROWTH))
    return table
