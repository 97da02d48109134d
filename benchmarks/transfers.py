# SPDX-License-Identifier: Apache-2.0
"""The data-moving sections: one image, parallel images, memory, CPU.

Each section creates its source images first (set-up, not measured), then
runs its cases in alternation (A B C A B C ...) and compares medians. An
``image migrate`` run needs a source image never copied before (the copy
keeps the source ID, and a deleted destination ID stays burned), so each
migrate run gets its own source image holding the same data; the
references (curl pipe, Python pipe, ``image save | image create``) can
read the same source image every time, since they create their own
destination records.
"""

import hashlib
import json
import os
import sys
import time

import measure
from measure import GiB
from measure import MiB
import report

HERE = os.path.dirname(os.path.abspath(__file__))
PYPIPE = os.path.join(HERE, 'pypipe.py')
NOHASH = os.path.join(HERE, 'nohash.py')
CURL = ['curl', '-sS', '--fail', '--noproxy', '*']
BASELINE = 'migrate, 1 MiB image'
HASHING_OFF = 'migrate, hashing off'


# -- the commands ----------------------------------------------------------

def migrate(bench, image_ids, hashing=True, parallel=None, extra=(),
            env=None):
    """``image migrate`` of these images (``env``: default bench.env).

    Returns the Run, the copy phase in seconds (the longest of the
    per-image times the command prints; with ``--parallel`` at least the
    number of images they all start together) and the destination IDs.
    """
    args = ['image', 'migrate', '--dest-cloud', 'dst', '--no-progress',
            '-f', 'json']
    for image_id in image_ids:
        args += ['--image', image_id]
    if parallel:
        args += ['--parallel', str(parallel)]
    args += list(extra)
    argv = bench.cli('src', *args, runner=None if hashing else NOHASH)
    run = measure.run_processes([[argv]], env or bench.env,
                                servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('image migrate failed: ' + run.error_tail())
    rows = json.loads(run.outputs[0])
    bad = [r for r in rows if r['Result'] != 'migrated']
    if bad or len(rows) != len(image_ids):
        raise measure.BenchError('image migrate did not migrate: %s' % [
            (r['Name'], r['Result'], r['Detail']) for r in bad])
    if b'retrying' in run.errors[0]:
        # A retried copy moved some data twice: not a comparable time.
        raise measure.BenchError('image migrate retried a copy: '
                                 + run.error_tail())
    return run, max(r['Seconds'] for r in rows), [r['Dest ID'] for r in rows]


def plan_only(bench, image_id):
    """``image migrate plan`` of one image: start-up + reading, no data."""
    argv = bench.cli('src', 'image', 'migrate', 'plan', '--dest-cloud',
                     'dst', '--image', image_id, '-f', 'json')
    run = measure.run_processes([[argv]], bench.env,
                                servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('image migrate plan failed: '
                                 + run.error_tail())
    return run


def curl_pipes(bench, pairs):
    """``curl GET src | curl -T - PUT dst`` for each (source, dest) pair."""
    src_header = bench.header_file('src')
    dst_header = bench.header_file('dst')
    pipelines = [[
        CURL + bench.curl_tls('src') + [
            '-H', '@' + src_header, bench.file_url('src', source)],
        # "Expect:" off: uWSGI sends no "100 Continue", and curl would
        # wait a second for it before sending the body.
        CURL + bench.curl_tls('dst') + [
            '-H', '@' + dst_header, '-H', 'Expect:', '-H',
            'Content-Type: application/octet-stream', '-T', '-',
            '-o', '/dev/null', bench.file_url('dst', dest)],
    ] for source, dest in pairs]
    run = measure.run_processes(pipelines, bench.env, servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('curl pipe failed: ' + run.error_tail())
    return run


def python_pipes(bench, pairs):
    """The same pairs through benchmarks/pypipe.py (threads, no hash)."""
    spec = {'src_token': bench.token('src'), 'dst_token': bench.token('dst'),
            'chunk_size': MiB,
            'verify': [bench.cafile('src') or True,
                       bench.cafile('dst') or True],
            'pairs': [[bench.file_url('src', s), bench.file_url('dst', d)]
                      for s, d in pairs]}
    run = measure.run_processes([[[sys.executable, PYPIPE]]],
                                bench.env,
                                stdin_data=json.dumps(spec).encode(),
                                servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('python pipe failed: ' + run.error_tail())
    return run


def save_create(bench, source, name):
    """``openstack image save | openstack image create`` (OSC defaults).

    Tried twice: ``image save`` downloads at once, but ``image create``
    reads the pipe only after its own start-up, login and record, and a
    uWSGI source drops a client that stalls for its socket timeout (4 s).
    A failed try leaves a queued record with the run's tag (swept).
    """
    for _ in range(2):
        run = measure.run_processes([[
            bench.cli('src', 'image', 'save', source),
            bench.cli('dst', 'image', 'create', '--disk-format', 'raw',
                      '--container-format', 'bare', '--tag', bench.run_tag,
                      name, '-f', 'json', '-c', 'id'),
        ]], bench.env, servers=bench.servers)
        if run.ok:
            break
    if not run.ok:
        raise measure.BenchError('image save | image create failed: '
                                 + run.error_tail())
    return run, json.loads(run.outputs[1])['id']


def check_copies(bench, dest_ids, size):
    """Each destination copy must be active and hold ``size`` bytes."""
    for dest_id in dest_ids:
        record = bench.image('dst', dest_id)
        if record['status'] != 'active' or record['size'] != size:
            raise measure.BenchError(
                'destination image %s is %s with %s bytes, expected active '
                'with %d' % (dest_id, record['status'], record['size'], size))


# -- sections ---------------------------------------------------------------

def _copy_cases(bench, cases, sources, migrate_sets, size_each, repeat,
                parallel=None, log=None):
    """Alternate the copy cases; every copy is checked, then deleted.

    ``migrate_sets`` maps each migrate case to one list of fresh source
    images per round.
    """
    results = {name: measure.Case(name) for name in cases}

    def one_run(name, round_no):
        if name in ('curl pipe', 'python pipe'):
            refs = [(s, bench.queued_dest('bench-ref')) for s in sources]
        if name in migrate_sets:
            run, copy_s, dest_ids = migrate(
                bench, migrate_sets[name][round_no], parallel=parallel,
                hashing=name != HASHING_OFF)
        elif name == 'curl pipe':
            run, copy_s = curl_pipes(bench, refs), None
            dest_ids = [d for _, d in refs]
        elif name == 'python pipe':
            run, copy_s = python_pipes(bench, refs), None
            dest_ids = [d for _, d in refs]
        else:
            run, dest_id = save_create(bench, sources[0], 'bench-saved')
            copy_s, dest_ids = None, [dest_id]
        check_copies(bench, dest_ids, size_each)
        bench.delete('dst', dest_ids)
        results[name].add(run, copy_s)
        if log:
            log('%s round %d/%d: %.1f s'
                % (name, round_no + 1, repeat, run.wall))

    measure.alternate(cases, repeat, one_run)
    return results


def _fresh_sets(ids, count, repeat):
    """Split fresh source images: per migrate case, per round, ``count``."""
    sets = [ids[i * count:(i + 1) * count] for i in range(2 * repeat)]
    return {'migrate': sets[:repeat], HASHING_OFF: sets[repeat:]}


def single(bench, size, repeat, log):
    """Section 1: one image, migrate vs curl pipe vs save | create."""
    images = 2 * repeat + 1
    bench.check_disk(size * (images + 1))
    log('single: creating %d source images of %s'
        % (images, report.size(size)))
    ids = bench.create_images(images, threads=2, size=size, seed=1,
                              visibility='private')
    cases = ('migrate', 'curl pipe', 'python pipe', 'save | create',
             HASHING_OFF)
    try:
        results = _copy_cases(bench, cases, ids[:1],
                              _fresh_sets(ids[1:], 1, repeat), size, repeat,
                              log=log)
    finally:
        bench.delete('src', ids)
    table = report.copy_table(
        '1. One image of %s: image migrate vs references' % report.size(size),
        results, size, 'migrate')
    report.add_ratio_target(table, results, 'migrate', 'curl pipe', 0.95,
                            'single image vs curl pipe')
    report.add_copy_ratio_note(table, results, HASHING_OFF, 'curl pipe')
    report.add_ratio_target(table, results, 'migrate', 'save | create',
                            1.2, 'single image clearly ahead of save | '
                            'create', copy_phase=False)
    return table


def parallel(bench, count, size, repeat, log):
    """Section 2: N images with --parallel N vs N pipes at once."""
    images = count * (2 * repeat + 1)
    bench.check_disk(size * (images + count))
    log('parallel: creating %d source images of %s'
        % (images, report.size(size)))
    ids = bench.create_images(images, threads=2, size=size, seed=2,
                              visibility='private')
    cases = ('migrate', 'curl pipe', 'python pipe', HASHING_OFF)
    try:
        results = _copy_cases(bench, cases, ids[:count],
                              _fresh_sets(ids[count:], count, repeat), size,
                              repeat, parallel=count, log=log)
    finally:
        bench.delete('src', ids)
    table = report.copy_table(
        '2. %d images of %s at once: migrate --parallel %d vs %d pipes at '
        'once' % (count, report.size(size), count, count),
        results, count * size, 'migrate')
    report.add_ratio_target(table, results, 'migrate', 'curl pipe', 0.9,
                            'parallel vs %d curl pipes at once' % count)
    report.add_copy_ratio_note(table, results, HASHING_OFF, 'curl pipe')
    return table


def memory(bench, sizes, log):
    """Section 3: peak RSS of the migrate process for small/large images."""
    bench.check_disk(2 * sum(sizes))
    log('memory: creating source images of %s'
        % ', '.join(report.size(s) for s in sizes))
    ids = [bench.create_image(size=s, seed=3, visibility='private')
           for s in sizes]
    rows = []
    try:
        baseline = plan_only(bench, ids[0])
        for image_id, size in zip(ids, sizes):
            run, copy_s, dest_ids = migrate(bench, [image_id])
            check_copies(bench, dest_ids, size)
            bench.delete('dst', dest_ids)
            rows.append((size, run, copy_s))
            log('memory: %s migrated in %.1f s, peak RSS %.0f MiB'
                % (report.size(size), run.wall, run.maxrss / MiB))
    finally:
        bench.delete('src', ids)
    return report.memory_table(baseline, rows)


class _MemoryResponse:
    """A source response that serves one chunk over and over, in memory."""

    def __init__(self, chunk, count):
        self.chunk = chunk
        self.count = count

    def iter_content(self, chunk_size):
        for _ in range(self.count):
            yield self.chunk


def hashing_micro(size, repeat):
    """CPU seconds per GiB of verified.VerifiedStream, per algorithm.

    The same class the migration uses, fed from memory, so the only work
    measured is the stream's own: hashing, holding back, counting.
    """
    from osc_image_migrate import model
    from osc_image_migrate.stream import verified

    chunk = os.urandom(verified.CHUNK_SIZE)
    count = max(1, size // len(chunk))
    digests = {}
    for algo in ('sha512', 'md5'):
        hasher = hashlib.new(algo)
        for _ in range(count):
            hasher.update(chunk)
        digests[algo] = hasher.hexdigest()
    seconds = {algo: [] for algo in ('none', 'md5', 'sha512')}
    for _ in range(repeat):
        for algo in seconds:
            stream = verified.VerifiedStream(
                _MemoryResponse(chunk, count), model.Expected(
                    count * len(chunk), None if algo == 'none' else algo,
                    digests.get(algo)))
            started = time.process_time()
            for _ in stream:
                pass
            seconds[algo].append(time.process_time() - started)
    per_gib = GiB / (count * len(chunk))
    return {algo: measure.median(values) * per_gib
            for algo, values in seconds.items()}


def cpu(bench, size, repeat, log):
    """Section 5: CPU seconds per GiB of the migrate process, hash or not.

    The baseline is the migration of a 1 MiB image: the same start-up,
    login, planning and per-image calls, next to no data. What the large
    image costs on top of it is the cost of its data.
    """
    bench.check_disk(2 * size * repeat * 2)
    log('cpu: creating %d source images of %s and %d of %s'
        % (2 * repeat, report.size(size), repeat, report.size(MiB)))
    ids = bench.create_images(2 * repeat, threads=2, size=size, seed=4,
                              visibility='private')
    tiny = bench.create_images(repeat, threads=2, size=MiB, seed=4,
                               visibility='private')
    cases = ('migrate', HASHING_OFF, BASELINE)
    results = {name: measure.Case(name) for name in cases}

    def one_run(name, round_no):
        if name == BASELINE:
            image_id, image_size = tiny[round_no], MiB
        else:
            image_id = ids[2 * round_no + (name == HASHING_OFF)]
            image_size = size
        run, copy_s, dest_ids = migrate(bench, [image_id],
                                        hashing=name != HASHING_OFF)
        check_copies(bench, dest_ids, image_size)
        bench.delete('dst', dest_ids)
        results[name].add(run, copy_s)
        log('%s round %d/%d: %.1f s, %.2f CPU s' % (
            name, round_no + 1, repeat, run.wall, run.cpu))

    try:
        measure.alternate(cases, repeat, one_run)
    finally:
        bench.delete('src', ids + tiny)
    log('cpu: hashing micro-benchmark (in memory)')
    micro = hashing_micro(min(size, GiB), repeat)
    return report.cpu_table(results, size, micro, BASELINE)
