# SPDX-License-Identifier: Apache-2.0
"""A cloud's Barbican (key manager), for the clouds whose variant asks.

``GlanceVariant(barbican=True)`` gives that cloud a Barbican of its own:
barbican from PyPI in a venv of its own (``<state>/barbican-venv``, kept
by ``down --wipe`` so that it is installed once per state folder), served
by the sandbox's uWSGI on 127.0.0.1 (``<cloud>-barbican``), with a sqlite
database and the ``simple_crypto`` plugin, keystonemiddleware checking
tokens against that cloud's Keystone, and the cloud's catalog naming it as
the ``key-manager`` service. That cloud's Glance then verifies signed
images with it (castellan's ``[key_manager]`` and ``[barbican]`` options).

Barbican's modules each parse the configuration files oslo.config finds
by itself (``~/.barbican/``, ``~/``, ``/etc/barbican/``...), and its WSGI
script loads ``/etc/barbican/barbican-api-paste.ini``: the server runs with
``HOME`` set to its folder, which holds ``barbican.conf``, and the WSGI
module below loads the paste file from there.
"""

import os
import shutil

from cloudsandbox import common
from cloudsandbox import credentials
from cloudsandbox import provision
from cloudsandbox import venv

REQUIREMENTS = ['barbican==23.0.0']
VENV = 'barbican-venv'
# Written into the venv after a complete install: it names what is in it.
VENV_STAMP = '.osc-image-migrate-barbican'
SERVICE_TYPE = 'key-manager'
USER = 'barbican'

# The uWSGI module (barbican.conf is found in HOME: see server_env).
WSGI_MODULE = """\
import os

from paste import deploy

application = deploy.loadapp('config:' + os.path.join(
    os.environ['OS_BARBICAN_CONFIG_DIR'], 'barbican-api-paste.ini'))
"""


def services(state):
    """The ``<cloud>-barbican`` services the clouds' variants ask for."""
    return tuple('%s-barbican' % c for c in common.CLOUDS
                 if state.variant(c).barbican)


def server_env(folder):
    """Where oslo.config finds barbican.conf: ``~/barbican.conf``."""
    return {'HOME': folder}


def venv_dir(state):
    return os.path.join(state.dir, VENV)


def ensure_venv(state):
    """Install Barbican into its own venv, once per state folder."""
    return venv.ensure_own(state, venv_dir(state), REQUIREMENTS, VENV_STAMP,
                           'barbican')


def kek(bdir):
    """simple_crypto's key-encryption key: made once, kept in the folder.

    A kept key that Fernet refuses (standard base64, as this function
    wrote it before cryptography 51 enforced the URL-safe alphabet) is
    replaced. Secrets stored under the old key could not be read any more,
    but none could be stored with it since, and the tests store theirs
    anew in each run.
    """
    path = os.path.join(bdir, 'kek')
    if os.path.exists(path):
        with open(path) as f:
            key = f.read().strip()
        if credentials.is_fernet_key(key):
            return key
        common.log('replacing %s: not a key Fernet accepts' % path)
    key = credentials.fernet_key()
    common.write_file(path, key + '\n', 0o600)
    return key


def conf(bdir, public_url, keystone_url, password, cafile=None):
    """barbican.conf as {section: {option: value}}."""
    result = {
        'DEFAULT': {'debug': 'false', 'host_href': public_url,
                    # Tables made at start-up: no barbican-manage step.
                    'db_auto_create': 'true'},
        'database': {'connection': 'sqlite:///%s/barbican.db?timeout=30'
                     % bdir},
        'secretstore': {'enabled_secretstore_plugins': 'store_crypto'},
        'crypto': {'enabled_crypto_plugins': 'simple_crypto'},
        'simple_crypto_plugin': {'kek': kek(bdir)},
        'keystone_authtoken': common.authtoken(keystone_url, USER,
                                               password, cafile),
        'oslo_middleware': {'enable_proxy_headers_parsing': 'true'},
        'oslo_policy': {'enforce_new_defaults': 'true',
                        'enforce_scope': 'true'},
    }
    return result


def glance_conf(barbican_url, keystone_url, cafile=None):
    """What Glance needs to fetch certificates (castellan's options)."""
    result = {
        'key_manager': {'backend': 'barbican'},
        'barbican': {'barbican_endpoint': barbican_url,
                     'barbican_api_version': 'v1',
                     'auth_endpoint': keystone_url + '/v3',
                     'barbican_endpoint_type': 'public'},
    }
    if cafile:
        result['barbican']['verify_ssl_path'] = cafile
    return result


def write_configs(state, service, ini):
    """Render ``service``'s folder; return True if anything changed."""
    cloud = service.split('-')[0]
    bdir = state.sdir(service)
    os.makedirs(bdir, exist_ok=True)
    changed = common.write_file(
        os.path.join(bdir, 'barbican.conf'), ini(conf(
            bdir, state.url(service), state.url(cloud + '-keystone'),
            state.passwords[cloud][USER], state.cafile(cloud))), 0o600)
    paste = os.path.join(venv_dir(state), 'etc', 'barbican',
                         'barbican-api-paste.ini')
    with open(paste) as f:
        text = f.read()
    # Its health check looks for a file in /etc: point it at ours.
    text = text.replace('/etc/barbican/', bdir + '/')
    changed |= common.write_file(
        os.path.join(bdir, 'barbican-api-paste.ini'), text)
    return changed


def sync_catalog(state, cloud):
    """The cloud's key-manager service, user and endpoints as wanted."""
    provision.sync_optional(
        state, cloud, cloud + '-key-manager', USER,
        [(SERVICE_TYPE, 'barbican', state.url(cloud + '-barbican'),
          'Key manager')], state.variant(cloud).barbican)


def wipe_venv(state):
    shutil.rmtree(venv_dir(state), ignore_errors=True)
