# SPDX-License-Identifier: Apache-2.0
"""The state folder: settings, passwords, progress, names of things.

One folder is one sandbox. ``state.json`` keeps what later commands must
agree on (ports, venv, each cloud's Glance variant, Keystone token
lifetime) and which one-time steps are done; ``passwords.json`` keeps the
random passwords. A lock file serialises commands on the same folder.
"""

import contextlib
import fcntl
import json
import os

from cloudsandbox import barbican
from cloudsandbox import ceph
from cloudsandbox import cinder
from cloudsandbox import cloudsyaml
from cloudsandbox import common
from cloudsandbox import credentials
from cloudsandbox import deployment
from cloudsandbox import glance
from cloudsandbox import regions

PORT_BASE_VARIABLE = 'OSC_IMAGE_MIGRATE_SANDBOX_PORT_BASE'
# The MariaDB account of Keystone and Glance (password: passwords.json).
DATABASE_USER = 'sandbox'
KEYSTONE_DEFAULTS = {'token_expiration': 3600}
# How the clouds share Keystone: ``regions`` 1 for one Keystone with a
# Glance in each of two regions (regions.py), 0 for a Keystone per cloud.
TOPOLOGY_DEFAULTS = {'regions': 0}
# Settings of the first sandboxes, kept in 'options' beside the token
# lifetime; they are now fields of each cloud's Glance variant.
FORMER_GLANCE_OPTIONS = ('image_size_cap', 'require_image_format_match')


def default_dir():
    return (os.environ.get('OSC_IMAGE_MIGRATE_SANDBOX')
            or os.path.join(common.REPO, '.sandbox'))


