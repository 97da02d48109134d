# SPDX-License-Identifier: Apache-2.0
"""Benchmark ``openstack image migrate`` against references, on the sandbox.

Brings the local two-cloud sandbox up (tools/sandbox.py), creates its own
test images (set-up, not measured), then measures side by side, in one
run, alternating the cases (A B C A B C ...) and comparing medians, since
the machine is usually busy with other work:

0. ``ceiling``: the client alone, between loopback null servers (no
   sandbox): the verified stream vs ``curl GET | curl -T - PUT``, and
   client CPU seconds per GiB (benchmarks/nullservers.py);
1. ``single``: one large image: ``image migrate`` vs the raw HTTP pipe
   ``curl GET src | curl -T - PUT dst``, a bare Python GET->PUT pipe and
   ``openstack image save | openstack image create``;
2. ``parallel``: N images with ``--parallel N`` vs N pipes at once;
3. ``memory``: peak RSS of the migrate process, small vs large image;
4. ``plan``: plan time, requests per server and peak RSS for many small
   images (up to 10,000);
5. ``cpu``: CPU seconds per GiB copied, with and without hashing;
6. ``limit-rate``: the rate ``--limit-rate`` achieves vs the limit, one
   image and several at once;
7. ``resume``: one image whose source download is cut 5 times vs the
   same copy uncut, both through a TCP proxy (a cut must cost a
   reconnect, not a restart);
8. ``tls``: one image over https through HAProxy vs over plain http to
   the same Glances, migrate vs curl pipes, and client CPU (a TLS
   sandbox only; benchmarks/tls.py);
9. ``bundle``: one image exported to a bundle vs ``curl`` to a file,
   and imported from it vs ``curl -T`` of that file, and both legs'
   peak RSS (benchmarks/bundles.py);
10. ``rbd``: between Ceph-backed clouds (a sandbox of their own), a
    sparse and a dense image by the rbd path vs by the stream: wall,
    client CPU, bytes through the client (benchmarks/rbd.py);
11. ``regions``: one image between two regions of one Keystone, by
    glance-download vs by stream: wall time, client CPU and bytes (a
    sandbox of its own beside the bench's; benchmarks/regions.py).

Every image it creates is deleted at the end. Usage::

    tox -e bench [-- --quick] [-- --only plan --repeat 5]
    python benchmarks/run.py --help
"""

import argparse
import os
import platform
import shutil
import sys
import time
import traceback

import bundles
import cloud
import limits
import measure
import nullservers
import plans
import rbd
import regions
import report
import resume
import tls
import transfers

# Numbered as in the table; run in this order (plan last: its thousands
# of images would slow every other plan).
SECTIONS = ('ceiling', 'single', 'parallel', 'memory', 'cpu', 'limit-rate',
            'resume', 'tls', 'bundle', 'rbd', 'regions', 'plan')
NUMBERS = {'ceiling': 0, 'single': 1, 'parallel': 2, 'memory': 3, 'plan': 4,
           'cpu': 5, 'limit-rate': 6, 'resume': 7, 'tls': 8, 'bundle': 9,
           'rbd': 10, 'regions': 11}
# The sizes issue 12 names: one 4 GiB image, 4 x 1 GiB at once.
FULL = {'ceiling_size': '1G', 'size': '4G', 'parallel_count': 4,
        'parallel_size': '1G',
        'memory_sizes': '64M,2G', 'plan_counts': '100,2000,10000',
        'cpu_size': '512M', 'limit_rate': '20M', 'limit_size': '128M',
        'resume_size': '2G', 'tls_size': '1G', 'bundle_size': '2G',
        'rbd_size': '2G', 'rbd_data': '256M', 'rbd_dense_size': '1G',
        'regions_size': '2G',
        'repeat': 3, 'copy_repeat': 2}
QUICK = {'ceiling_size': '256M', 'size': '64M', 'parallel_count': 4,
         'parallel_size': '16M',
         'memory_sizes': '16M,128M', 'plan_counts': '20,50,100',
         'cpu_size': '64M', 'limit_rate': '8M', 'limit_size': '24M',
         'resume_size': '256M', 'tls_size': '64M', 'bundle_size': '256M',
         'rbd_size': '256M', 'rbd_data': '32M', 'rbd_dense_size': '64M',
         'regions_size': '64M',
         'repeat': 1, 'copy_repeat': 1}
_T0 = time.monotonic()


