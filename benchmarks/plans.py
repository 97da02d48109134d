"""Section 4: plan time and requests per cloud for many small images.

The images (1 KiB of data each) are created in a dedicated project,
``osc-image-migrate-bench``, with Glance's default visibility (``shared``,
no members): the worst case the spec allows, since the member list of
every ``shared`` image is read. The plan selects that project. Requests
are counted from each server's uWSGI request log, between the start and
the end of each plan run; the reference is OSC's own ``image list`` of
the source cloud, run alternately with the plan.
"""

import json

import cloud
import measure
import report
from report import PLAN_LIMIT

SERVICES = ('src-glance', 'src-keystone', 'dst-glance', 'dst-keystone')


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


def plan_scale(bench, counts, repeat, log):
    project = cloud.PLAN_PROJECT
    owner = bench.ensure_project('src', project)
    bench.ensure_project('dst', project)
    created = 0
    rows, points = [], []
    for count in sorted(counts):
        log('plan: creating %d images in project %s (%d in all)'
            % (count - created, project, count))
        bench.create_images(count - created, size=1024, seed=5, owner=owner)
        created = count
        seen = bench.visibilities('src')
        plan, listing = measure.Case('plan'), measure.Case('image list')
        requests = []

        def one_run(name, round_no):
            if name == 'plan':
                run, counted = plan_run(bench, project, count)
                plan.add(run)
                requests.append(counted)
            else:
                run = list_run(bench)
                listing.add(run)
            log('plan %d images: %s round %d/%d: %.1f s' % (
                count, name, round_no + 1, repeat, run.wall))

        measure.alternate(('plan', 'image list'), repeat, one_run)
        # Fewest requests over the runs: another client sharing the
        # sandbox can only add lines.
        counted = min(requests, key=lambda r: sum(
            sum(c.values()) for c in r.values()))
        points.append((count, seen, counted, plan.wall))
        row = [count, sum(seen.values()), '%.2f' % plan.wall,
               measure.spread([r.wall for r in plan.runs]),
               '%.2f' % listing.wall, '%.2f' % (plan.wall / listing.wall)]
        for service in SERVICES:
            kinds = ('keystone',) if service.endswith('keystone') else (
                'list', 'members', 'other')
            row += [counted[service][k] for k in kinds]
        rows.append(row)
    table = report.Table(
        '4. Plan scale: image migrate plan --project %s' % project,
        ('images', 'src images', 'plan s', 'range s', 'image list s',
         'plan / list', 'src list', 'src members', 'src other',
         'src Keystone', 'dst list', 'dst members', 'dst other',
         'dst Keystone'), rows)
    table.notes += [
        "'images' = in the selected project (1 KiB each, visibility "
        "shared, no members); 'src images' = all the source holds",
        "requests from the servers' uWSGI logs during one plan run: list "
        "= GET /v2/images pages, members = GET .../members, Keystone = "
        "all (logins, token checks, projects, domains)",
        "'image list' = openstack image list of the source (OSC, Glance's "
        "default page size of 25)",
    ]
    report.plan_targets(table, points, PLAN_LIMIT)
    return table
