# SPDX-License-Identifier: Apache-2.0
"""A cloud's Cinder API (block storage), for the clouds whose variant asks.

``GlanceVariant(cinder=True)`` gives that cloud the Cinder API alone:
cinder from PyPI in a venv of its own (``<state>/cinder-venv``, kept by
``down --wipe`` so that it is installed once per state folder), served by
the sandbox's uWSGI on 127.0.0.1 (``<cloud>-cinder``), with a sqlite
database (``cinder-manage db sync``), keystonemiddleware checking tokens
against that cloud's Keystone as the ``cinder`` service user, and the
cloud's catalog naming it as ``block-storage`` and ``volumev3`` at
``<url>/v3/%(project_id)s``, as real clouds register it.

There is no scheduler, no volume service and no message queue (the fake
oslo.messaging driver): the API answers reads of what its database holds,
e.g. ``GET /v3/{project}/snapshots/{id}``. Tests write the ``volumes`` and
``snapshots`` rows a real Cinder would hold straight into that database
(``database_path``). Like Barbican's, it stays on sqlite under a MariaDB
sandbox: only API reads and those test rows go through it.
"""

import os
import subprocess

from cloudsandbox import common
from cloudsandbox import provision
from cloudsandbox import venv

REQUIREMENTS = ['cinder==29.0.0']
VENV = 'cinder-venv'
# Written into the venv after a complete install: it names what is in it.
VENV_STAMP = '.osc-image-migrate-cinder'
SERVICE_TYPES = ('block-storage', 'volumev3')
USER = 'cinder'
# Cinder's API answers under /v3/<project ID> (keystone fills it in).
ENDPOINT_PATH = '/v3/%(project_id)s'

# The uWSGI module. Cinder parses sys.argv with oslo.config at load time,
# and under uWSGI that is uWSGI's: name the config file there instead.
WSGI_MODULE = """\
import os
import sys

sys.argv = [sys.argv[0], '--config-file', os.path.join(
    os.environ['OS_CINDER_CONFIG_DIR'], 'cinder.conf')]

from cinder.wsgi.api import application  # noqa: E402,F401
"""


def services(state):
    """The ``<cloud>-cinder`` services the clouds' variants ask for."""
    return tuple('%s-cinder' % c for c in common.CLOUDS
                 if state.variant(c).cinder)


def venv_dir(state):
    return os.path.join(state.dir, VENV)


def ensure_venv(state):
    """Install Cinder into its own venv, once per state folder."""
    return venv.ensure_own(state, venv_dir(state), REQUIREMENTS, VENV_STAMP,
                           'cinder')


def database_path(cdir):
    return os.path.join(cdir, 'cinder.db')


def conf(cdir, public_url, keystone_url, password, cafile=None):
    """cinder.conf as {section: {option: value}}."""
    result = {
        'DEFAULT': {
            'debug': 'false',
            'auth_strategy': 'keystone',
            'state_path': cdir,
            'api_paste_config': os.path.join(cdir, 'api-paste.ini'),
            'public_endpoint': public_url,
            # No RabbitMQ: the API's few casts (none for reads) go nowhere.
            'transport_url': 'fake:/',
        },
        'database': {'connection': 'sqlite:///%s?timeout=30'
                     % database_path(cdir)},
        'coordination': {'backend_url': 'file://%s'
                         % os.path.join(cdir, 'coordination')},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'oslo_concurrency': {'lock_path': os.path.join(cdir, 'locks')},
        'keystone_authtoken': common.authtoken(keystone_url, USER,
                                               password, cafile),
        'oslo_middleware': {'enable_proxy_headers_parsing': 'true'},
        'oslo_policy': {'enforce_new_defaults': 'true',
                        'enforce_scope': 'true'},
    }
    return result


def write_configs(state, service, ini):
    """Render ``service``'s folder; return True if anything changed."""
    cloud = service.split('-')[0]
    cdir = state.sdir(service)
    for sub in ('locks', 'coordination'):
        os.makedirs(os.path.join(cdir, sub), exist_ok=True)
    changed = common.write_file(
        os.path.join(cdir, 'cinder.conf'), ini(conf(
            cdir, state.url(service), state.url(cloud + '-keystone'),
            state.passwords[cloud][USER], state.cafile(cloud))), 0o600)
    paste = os.path.join(venv_dir(state), 'etc', 'cinder', 'api-paste.ini')
    with open(paste) as f:
        text = f.read()
    # Its health check looks for a file in /etc: point it at ours.
    text = text.replace('/etc/cinder/', cdir + '/')
    changed |= common.write_file(os.path.join(cdir, 'api-paste.ini'), text)
    return changed


def ensure_database(state, service):
    """``cinder-manage db sync`` into a new sqlite database, once."""
    mark = service + '-setup'
    cdir = state.sdir(service)
    if state.done(mark) and os.path.exists(database_path(cdir)):
        return False
    common.remove_file(database_path(cdir))
    log = os.path.join(state.logs, service + '-setup.log')
    common.log('setting up %s (db sync)' % service)
    with open(log, 'ab') as out:
        rc = subprocess.call(
            [os.path.join(venv_dir(state), 'bin', 'cinder-manage'),
             '--config-file', os.path.join(cdir, 'cinder.conf'), 'db',
             'sync'], stdout=out, stderr=subprocess.STDOUT, cwd=cdir,
            stdin=subprocess.DEVNULL, env=common.clean_env())
    if rc != 0:
        raise common.SandboxError('%s setup failed (exit %d); see %s'
                                  % (service, rc, log))
    state.mark(mark)
    return True


def sync_catalog(state, cloud):
    """The cloud's block-storage services, user and endpoints as wanted."""
    url = state.url(cloud + '-cinder') + ENDPOINT_PATH
    provision.sync_optional(
        state, cloud, cloud + '-block-storage', USER,
        [(t, 'cinder', url, 'Block storage') for t in SERVICE_TYPES],
        state.variant(cloud).cinder)