def log(message):
    sys.stderr.write('[bench %6.1fs] %s\n'
                     % (time.monotonic() - _T0, message))
    sys.stderr.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='benchmarks/run.py', description=__doc__.split('\n')[0])
    parser.add_argument(
        '--only', metavar='<section>', action='append', choices=SECTIONS,
        help='run only this section: %s (repeat option to run several; '
             'default: all)' % ', '.join(SECTIONS))
    parser.add_argument(
        '--quick', action='store_true',
        help='small sizes and one round: a smoke run of a minute or two')
    parser.add_argument(
        '--repeat', metavar='<count>', type=int,
        help='rounds of each comparison but "single" and "parallel" '
             '(default: 3; 1 with --quick)')
    parser.add_argument(
        '--copy-repeat', metavar='<count>', type=int,
        help='rounds of "single" and "parallel" (default: 2, which with '
             'their 4 GiB per case and round keeps a full run near 25 '
             'min; 1 with --quick)')
    parser.add_argument(
        '--ceiling-size', metavar='<size>',
        help='file copied between the null servers in "ceiling" '
             '(default: 1G)')
    parser.add_argument(
        '--size', metavar='<size>',
        help='image size for "single", e.g. 1G, 512M (default: 4G)')
    parser.add_argument(
        '--parallel', metavar='<count>', type=int, dest='parallel_count',
        help='images copied at once in "parallel" (default: 4)')
    parser.add_argument(
        '--parallel-size', metavar='<size>',
        help='size of each image in "parallel" (default: 1G)')
    parser.add_argument(
        '--memory-sizes', metavar='<size>,<size>',
        help='small and large image for "memory" (default: 64M,2G)')
    parser.add_argument(
        '--plan-counts', metavar='<count>,...',
        help='image counts for "plan" (default: 100,2000,10000)')
    parser.add_argument(
        '--keep-plan-images', action='store_true',
        help='leave the images "plan" creates for the next run, which '
             'reuses them (creating 10,000 takes minutes; --sweep '
             'deletes them)')
    parser.add_argument(
        '--cpu-size', metavar='<size>',
        help='image size for "cpu" (default: 512M)')
    parser.add_argument(
        '--limit-rate', metavar='<size>',
        help='the limit for "limit-rate", per second (default: 20M)')
    parser.add_argument(
        '--limit-size', metavar='<size>',
        help='size of each image in "limit-rate" (default: 128M)')
    parser.add_argument(
        '--resume-size', metavar='<size>',
        help='image size for "resume" (default: 2G)')
    parser.add_argument(
        '--tls-size', metavar='<size>',
        help='image size for "tls" (default: 1G)')
    parser.add_argument(
        '--bundle-size', metavar='<size>',
        help='image size for "bundle" (default: 2G)')
    parser.add_argument(
        '--rbd-size', metavar='<size>',
        help='sparse image size for "rbd" (default: 2G)')
    parser.add_argument(
        '--rbd-data', metavar='<size>',
        help='data the sparse image of "rbd" holds, in four runs '
             '(default: 256M)')
    parser.add_argument(
        '--rbd-dense-size', metavar='<size>',
        help='dense image size for "rbd" (default: 1G)')
    parser.add_argument(
        '--regions-size', metavar='<size>',
        help='image size for "regions" (default: 2G)')
    parser.add_argument(
        '--state-dir', metavar='<dir>',
        help='sandbox state folder (default: $OSC_IMAGE_MIGRATE_SANDBOX or '
             '<repo>/.sandbox)')
    parser.add_argument(
        '--port-base', metavar='<port>', type=int,
        help='sandbox port base (default: $OSC_IMAGE_MIGRATE_SANDBOX_PORT_'
             'BASE or 25000)')
    parser.add_argument(
        '--sandbox-venv', metavar='<dir>',
        help='venv with keystone and glance for a new sandbox (default: '
             '<state-dir>/venv, installed on first use)')
    parser.add_argument(
        '--sweep', action='store_true',
        help='only delete the images every earlier benchmark run left '
             'behind (tag %s), then exit' % cloud.TAG)
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.repeat, args.copy_repeat, args.parallel_count) < 1:
        parser.error('--repeat, --copy-repeat and --parallel must be at '
                     'least 1')
    try:
        args.ceiling_size = report.parse_size(args.ceiling_size)
        args.size = report.parse_size(args.size)
        args.parallel_size = report.parse_size(args.parallel_size)
        args.cpu_size = report.parse_size(args.cpu_size)
        args.limit_rate = report.parse_size(args.limit_rate)
        args.limit_size = report.parse_size(args.limit_size)
        args.resume_size = report.parse_size(args.resume_size)
        args.tls_size = report.parse_size(args.tls_size)
        args.bundle_size = report.parse_size(args.bundle_size)
        for name in ('rbd_size', 'rbd_data', 'rbd_dense_size'):
            setattr(args, name, report.parse_size(getattr(args, name)))
        args.regions_size = report.parse_size(args.regions_size)
        args.memory_sizes = sorted(report.parse_size(s) for s in
                                   args.memory_sizes.split(','))
        args.plan_counts = sorted(int(c) for c in
                                  args.plan_counts.split(','))
    except ValueError as e:
        parser.error(str(e))
    return args


