# SPDX-License-Identifier: Apache-2.0
"""Section 8: the same copy over HTTPS (through HAProxy) and plain HTTP.

A TLS sandbox puts HAProxy in front of each uWSGI; its plain backend
ports still answer. So one run can copy the same data between the same
Glances both ways: through the catalog's https endpoints (what operators
have), and with ``image_endpoint_override`` pointing each cloud's image
service at its plain backend (Keystone stays https: a few small
requests). References: ``curl --cacert GET | curl --cacert -T - PUT``
over https and the same curl pipe over http.

Targets (issue 18): migrate over https >= 0.95 x the https curl pipe;
client CPU of migrate over https <= 1.3 x the same over http (whole
process: start-up and login included in both).
"""

import os

import measure
import report
import transfers
import yaml

HTTPS, HTTP = 'migrate https', 'migrate http'
CURL_HTTPS, CURL_HTTP = 'curl pipe https', 'curl pipe http'
CASES = (HTTPS, CURL_HTTPS, HTTP, CURL_HTTP)


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


def tls(bench, size, repeat, log):
    """Copy ``size`` both ways, ``repeat`` rounds, cases alternating."""
    if not bench.cafile('src'):
        raise measure.BenchError('the sandbox is plain http: bring one up '
                                 'with --tls (see tools/sandbox.py up)')
    images = 2 * repeat + 1
    bench.check_disk(size * (images + 1))
    log('tls: creating %d source images of %s' % (images, report.size(size)))
    ids = bench.create_images(images, threads=2, size=size, seed=8,
                              visibility='private')
    fresh = {HTTPS: ids[1:1 + repeat], HTTP: ids[1 + repeat:]}
    envs = {HTTPS: bench.env, HTTP: plain_env(bench)}
    results = {name: measure.Case(name) for name in CASES}

    def one_run(name, round_no):
        if name in fresh:
            run, copy_s, dest_ids = transfers.migrate(
                bench, [fresh[name][round_no]], env=envs[name])
        else:
            dest_ids = [bench.queued_dest('bench-ref')]
            run = curl_pipe(bench, ids[0], dest_ids[0], name == CURL_HTTPS)
            copy_s = None
        transfers.check_copies(bench, dest_ids, size)
        bench.delete('dst', dest_ids)
        results[name].add(run, copy_s)
        log('%s round %d/%d: %.1f s, %.2f CPU s'
            % (name, round_no + 1, repeat, run.wall, run.cpu))

    try:
        measure.alternate(CASES, repeat, one_run)
    finally:
        bench.delete('src', ids)
    table = report.copy_table(
        '8. One image of %s over https (HAProxy) and plain http'
        % report.size(size), results, size, HTTPS)
    report.add_ratio_target(table, results, HTTPS, CURL_HTTPS, 0.95,
                            'migrate over https vs curl --cacert pipe')
    cpu_ratio = results[HTTPS].cpu / results[HTTP].cpu
    table.targets.append((
        'client CPU, https / http (%.2f x, need <= 1.30)' % cpu_ratio,
        cpu_ratio <= 1.3))
    table.notes.append(
        "http rows: each cloud's image endpoint overridden to its uWSGI "
        "backend port (no HAProxy); Keystone stays https in both")
    return table
