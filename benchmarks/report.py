# SPDX-License-Identifier: Apache-2.0
"""Tables and target checks, from the measured cases.

Throughput ratios are written ``migrate x``: the reference's median wall
time divided by migrate's, i.e. migrate's MiB/s over the reference's
(above 1: migrate is faster).
"""

import dataclasses

import measure
from measure import GiB
from measure import MiB

RSS_LIMIT = 150 * MiB
RSS_GROWTH = 1.10
# Plan time targets (seconds) by image count; the smallest target at or
# above a count applies to it, and the first one to a smaller last count.
PLAN_LIMITS = ((2000, 15.0), (10000, 30.0))
CPU_PER_GIB = 2.0  # issue 12: client CPU per GiB copied, hash on


@dataclasses.dataclass
class Table:
    title: str
    columns: tuple
    rows: list
    notes: list = dataclasses.field(default_factory=list)
    targets: list = dataclasses.field(default_factory=list)  # (what, met)

    def render(self):
        cells = [tuple(str(c) for c in self.columns)] + [
            tuple('' if c is None else str(c) for c in row)
            for row in self.rows]
        widths = [max(len(row[i]) for row in cells)
                  for i in range(len(self.columns))]
        lines = [self.title, '']
        for number, row in enumerate(cells):
            lines.append('  ' + '  '.join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths))).rstrip())
            if number == 0:
                lines.append('  ' + '  '.join('-' * w for w in widths))
        lines += ['  ' + note for note in self.notes]
        lines += ['  target: %s  %s' % ('MET ' if met else 'MISS', what)
                  for what, met in self.targets]
        return '\n'.join(lines)


