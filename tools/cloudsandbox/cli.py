# SPDX-License-Identifier: Apache-2.0
"""The command line of tools/sandbox.py."""

import argparse
import shlex
import sys

from cloudsandbox import api
from cloudsandbox import common
from cloudsandbox import deployment
from cloudsandbox import state

DESCRIPTION = ('Run a real two-cloud OpenStack (2 Keystones + 2 Glance '
               'APIs) locally.')


def parser():
    top = argparse.ArgumentParser(prog='sandbox.py', description=DESCRIPTION)
    top.add_argument('--state-dir', help='default: $OSC_IMAGE_MIGRATE_'
                     'SANDBOX or <repo>/.sandbox')
    top.add_argument('-q', '--quiet', action='store_true')
    sub = top.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True
    p = sub.add_parser('up', help='install, start and set up the clouds')
    p.add_argument('--port-base', type=int, help='default: $%s or %d' % (
        state.PORT_BASE_VARIABLE, common.DEFAULT_PORT_BASE))
    p.add_argument('--venv', help='use this venv (default: <state>/venv)')
    p.add_argument('--python', help='interpreter for a new venv')
    p.add_argument('--token-expiration', type=int, metavar='SECONDS')
    p.add_argument('--regions', type=int, choices=(0, 1), metavar='0|1',
                   help='1: one Keystone (src\'s) with dst\'s Glance in '
                   'its RegionTwo, 0: a Keystone per cloud (default 0)')
    defaults = deployment.DEFAULTS
    p.add_argument('--database', choices=deployment.DATABASES,
                   help='where Keystone and Glance keep their data (new '
                   'sandbox; default: $%s or %s)' % (
                       deployment.VARIABLES['database'],
                       defaults['database']))
    tls = p.add_mutually_exclusive_group()
    tls.add_argument('--tls', dest='tls', action='store_const', const=True,
                     help='https through HAProxy, a private CA per cloud '
                     '(new sandbox; default: $%s=1|0 or %d)' % (
                         deployment.VARIABLES['tls'], defaults['tls']))
    tls.add_argument('--no-tls', dest='tls', action='store_const',
                     const=False, help='plain http (new sandbox)')
    p.add_argument('--workers', type=int, metavar='N',
                   help='uWSGI processes per Keystone and per Glance '
                   '(default: $%s or %d)' % (deployment.VARIABLES['workers'],
                                             defaults['workers']))
    for cloud in common.CLOUDS:
        p.add_argument('--%s-image-size-cap' % cloud, type=int,
                       metavar='BYTES')
    for cloud in common.CLOUDS:
        p.add_argument('--%s-require-image-format-match' % cloud,
                       type=int, choices=(0, 1), metavar='0|1',
                       help='0: %s Glance accepts data that does not match '
                       'disk_format (default 1)' % cloud)
    for cloud in common.CLOUDS:
        p.add_argument('--%s-barbican' % cloud, type=int, choices=(0, 1),
                       metavar='0|1',
                       help='1: %s gets a Barbican of its own, and its Glance '
                       'verifies signed images with it (default 0)' % cloud)
    for cloud in common.CLOUDS:
        p.add_argument('--%s-cinder' % cloud, type=int, choices=(0, 1),
                       metavar='0|1',
                       help='1: %s gets a Cinder API of its own, in its '
                       'catalog (default 0)' % cloud)
    for cloud in common.CLOUDS:
        p.add_argument('--%s-ceph' % cloud, type=int, choices=(0, 1),
                       metavar='0|1',
                       help='1: %s gets a one-node Ceph cluster of its own, '
                       'its Glance\'s rbd store (default 0)' % cloud)
    p = sub.add_parser('down', help='stop the servers')
    p.add_argument('--wipe', action='store_true',
                   help='delete the state too (except the venv)')
    p.add_argument('--wipe-venv', action='store_true',
                   help='with --wipe, delete <state>/venv too')
    sub.add_parser('status', help='show the servers; exit 0 if all answer')
    sub.add_parser('env', help='print the export line for clouds.yaml')
    for name in ('start', 'stop'):
        p = sub.add_parser(name, help='%s one server' % name)
        p.add_argument('service', choices=common.SERVICES + common.OPTIONAL)
    return top


def up(args):
    settings = {'token_expiration': args.token_expiration,
                'regions': args.regions}
    for cloud in common.CLOUDS:
        for field in ('image_size_cap', 'require_image_format_match',
                      'barbican', 'cinder', 'ceph'):
            key = '%s_%s' % (cloud, field)
            settings[key] = getattr(args, key)
    result = api.up(args.state_dir, args.port_base, args.venv, args.python,
                    quiet=args.quiet, database=args.database, tls=args.tls,
                    workers=args.workers, **settings)
    common.log('sandbox up in %.1f s; clouds: %s' % (
        common.elapsed(), ', '.join(result['cloud_names'])))
    print('export OS_CLIENT_CONFIG_FILE=%s'
          % shlex.quote(result['clouds_yaml']))
    return 0


def status(args):
    result = api.status(args.state_dir)
    for service, st in result.items():
        print('%-13s %-8s pid %-7s %s%s' % (
            service, 'running' if st['running'] else 'stopped',
            st['pid'] or '-', st['url'],
            '' if st['answers'] or not st['running']
            else '  (not answering)'))
    return 0 if all(s['answers'] for s in result.values()) else 1


def env(args):
    box = state.State(args.state_dir)
    box.require()
    print('export OS_CLIENT_CONFIG_FILE=%s' % shlex.quote(box.clouds_yaml))
    return 0


COMMANDS = {
    'up': up,
    'down': lambda args: api.down(args.state_dir, args.wipe, args.wipe_venv,
                                  args.quiet),
    'status': status,
    'env': env,
    'stop': lambda args: api.stop_service(args.service, args.state_dir,
                                          quiet=args.quiet),
    'start': lambda args: api.start_service(args.service, args.state_dir,
                                            quiet=args.quiet),
}


def main(argv=None):
    args = parser().parse_args(argv)
    common.set_quiet(args.quiet)
    try:
        return COMMANDS[args.command](args) or 0
    except common.SandboxError as exc:
        sys.stderr.write('sandbox: error: %s\n' % exc)
        return 1
    except KeyboardInterrupt:
        sys.stderr.write('sandbox: interrupted\n')
        return 130