def machine():
    model = '?'
    try:
        with open('/proc/cpuinfo') as f:
            model = next(line.split(':', 1)[1].strip() for line in f
                         if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    return ('%d cores (%s), %.0f GiB RAM, %s, Python %s'
            % (os.cpu_count(), model, mem / measure.GiB,
               platform.platform(terse=True), platform.python_version()))


def load():
    return '%.2f %.2f %.2f' % os.getloadavg()


def run_sections(bench, args):
    only = args.only or SECTIONS
    jobs = {
        'ceiling': lambda: nullservers.ceiling(args.ceiling_size,
                                               args.repeat, log),
        'single': lambda: transfers.single(bench, args.size,
                                           args.copy_repeat, log),
        'parallel': lambda: transfers.parallel(
            bench, args.parallel_count, args.parallel_size,
            args.copy_repeat, log),
        'memory': lambda: transfers.memory(bench, args.memory_sizes, log),
        'cpu': lambda: transfers.cpu(bench, args.cpu_size, args.repeat,
                                     log),
        'limit-rate': lambda: limits.limit_rate(
            bench, args.limit_rate, args.limit_size, args.parallel_count,
            args.repeat, log),
        'resume': lambda: resume.resume(bench, args.resume_size,
                                        args.copy_repeat, log),
        'tls': lambda: tls.tls(bench, args.tls_size, args.copy_repeat, log),
        'bundle': lambda: bundles.bundle(bench, args.bundle_size,
                                         args.copy_repeat, log),
        'rbd': lambda: rbd.rbd_vs_stream(
            bench, args.rbd_size, args.rbd_data, args.rbd_dense_size,
            args.copy_repeat, log),
        'regions': lambda: regions.regions(bench, args.regions_size,
                                           args.copy_repeat, log),
        'plan': lambda: plans.plan_scale(bench, args.plan_counts,
                                         args.repeat, log,
                                         keep=args.keep_plan_images),
    }
    tables, failed = [], []
    for name in SECTIONS:
        if name not in only:
            continue
        log('section %s' % name)
        try:
            table = jobs[name]()
        except Exception as e:  # noqa: one broken section, not the run
            if not isinstance(e, measure.BenchError):
                traceback.print_exc()
            failed.append(name)
            table = report.Table('%d. %s: FAILED' % (NUMBERS[name], name),
                                 ('error',), [(str(e) or repr(e),)])
        tables.append((NUMBERS[name], table))
    return [table for _, table in sorted(tables, key=lambda t: t[0])], failed


def main(argv=None):
    args = parse_args(argv)
    only = args.only or SECTIONS
    uses_curl = {'ceiling', 'single', 'parallel', 'tls', 'bundle'} & set(
        only)
    if uses_curl and not shutil.which('curl'):
        sys.stderr.write('benchmarks: curl is needed for the raw pipe '
                         'reference (apt-get install curl)\n')
        return 2
    started_load = load()
    if set(only) == {'ceiling'} and not args.sweep:
        tables, failed = run_sections(None, args)  # no sandbox needed
        sandbox = 'not used'
    else:
        log('bringing the sandbox up')
        bench = cloud.Bench(args.state_dir, args.port_base,
                            args.sandbox_venv, quiet=True)
        try:
            if args.sweep:
                log('deleted %d images' % bench.sweep(cloud.TAG))
                return 0
            started_load = load()
            try:
                tables, failed = run_sections(bench, args)
            finally:
                log('cleaning up: deleting the images of this run')
                log('deleted %d images' % bench.sweep())
        finally:
            bench.close()
        sandbox = '%s (ports from %d)' % (bench.state_dir,
                                          bench.info['port_base'])
    print('osc-image-migrate benchmark, %s' % time.strftime('%Y-%m-%d %H:%M'))
    print('machine: %s' % machine())
    print('sandbox: %s; load average at start %s, at end %s'
          % (sandbox, started_load, load()))
    print('repeat %d (single, parallel: %d), medians; run took %.0f s' % (
        args.repeat, args.copy_repeat, time.monotonic() - _T0))
    for table in tables:
        print()
        print(table.render())
    missed = [what for table in tables for what, met in table.targets
              if not met]
    print()
    print('targets: %d met, %d missed%s' % (
        sum(met for table in tables for _, met in table.targets),
        len(missed), '; sections failed: ' + ', '.join(failed)
        if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