def size(n):
    if n >= GiB and n % GiB == 0:
        return '%d GiB' % (n // GiB)
    if n >= MiB and n % MiB == 0:
        return '%d MiB' % (n // MiB)
    return '%d bytes' % n


def parse_size(text):
    """'1G', '256M', '512K' or a plain number of MiB -> bytes."""
    text = text.strip().upper().rstrip('IB')
    units = {'K': 1024, 'M': MiB, 'G': GiB, 'T': 1024 * GiB}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(float(text) * MiB)


def paired(reference, runs):
    """Median over the rounds of reference time / time, round by round.

    Each round ran the cases back to back, so pairing them cancels most
    of the load that other work on the machine adds to a whole round.
    ``runs`` are Runs or plain seconds.
    """
    def seconds(run):
        return getattr(run, 'wall', run)

    return measure.median([seconds(r) / seconds(m)
                           for r, m in zip(reference, runs)])


def _share(case, service):
    return '%d%%' % round(100 * case.server_share(service))


def copy_table(title, results, total, main):
    """Rows: each case's wall time, MiB/s, ratio, CPU, RSS, server CPU.

    A migrate case also gets a row for its copy phase alone.
    """
    ref = results[main]
    rows = []
    for name, case in results.items():
        rows.append((
            name, len(case.runs), '%.2f' % case.wall,
            measure.spread([r.wall for r in case.runs]),
            '%.1f' % (total / MiB / case.wall),
            '%.2f' % paired(case.runs, ref.runs),
            '%.2f' % case.cpu, '%.0f' % (case.maxrss / MiB),
            _share(case, 'src-glance'), _share(case, 'dst-glance')))
        if case.copy_seconds:
            copy_s = measure.median(case.copy_seconds)
            rows.append((
                '%s, copy phase' % name, len(case.copy_seconds),
                '%.2f' % copy_s, measure.spread(case.copy_seconds),
                '%.1f' % (total / MiB / copy_s), '', '', '', '', ''))
    table = Table(title, (
        'case', 'runs', 'median s', 'range s', 'MiB/s', 'migrate x',
        'client CPU s', 'peak RSS MiB', 'src Glance CPU',
        'dst Glance CPU'), rows)
    if ref.copy_seconds:
        table.notes.append(
            "'copy phase' = the Seconds column migrate prints itself "
            "(record creation, data, checks, final state); the other %.1f s "
            "of the command are start-up (OpenStackClient), login and "
            "planning" % (ref.wall - measure.median(ref.copy_seconds)))
    table.notes.append(
        "'migrate x' = median over rounds of this row's time / migrate's "
        "whole command in the same round (above 1: migrate faster); "
        "Glance CPU = share of one core used by that server's processes "
        "during the run (median)")
    table.notes.append(
        "'hashing off' = benchmarks/nohash.py: the same CLI with the "
        "sha512 check of the stream patched out (benchmark only)")
    return table


def add_copy_ratio_note(table, results, case, reference):
    """How a migrate variant's copy phase compares with a reference."""
    if results[case].copy_seconds:
        table.notes.append('%s, copy phase: %.2f x the %s (paired rounds)' % (
            case, paired(results[reference].runs,
                         results[case].copy_seconds), reference))


def add_ratio_target(table, results, main, reference, minimum, what,
                     copy_phase=True):
    """Check the whole command against the reference, then its copy phase.

    The copy phase is compared only with references that are bare data
    pipes whose set-up (tokens, records) happened before the clock ran.
    """
    ref = results[reference].runs
    ratio = paired(ref, results[main].runs)
    table.targets.append((
        '%s, whole command (%.2f x, need >= %.2f)' % (what, ratio, minimum),
        ratio >= minimum))
    if copy_phase and results[main].copy_seconds:
        ratio = paired(ref, results[main].copy_seconds)
        table.targets.append((
            '%s, copy phase (%.2f x, need >= %.2f)'
            % (what, ratio, minimum), ratio >= minimum))


def memory_table(baseline, rows):
    smallest = rows[0][1].maxrss
    table_rows = [('image migrate plan (no data)', '-',
                   '%.2f' % baseline.wall, '-',
                   '%.0f' % (baseline.maxrss / MiB), '%.2f' % baseline.cpu,
                   '')]
    for image_size, run, copy_s in rows:
        table_rows.append((
            'image migrate', size(image_size), '%.2f' % run.wall,
            '%.1f' % (image_size / MiB / copy_s),
            '%.0f' % (run.maxrss / MiB), '%.2f' % run.cpu,
            '%.3f' % (run.maxrss / smallest)))
    table = Table('3. Memory: peak RSS of the migrate process', (
        'run', 'image', 'wall s', 'copy MiB/s', 'peak RSS MiB', 'CPU s',
        'RSS / smallest'), table_rows)
    table.notes.append('peak RSS = VmHWM of the CLI process itself, '
                       'sampled from /proc every 10 ms')
    largest = max(run.maxrss for _, run, _ in rows)
    table.targets.append((
        'peak RSS < %d MiB at any size (max %.0f MiB)'
        % (RSS_LIMIT // MiB, largest / MiB), largest < RSS_LIMIT))
    growth = rows[-1][1].maxrss / smallest
    table.targets.append((
        '%s within %d %% of %s (%.3f x)' % (
            size(rows[-1][0]), round((RSS_GROWTH - 1) * 100),
            size(rows[0][0]), growth), growth <= RSS_GROWTH))
    return table


def cpu_table(results, image_size, micro, baseline):
    """CPU of the large-image runs beyond the 1 MiB baseline, per GiB."""
    base = results[baseline]
    gib = (image_size - MiB) / GiB
    rows = []
    for name, case in results.items():
        per_gib = '' if name == baseline else '%.2f' % (
            (case.cpu - base.cpu) / gib)
        copy_s = measure.median(case.copy_seconds)
        mib_s = '' if name == baseline else '%.1f' % (
            image_size / MiB / copy_s)
        rows.append((name, len(case.runs), '%.2f' % case.wall, mib_s,
                     '%.2f' % case.cpu, per_gib))
    for algo, seconds in micro.items():
        rows.append(('VerifiedStream in memory, hash %s' % algo, '', '',
                     '', '', '%.2f' % seconds))
    table = Table(
        '5. CPU seconds per GiB copied (image of %s)' % size(image_size),
        ('case', 'runs', 'median s', 'copy MiB/s', 'CPU s (user+sys)',
         'CPU s/GiB'), rows)
    table.notes += [
        "CPU s/GiB = (median CPU of the run - median CPU of '%s') / GiB "
        "of difference: the baseline has the same start-up, login, "
        "planning and per-image calls" % baseline,
        "'hashing off' = benchmarks/nohash.py: the same CLI with "
        "model.data_hash() patched to say 'no hash' (benchmark "
        "only; the product has no such switch)",
        "'VerifiedStream in memory' = the same stream class fed from "
        "memory, in this process: the stream's own cost, no network",
    ]
    if 'migrate' in results:
        per_gib = (results['migrate'].cpu - base.cpu) / gib
        table.targets.append((
            'migrate CPU <= %.1f s/GiB, verification on (%.2f s/GiB)'
            % (CPU_PER_GIB, per_gib), per_gib <= CPU_PER_GIB))
    return table


def server_shares(case):
    """'src%/dst%': the share of one core each Glance used (medians)."""
    return '%s/%s' % (_share(case, 'src-glance'), _share(case, 'dst-glance'))


def plan_limit(count):
    for most, limit in PLAN_LIMITS:
        if count <= most:
            return limit
    return None


def plan_targets(table, points):
    """Time targets; requests must grow with pages, not with images.

    ``points`` are ``(count, visibilities, requests, wall, maxrss)``.
    """
    timed = [p for p in points if plan_limit(p[0]) is not None
             and (p[0] in dict(PLAN_LIMITS) or p is points[-1])]
    for count, _, _, wall, _ in timed:
        table.targets.append(('plan of %d images < %.0f s (%.2f s)'
                              % (count, plan_limit(count), wall),
                              wall < plan_limit(count)))
    first, last = points[0], points[-1]
    if last[0] - first[0] >= 1000:  # below that, the slope is noise
        table.notes.append(
            'peak RSS grows by %.1f MiB per 1,000 images (%d -> %d images: '
            '%.0f -> %.0f MiB)' % (
                (last[4] - first[4]) / MiB * 1000 / (last[0] - first[0]),
                first[0], last[0], first[4] / MiB, last[4] / MiB))
    grown = []
    for service in ('src-glance', 'dst-glance', 'src-keystone',
                    'dst-keystone'):
        kinds = ('keystone',) if service.endswith('keystone') else (
            'other',)
        grown += ['%s %s %d -> %d' % (service, k, first[2][service][k],
                                      last[2][service][k])
                  for k in kinds
                  if last[2][service][k] > first[2][service][k]]
    table.targets.append((
        'requests other than list pages and member lists do not grow '
        'with images (%d -> %d images)%s' % (
            first[0], last[0], ': ' + ', '.join(grown) if grown else ''),
        not grown))
    pages = (sum(last[1].values()) - sum(first[1].values())) // 1000 + 1
    extra = (last[2]['src-glance']['list']
             - first[2]['src-glance']['list'])
    table.targets.append((
        'source list requests grow with pages of 1000 (+%d requests for '
        '+%d images)' % (extra, sum(last[1].values())
                         - sum(first[1].values())), extra <= pages))
    shared = last[1].get('shared', 0)
    members = last[2]['src-glance']['members']
    table.targets.append((
        'member lists read once per shared source image, no more (%d '
        'reads, %d shared images)' % (members, shared), members <= shared))
