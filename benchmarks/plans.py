# SPDX-License-Identifier: Apache-2.0
"""Section 4: plan time, requests and memory for many small images.

The images (1 KiB of data each) are created in a dedicated project,
``osc-image-migrate-bench``, with Glance's default visibility (``shared``,
no members): the worst case the spec allows, since the member list of
every ``shared`` image is read. The plan selects that project. Requests
are counted from each server's uWSGI request log, between the start and
the end of each plan run; the reference is OSC's own ``image list`` of
the source cloud, run alternately with the plan. Peak RSS is the plan
process's own (VmHWM).

Creating 10,000 images takes minutes (set-up, not measured): they are
created several at a time, and ``--keep-plan-images`` leaves them (tagged
``PLAN_TAG``, not with the run's tag) for the next run, which reuses them
instead of creating them again. ``--sweep`` deletes them.
"""

import json
import os
import sys
import time

from osc_image_migrate.cloud import inventory

import cloud
import measure
import report
from report import MiB

SERVICES = ('src-glance', 'src-keystone', 'dst-glance', 'dst-keystone')
PLAN_TAG = 'osc-image-migrate-bench-plan'
SEED_BATCH = 1000
BAREREADS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'barereads.py')


def classify(service, method, path):
    if service.endswith('keystone'):
        return 'keystone'
    if path.split('?')[0].endswith('/members'):
        return 'members'
    if method == 'GET' and path.split('?')[0].rstrip('/') == '/v2/images':
        return 'list'
    return 'other'


def plan_run(bench, project, expected):
    argv = bench.cli('src', 'image', 'migrate', 'plan', '--dest-cloud',
                     'dst', '--project', project, '-f', 'json')
    mark = bench.requests.mark()
    run = measure.run_processes([[argv]], bench.env,
                                servers=bench.servers)
    requests = bench.requests.since(mark, classify)
    if not run.ok:
        raise measure.BenchError('image migrate plan failed: '
                                 + run.error_tail())
    rows = json.loads(run.outputs[0])
    if len(rows) < expected:
        raise measure.BenchError('the plan lists %d images, expected %d or '
                                 'more' % (len(rows), expected))
    return run, requests