class State:
    """One state folder and the names of what lives in it."""

    def __init__(self, state_dir=None):
        self.dir = os.path.abspath(os.path.expanduser(
            state_dir or default_dir()))
        self.state_file = os.path.join(self.dir, 'state.json')
        self.passwords_file = os.path.join(self.dir, 'passwords.json')
        self.clouds_yaml = os.path.join(self.dir, 'clouds.yaml')
        self.logs = os.path.join(self.dir, 'logs')
        self.run = os.path.join(self.dir, 'run')
        self.data = {}
        self.passwords = {}
        try:
            if os.path.exists(self.state_file):
                with open(self.state_file) as f:
                    self.data = json.load(f)
                if os.path.exists(self.passwords_file):
                    with open(self.passwords_file) as f:
                        self.passwords = json.load(f)
        except (OSError, ValueError) as exc:
            raise common.SandboxError('cannot read the state in %s (%s); run '
                                      '"down --wipe" then "up"'
                                      % (self.dir, exc))

    @property
    def exists(self):
        return bool(self.data)

    def save(self):
        common.write_file(self.state_file, json.dumps(
            self.data, indent=2, sort_keys=True) + '\n')

    def done(self, step):
        return bool(self.data.get('done', {}).get(step))

    def mark(self, step, value=True):
        self.data.setdefault('done', {})[step] = value
        self.save()

    @contextlib.contextmanager
    def locked(self):
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, 'lock'), 'a') as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def require(self):
        if not self.exists:
            raise common.SandboxError('no sandbox in %s; run "python3 %s up" '
                                      'first' % (self.dir,
                                                 common.ENTRY_SCRIPT))

    # -- settings ---------------------------------------------------------

    def settle(self, port_base=None, venv=None, variants=None,
               deploy=None, **settings):
        """Create or update the stored settings; create the passwords.

        ``deploy``: {'database', 'tls', 'workers'} as given (None: not
        given), see the ``deployment`` module.

        ``variants`` maps clouds to the GlanceVariant to use instead of the
        stored one. ``settings`` are ``token_expiration`` and single fields
        of a variant, named ``<cloud>_<field>`` (``dst_image_size_cap``);
        None keeps what is stored.
        """
        self.data['deployment'] = deployment.choose(
            self.data.get('deployment'), 'port_base' in self.data,
            os.environ, **(deploy or {}))
        self.data['port_base'] = self._port_base(port_base)
        if venv:
            self.data['venv'] = os.path.abspath(os.path.expanduser(venv))
        self.data.setdefault('venv', os.path.join(self.dir, 'venv'))
        self._upgrade_options()
        options = self.data.setdefault('options', dict(KEYSTONE_DEFAULTS))
        chosen = {c: self.variant(c) for c in common.CLOUDS}
        chosen.update((c, v) for c, v in (variants or {}).items()
                      if v is not None)
        for key, value in settings.items():
            cloud, _, field = key.partition('_')
            if key in KEYSTONE_DEFAULTS:
                if value is not None:
                    options[key] = int(value)
            elif key in TOPOLOGY_DEFAULTS:
                if value is not None:
                    self.data.setdefault('topology', {})[key] = int(value)
            elif cloud in common.CLOUDS:
                chosen[cloud] = chosen[cloud].with_setting(field, value)
            else:
                raise common.SandboxError('unknown option %r' % key)
        self.data['glance'] = {c: v.to_state() for c, v in chosen.items()}
        for d in (self.logs, self.run):
            os.makedirs(d, exist_ok=True)
        if not self.passwords:
            # New passwords mean new databases: forget all setup done.
            self.data['done'] = {k: v for k, v in self.data.get(
                'done', {}).items() if k == 'venv'}
            self.passwords = {
                cloud: {user: credentials.password()
                        for user in ('admin', 'glance') + common.MEMBER_USERS}
                for cloud in common.CLOUDS}
        if 'database' not in self.passwords:
            self.passwords['database'] = {
                DATABASE_USER: credentials.password()}
        # Users added since a sandbox was made get their password now.
        for cloud in common.CLOUDS:
            for user in (barbican.USER, cinder.USER, cloudsyaml.MIGRATOR):
                self.passwords[cloud].setdefault(
                    user, credentials.password())
        common.write_file(self.passwords_file, json.dumps(
            self.passwords, indent=2) + '\n', 0o600)
        self.save()

    def _port_base(self, port_base):
        env_base = os.environ.get(PORT_BASE_VARIABLE)
        stored = self.data.get('port_base')
        # The variable picks the ports of a new sandbox; an existing one
        # keeps its own (an explicit --port-base must still agree).
        if port_base is None and env_base and stored is None:
            try:
                port_base = int(env_base)
            except ValueError:
                raise common.SandboxError('%s=%r is not a number'
                                          % (PORT_BASE_VARIABLE, env_base))
        if stored is not None and port_base not in (None, stored):
            raise common.SandboxError(
                'sandbox %s uses port base %d, not %d; pass --port-base %d '
                'or run "down --wipe" first' % (self.dir, stored, port_base,
                                                stored))
        port_base = stored or port_base or common.DEFAULT_PORT_BASE
        if not 1024 <= port_base <= 65535 - common.MAX_OFFSET:
            raise common.SandboxError('port base %d is out of range'
                                      % port_base)
        return port_base

    def _upgrade_options(self):
        """Move the Glance settings of an older state into the variants."""
        options = self.data.get('options', {})
        for cloud in common.CLOUDS:
            stored = self.data.setdefault('glance', {}).setdefault(cloud, {})
            for field in FORMER_GLANCE_OPTIONS:
                key = '%s_%s' % (cloud, field)
                if key in options:
                    stored[field] = glance.GlanceVariant().with_setting(
                        field, options.pop(key)).to_state()[field]

    def variant(self, cloud):
        """The cloud's stored GlanceVariant (the stock one if none)."""
        return glance.GlanceVariant.from_state(
            self.data.get('glance', {}).get(cloud, {}))

    @property
    def options(self):
        return dict(KEYSTONE_DEFAULTS, **self.data.get('options', {}))

    @property
    def topology(self):
        return dict(TOPOLOGY_DEFAULTS, **self.data.get('topology', {}))

    # -- names ------------------------------------------------------------

    @property
    def venv(self):
        return self.data.get('venv') or os.path.join(self.dir, 'venv')

    @property
    def deployment(self):
        return dict(deployment.LEGACY, **self.data.get('deployment', {}))

    @property
    def tls(self):
        return self.deployment['tls']

    def services(self):
        """The API servers this sandbox runs (optional ones where asked)."""
        return (common.SERVICES + barbican.services(self)
                + cinder.services(self))

    def port(self, service):
        """The public port: where clients reach the service."""
        return self.data['port_base'] + common.PORT_OFFSETS[service]

    def backend_port(self, service):
        """Where uWSGI listens (behind HAProxy with TLS)."""
        if not self.tls:
            return self.port(service)
        return self.data['port_base'] + common.backend_offset(service)

    def url(self, service):
        return '%s://127.0.0.1:%d' % ('https' if self.tls else 'http',
                                      self.port(service))

    def backend_url(self, service):
        return 'http://127.0.0.1:%d' % self.backend_port(service)

    @property
    def tls_dir(self):
        return os.path.join(self.dir, 'tls')

    def cafile(self, service_or_cloud):
        """The CA of the service's cloud (None without TLS)."""
        if not self.tls:
            return None
        cloud = service_or_cloud.split('-')[0]
        return os.path.join(self.tls_dir, '%s-ca.pem' % cloud)

    def infra_mark(self, service):
        """The environment entry that proves mariadbd/haproxy ours."""
        return ('OSC_IMAGE_MIGRATE_SANDBOX_SERVICE',
                os.path.join(self.dir, service))

    def infra(self):
        """The processes besides the API servers that this one runs."""
        wanted = {'mariadb': self.deployment['database'] == 'mariadb',
                  'haproxy': self.tls}
        return [s for s in common.INFRA if wanted[s]]

    def sdir(self, service):
        return os.path.join(self.dir, *service.split('-'))

    def log_file(self, service):
        return os.path.join(self.logs, service + '.log')

    def pid_file(self, service):
        return os.path.join(self.run, service + '.pid')

    def auth_urls(self):
        return {c: self.url(regions.keystone_cloud(self, c) + '-keystone')
                + '/v3' for c in common.CLOUDS}

    def info(self):
        """What users of the sandbox need to know, as plain data."""
        auth_urls = self.auth_urls()
        clouds = {c: {'keystone': self.url(
                          regions.keystone_cloud(self, c) + '-keystone'),
                      'auth_url': auth_urls[c],
                      'glance': self.url(c + '-glance'),
                      'region': regions.region(self, c),
                      'glance_variant': self.variant(c),
                      'barbican': (self.url(c + '-barbican')
                                   if self.variant(c).barbican else None),
                      'cinder': (self.url(c + '-cinder')
                                 if self.variant(c).cinder else None),
                      'ceph': (ceph.client_settings(self, c)
                               if self.variant(c).ceph else None)}
                  for c in common.CLOUDS}
        return {
            'state_dir': self.dir,
            'clouds_yaml': self.clouds_yaml,
            'env': {'OS_CLIENT_CONFIG_FILE': self.clouds_yaml},
            'venv': self.venv,
            'port_base': self.data['port_base'],
            'ports': {s: self.port(s) for s in self.services()},
            # Where uWSGI itself listens (plain HTTP): a fault proxy put
            # there damages bytes, not TLS records.
            'backend_ports': {s: self.backend_port(s)
                              for s in self.services()},
            'deployment': self.deployment,
            'cafiles': {c: regions.cafile(self, c) for c in common.CLOUDS},
            'clouds': clouds,
            'cloud_names': cloudsyaml.cloud_names(
                self.tls and not regions.enabled(self), ceph.clouds(self)),
            'passwords': json.loads(json.dumps(self.passwords)),
            'logs': {s: self.log_file(s)
                     for s in self.services() + tuple(self.infra())},
            'options': self.options,
            'topology': self.topology,
        }
