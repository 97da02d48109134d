# SPDX-License-Identifier: Apache-2.0
"""Section 8: the same copy over HTTPS (through HAProxy) and plain HTTP.

A TLS sandbox puts HAProxy in front of each uWSGI; its plain backend
ports still answer. So one run can copy the same data between the same
Glances both ways: through the catalog's https endpoints (what operators
have), and with ``image_endpoint_override`` pointing each cloud's image
service at its plain backend (Keystone stays https: a few small
requests). References: ``curl --cacert GET | curl --cacert -T - PUT``
over https and the same curl pipe over http; sha512 alone over the same
bytes; the fixed cost (a 1 MiB migrate) beside ``openstack image list``
on each cloud.

Targets (issue 26), over https: the copy's CPU per GiB (the command's,
less the 1 MiB migrate's) <= the curl pipe's + sha512 alone; the copy
beyond the fixed cost (paired rounds: the command's wall less the 1 MiB
migrate's) >= 0.95 x the curl pipe; the whole command >= 0.9 x the pipe.
"""

import os

import measure
import nullservers
import report
import transfers
import yaml

MiB = measure.MiB
HTTPS, HTTP = 'migrate https', 'migrate http'
CURL_HTTPS, CURL_HTTP = 'curl pipe https', 'curl pipe http'
SMALL = 'migrate https, 1 MiB image'
LIST = {'src': 'openstack image list, src', 'dst': 'openstack image list, dst'}
LISTED_CLOUD = {case: cloud for cloud, case in LIST.items()}
CASES = (HTTPS, CURL_HTTPS, SMALL, LIST['src'], LIST['dst'], HTTP, CURL_HTTP)
COPY_TARGET, WHOLE_TARGET = 0.95, 0.9


def plain_env(bench):
    """bench.env, but each cloud's image service at its plain backend."""
    with open(bench.info['clouds_yaml']) as f:
        config = yaml.safe_load(f)
    for name, cloud in config['clouds'].items():
        side = 'src' if name.startswith('src') else 'dst'
        cloud['image_endpoint_override'] = plain_glance(bench, side)
    path = os.path.join(bench.private_dir(), 'clouds-plain-image.yaml')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        yaml.safe_dump(config, f)
    return measure.clean_env(OS_CLIENT_CONFIG_FILE=path)


def plain_glance(bench, cloud):
    return 'http://127.0.0.1:%d' % bench.info['backend_ports'][
        cloud + '-glance']


