# SPDX-License-Identifier: Apache-2.0
"""Section ``limit-rate``: does ``--limit-rate`` hold the run to its rate?

One image alone, then several with ``--parallel`` sharing the one limit.
The rate that counts is the one on the wire: the bytes uploaded over the
time the destination Glance spent receiving them (its uWSGI log gives each
request's milliseconds; parallel uploads run side by side, so the longest
one is the window). The source's own times would not do: it finishes
writing into the socket buffers (megabytes on loopback) well before the
client has read the last bytes. The per-image times the command prints
also hold record creation and verification, so the rate from them is
shown too, below the limit by that overhead.
"""

import re

import measure
import report
import transfers

TOLERANCE = 0.05
_UPLOAD = re.compile(rb'PUT /v2/images/[0-9a-f-]+/file => generated '
                     rb'\d+ bytes in (\d+) msecs')


def upload_seconds_since(bench, mark):
    """The durations of the destination's data uploads since ``mark``."""
    bench.requests.since(mark, lambda *a: None)  # waits for the log lines
    with open(bench.requests.logs['dst-glance'], 'rb') as f:
        f.seek(mark['dst-glance'])
        return [int(m.group(1)) / 1000.0 for m in map(_UPLOAD.search, f)
                if m]


def limit_rate(bench, rate, size, count, repeat, log):
    per_round = 1 + count
    bench.check_disk(size * per_round * repeat * 2)
    log('limit-rate: creating %d source images of %s'
        % (per_round * repeat, report.size(size)))
    ids = bench.create_images(per_round * repeat, threads=2, size=size,
                              seed=5, visibility='private')
    limit = ['--limit-rate', '%dK' % (rate // 1024)]
    rows = []
    try:
        for round_no in range(repeat):
            batch = ids[round_no * per_round:(round_no + 1) * per_round]
            for images, parallel in ((batch[:1], 1), (batch[1:], count)):
                log('limit-rate: round %d, %d image(s), --parallel %d'
                    % (round_no + 1, len(images), parallel))
                mark = bench.requests.mark()
                run, seconds, _ = transfers.migrate(
                    bench, images, parallel=parallel, extra=limit)
                uploads = upload_seconds_since(bench, mark)
                if len(uploads) != len(images):
                    raise measure.BenchError(
                        'expected %d uploads in the destination log, found '
                        '%d' % (len(images), len(uploads)))
                rows.append((parallel, len(images) * size / max(uploads),
                             len(images) * size / seconds))
    finally:
        bench.delete('src', ids)
    table = report.Table(
        '6. --limit-rate %s/s: achieved rate vs the limit (%s images)'
        % (report.size(rate), report.size(size)),
        ('case', 'wire MiB/s', 'x limit', 'per-image MiB/s', 'x limit',
         'rounds'), [])
    for parallel in (1, count):
        wire = measure.median([w for p, w, _ in rows if p == parallel])
        whole = measure.median([r for p, _, r in rows if p == parallel])
        table.rows.append((
            '--parallel %d' % parallel, '%.2f' % (wire / measure.MiB),
            '%.3f' % (wire / rate), '%.2f' % (whole / measure.MiB),
            '%.3f' % (whole / rate), repeat))
        table.targets.append((
            '%d image(s) at once: wire rate within %d %% of the limit'
            % (parallel, TOLERANCE * 100),
            abs(wire / rate - 1) <= TOLERANCE))
    return table