def list_run(bench):
    argv = bench.cli('src', 'image', 'list', '-f', 'value', '-c', 'ID')
    run = measure.run_processes([[argv]], bench.env,
                                servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('image list failed: ' + run.error_tail())
    return run


def bare_run(bench, owner, expected):
    """benchmarks/barereads.py: the plan's source reads, bare, in parallel."""
    spec = {'token': bench.token('src'), 'owner': owner,
            'image_url': bench.clients('src').image.get_endpoint(),
            'threads': inventory.MEMBER_READERS,
            'verify': bench.cafile('src') or True}
    run = measure.run_processes([[[sys.executable, BAREREADS]]], bench.env,
                                stdin_data=json.dumps(spec).encode(),
                                servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('bare reads failed: ' + run.error_tail())
    if json.loads(run.outputs[0])['images'] < expected:
        raise measure.BenchError('bare reads saw fewer than %d images'
                                 % expected)
    return run


def glance_ms(plan, counted):
    """CPU milliseconds the source Glance spent per request it served."""
    served = sum(counted.values())
    return (1000 * plan.server_share('src-glance') * plan.wall / served
            if served else 0)


def seed(bench, owner, have, count, keep, log):
    """Create plan images until the project holds ``count``; log the pace."""
    started, created = time.monotonic(), 0
    while have + created < count:
        batch = min(SEED_BATCH, count - have - created)
        bench.create_images(batch, size=1024, seed=5, owner=owner,
                            kept=keep, tags=[PLAN_TAG])
        created += batch
        log('plan: %d images in the project (created %.0f per second)'
            % (have + created,
               created / max(time.monotonic() - started, 1e-3)))
    return have + created


def measure_count(bench, project, owner, count, repeat, log):
    """Rounds of plan, image list and bare reads; fewest requests seen."""
    plan, listing = measure.Case('plan'), measure.Case('image list')
    bare = measure.Case('bare reads')
    requests = []

    def one_run(name, round_no):
        if name == 'plan':
            run, counted = plan_run(bench, project, count)
            plan.add(run)
            requests.append(counted)
        elif name == 'bare reads':
            run = bare_run(bench, owner, count)
            bare.add(run)
        else:
            run = list_run(bench)
            listing.add(run)
        log('plan %d images: %s round %d/%d: %.1f s' % (
            count, name, round_no + 1, repeat, run.wall))

    measure.alternate(('plan', 'image list', 'bare reads'), repeat, one_run)
    # Fewest requests over the runs: another client sharing the sandbox
    # can only add lines.
    counted = min(requests, key=lambda r: sum(
        sum(c.values()) for c in r.values()))
    return plan, listing, bare, counted


def plan_scale(bench, counts, repeat, log, keep=False):
    project = cloud.PLAN_PROJECT
    owner = bench.ensure_project('src', project)
    bench.ensure_project('dst', project)
    have = len(bench.tagged('src', PLAN_TAG))
    if have:
        log('plan: reusing %d images left by an earlier run (tag %s)'
            % (have, PLAN_TAG))
    held, skipped = have, [c for c in counts if c < have]
    rows, points = [], []
    for count in sorted(c for c in counts if c >= have):
        have = seed(bench, owner, have, count, keep, log)
        seen = bench.visibilities('src')
        plan, listing, bare, counted = measure_count(
            bench, project, owner, count, repeat, log)
        points.append((count, seen, counted, plan.wall, plan.maxrss))
        row = [count, sum(seen.values()), '%.2f' % plan.wall,
               measure.spread([r.wall for r in plan.runs]),
               '%.2f' % plan.cpu, '%.0f' % (plan.maxrss / MiB),
               report.server_shares(plan),
               '%.1f' % glance_ms(plan, counted['src-glance']),
               '%.2f' % listing.wall, '%.2f' % (plan.wall / listing.wall),
               '%.2f' % bare.wall, '%.2f' % (plan.wall / bare.wall)]
        for service in SERVICES:
            kinds = ('keystone',) if service.endswith('keystone') else (
                'list', 'members', 'other')
            row += [counted[service][k] for k in kinds]
        rows.append(row)
    if not points:
        raise measure.BenchError(
            'the plan project already holds %d images (kept by an earlier '
            'run), more than every count asked for: run with --sweep first'
            % have)
    table = report.Table(
        '4. Plan scale: image migrate plan --project %s' % project,
        ('images', 'src images', 'plan s', 'range s', 'client CPU s',
         'peak RSS MiB', 'Glance CPU src/dst', 'src Glance ms/req',
         'image list s',
         'plan / list', 'bare reads s', 'plan / bare', 'src list',
         'src members', 'src other',
         'src Keystone', 'dst list', 'dst members', 'dst other',
         'dst Keystone'), rows)
    table.notes += [
        "'images' = in the selected project (1 KiB each, visibility "
        "shared, no members); 'src images' = all the source holds",
        "client CPU and peak RSS (VmHWM) of the plan process; Glance CPU = "
        "share of one core used by each Glance during the plan (medians); "
        "ms/req = the source Glance's CPU time per request it served "
        "(summed over its uWSGI worker processes)",
        "requests from the servers' uWSGI logs during one plan run: list "
        "= GET /v2/images pages, members = GET .../members, Keystone = "
        "all (logins, token checks, projects, domains)",
        "'image list' = openstack image list of the source (OSC, Glance's "
        "default page size of 25); 'bare reads' = benchmarks/barereads.py: "
        "the plan's source reads (image pages of 1000, the members of "
        "every shared image, as many threads as the plan) by a bare "
        "requests client, i.e. what the source Glance allows",
    ]
    if skipped:
        table.notes.append('counts %s skipped: the project already held %d '
                           'kept images' % (skipped, held))
    report.plan_targets(table, points)
    return table