def curl_pipe(bench, source, dest, tls):
    """One curl pipe, https through HAProxy or http to the backends."""
    def url(cloud, image_id):
        if tls:
            return bench.file_url(cloud, image_id)
        return '%s/v2/images/%s/file' % (plain_glance(bench, cloud),
                                         image_id)

    def trust(cloud):
        return bench.curl_tls(cloud) if tls else []

    pipeline = [
        transfers.CURL + trust('src') + [
            '-H', '@' + bench.header_file('src'), url('src', source)],
        transfers.CURL + trust('dst') + [
            '-H', '@' + bench.header_file('dst'), '-H', 'Expect:',
            '-H', 'Content-Type: application/octet-stream', '-T', '-',
            '-o', '/dev/null', url('dst', dest)]]
    run = measure.run_processes([pipeline], bench.env, servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('curl pipe failed: ' + run.error_tail())
    return run


def image_list(bench, cloud):
    """``openstack image list`` on one cloud: start-up, login, one list."""
    argv = bench.cli(cloud, 'image', 'list', '-f', 'value', '-c', 'ID')
    run = measure.run_processes([[argv]], bench.env, servers=bench.servers)
    if not run.ok:
        raise measure.BenchError('image list failed: ' + run.error_tail())
    return run


def tls(bench, size, repeat, log):
    """Copy ``size`` both ways, ``repeat`` rounds, cases alternating."""
    if not bench.cafile('src'):
        raise measure.BenchError('the sandbox is plain http: bring one up '
                                 'with --tls (see tools/sandbox.py up)')
    images = 2 * repeat + 1
    bench.check_disk(size * (images + 1))
    log('tls: creating %d source images of %s and %d of 1 MiB'
        % (images, report.size(size), repeat))
    ids = bench.create_images(images, threads=2, size=size, seed=8,
                              visibility='private')
    small = bench.create_images(repeat, threads=2, size=MiB, seed=9,
                                visibility='private')
    fresh = {HTTPS: ids[1:1 + repeat], HTTP: ids[1 + repeat:],
             SMALL: small}
    envs = {HTTPS: bench.env, HTTP: plain_env(bench), SMALL: bench.env}
    results = {name: measure.Case(name) for name in CASES}

    def one_run(name, round_no):
        dest_ids = []
        if name in fresh:
            run, copy_s, dest_ids = transfers.migrate(
                bench, [fresh[name][round_no]], env=envs[name])
            transfers.check_copies(bench, dest_ids,
                                   MiB if name == SMALL else size)
        elif name in (CURL_HTTPS, CURL_HTTP):
            dest_ids = [bench.queued_dest('bench-ref')]
            run = curl_pipe(bench, ids[0], dest_ids[0], name == CURL_HTTPS)
            transfers.check_copies(bench, dest_ids, size)
            copy_s = None
        else:
            run, copy_s = image_list(bench, LISTED_CLOUD[name]), None
        bench.delete('dst', dest_ids)
        results[name].add(run, copy_s)
        log('%s round %d/%d: %.1f s, %.2f CPU s'
            % (name, round_no + 1, repeat, run.wall, run.cpu))

    try:
        measure.alternate(CASES, repeat, one_run)
        sha512 = measure.median([nullservers.sha512_floor(size)
                                 for _ in range(repeat)])
    finally:
        bench.delete('src', ids + small)
    return tls_table(results, size, sha512)


def tls_table(results, size, sha512):
    """The cases, the fixed cost, and the four ratios with their targets."""
    big = {name: case for name, case in results.items()
           if name in (HTTPS, CURL_HTTPS, HTTP, CURL_HTTP)}
    table = report.copy_table(
        '8. One image of %s over https (HAProxy) and plain http'
        % report.size(size), big, size, HTTPS)
    for name in (SMALL, LIST['src'], LIST['dst']):
        case = results[name]
        table.rows.append((name, len(case.runs), '%.2f' % case.wall,
                           measure.spread([r.wall for r in case.runs]), '',
                           '', '%.2f' % case.cpu,
                           '%.0f' % (case.maxrss / MiB), '', ''))
    gib = size / measure.GiB
    fixed = results[SMALL]
    copy_cpu = (results[HTTPS].cpu - fixed.cpu) / ((size - MiB) / measure.GiB)
    curl_cpu = results[CURL_HTTPS].cpu / gib
    table.targets.append((
        'copy CPU over https <= curl --cacert pipe + sha512 alone (%.2f vs '
        '%.2f + %.2f = %.2f s/GiB: %.2f x, need <= 1.00)' % (
            copy_cpu, curl_cpu, sha512, curl_cpu + sha512,
            copy_cpu / (curl_cpu + sha512)),
        copy_cpu <= curl_cpu + sha512))
    beyond = [run.wall - small.wall for run, small
              in zip(results[HTTPS].runs, fixed.runs)]
    ratio = report.paired(results[CURL_HTTPS].runs, beyond)
    table.targets.append((
        'copy beyond the fixed cost over https vs curl --cacert pipe (%.2f '
        'x, need >= %.2f)' % (ratio, COPY_TARGET), ratio >= COPY_TARGET))
    report.add_ratio_target(table, results, HTTPS, CURL_HTTPS, WHOLE_TARGET,
                            'migrate over https vs curl --cacert pipe',
                            copy_phase=False)
    lists = sum(results[LIST[cloud]].wall for cloud in LIST)
    table.notes += [
        "http rows: each cloud's image endpoint overridden to its uWSGI "
        "backend port (no HAProxy); Keystone stays https in both",
        'fixed cost: a 1 MiB migrate takes %.2f s and %.2f CPU s; '
        '`openstack image list` on src and dst together %.2f s (%.2f x)'
        % (fixed.wall, fixed.cpu, lists, fixed.wall / lists),
        'client CPU over https / over http: %.2f x (whole commands)'
        % (results[HTTPS].cpu / results[HTTP].cpu),
    ]
    return table
