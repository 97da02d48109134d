# SPDX-License-Identifier: Apache-2.0
"""HAProxy in front of both clouds: TLS termination, as real clouds have.

One ``haproxy`` process per sandbox (Debian's package, in the foreground
with its own config under ``<state>/haproxy``), listening on 127.0.0.1 at
each service's public port with that cloud's certificate, forwarding in
clear to uWSGI at the public port + 4. Two more frontends serve dst
Keystone with a certificate for another host name and with an expired one.

Timeouts are kolla-ansible's defaults (its loadbalancer role:
``http-request`` 10s, ``http-keep-alive`` 10s, ``queue`` 1m, ``connect``
10s, ``client``/``server`` 1m, ``check`` 10s) and, for Glance, its glance
role's 6h ``client``/``server`` so that long image transfers pass, as they
do there. These are inactivity timeouts: a transfer that keeps moving
never meets them; one that stalls for a minute (Keystone) or six hours
(Glance) is cut by HAProxy.
"""

import os
import shutil

from cloudsandbox import common
from cloudsandbox import tls

DEFAULT_TIMEOUTS = (('http-request', '10s'), ('http-keep-alive', '10s'),
                    ('queue', '1m'), ('connect', '10s'), ('client', '1m'),
                    ('server', '1m'), ('check', '10s'))
GLANCE_TIMEOUT = '6h'
# Frontends with a bad certificate: {frontend: (backend, certificate)}.
BAD_FRONTENDS = {
    'dst-keystone-wrong-host': ('dst-keystone', 'dst-wrong-host'),
    'dst-keystone-expired': ('dst-keystone', 'dst-expired'),
}


def binary():
    found = shutil.which('haproxy', path=os.pathsep.join(
        [os.environ.get('PATH', ''), '/usr/sbin', '/sbin']))
    if not found:
        raise common.SandboxError(
            'haproxy is missing: the sandbox serves HTTPS through it '
            '(Debian: apt-get install haproxy; or "up --no-tls")')
    return found


def render(ports, backend_ports, tls_dir):
    """haproxy.cfg.

    ``ports``: the public port of every service and bad frontend;
    ``backend_ports``: the uWSGI port of every service (Barbicans too,
    where the sandbox runs them).
    """
    lines = [
        '# Written by tools/sandbox.py: TLS in front of both clouds.',
        'global',
        '    log stdout format raw daemon',
        '    maxconn 4096',
        '    ssl-default-bind-options ssl-min-ver TLSv1.2',
        '',
        'defaults',
        '    mode http',
        '    log global',
        '    option httplog',
        # Only errors (5xx, timeouts, aborted transfers) are logged.
        '    option dontlog-normal',
        '    option forwardfor',
        '    option redispatch',
        '    retries 3',
    ] + ['    timeout %s %s' % t for t in DEFAULT_TIMEOUTS]
    frontends = [(s, s, s.split('-')[0]) for s in backend_ports]
    frontends += [(f, b, c) for f, (b, c) in sorted(BAD_FRONTENDS.items())]
    for frontend, backend, cert in frontends:
        lines += [
            '',
            'frontend %s' % frontend,
            '    bind 127.0.0.1:%d ssl crt %s' % (
                ports[frontend], tls.served(tls_dir, cert)),
            '    http-request set-header X-Forwarded-Proto https',
            '    default_backend %s' % backend,
        ]
        if backend.endswith('glance'):
            lines.append('    timeout client %s' % GLANCE_TIMEOUT)
    for service in backend_ports:
        lines += ['', 'backend %s' % service]
        if service.endswith('glance'):
            lines.append('    timeout server %s' % GLANCE_TIMEOUT)
        lines.append('    server uwsgi 127.0.0.1:%d'
                     % backend_ports[service])
    return '\n'.join(lines) + '\n'


def argv(cfg):
    # -db: stay in the foreground, one process we can signal.
    return [binary(), '-db', '-f', cfg]
