# SPDX-License-Identifier: Apache-2.0
"""A cloud's Glance: the variant that describes it and its configuration.

``GlanceVariant`` is the one place that says how a sandbox Glance differs
from the stock one (stores, policy, import plugins, limits). The sandbox
stores each cloud's variant in its state and renders it into
``glance-api.conf`` (and ``policy.yaml``); a changed variant changes those
files, which restarts that Glance.
"""

import dataclasses
import json
import os
import shutil

from cloudsandbox import barbican as barbicans
from cloudsandbox import common

TiB = 1024 ** 4
# The stock store keeps the folder it always had, so an existing sandbox
# keeps its images; other stores get one folder each.
STOCK_STORE = 'fs'
# Each store has a section of glance-api.conf named after it: it must not
# be one of the sections the sandbox writes (or Glance's own stores).
NOT_STORE_NAMES = ('DEFAULT', 'rbd', 'database', 'glance_store',
                   'os_glance_staging_store', 'os_glance_tasks_store',
                   'paste_deploy', 'keystone_authtoken', 'oslo_concurrency',
                   'oslo_policy', 'image_format', 'image_import_opts',
                   'oslo_limit', 'oslo_middleware', 'key_manager',
                   'barbican', 'import_filtering_opts')
# The store of a variant with ``ceph``, in its cluster.
RBD_STORE = 'rbd'
# What Glance enforces with Keystone unified limits (sizes in MiB).
LIMIT_RESOURCES = ('image_size_total', 'image_stage_total',
                   'image_count_total', 'image_count_uploading')
# Glance's own enabled_import_methods; a variant's import_methods are
# added to them.
DEFAULT_IMPORT_METHODS = ('glance-direct', 'web-download', 'copy-image')


@dataclasses.dataclass(frozen=True)
class GlanceVariant:
    """How one cloud's Glance differs from the stock sandbox Glance.

    stores: file stores, each in its own folder (the stock one: ``fs``).
    default_store: where uploads without a store go (default: the first).
    policy: policy rules over Glance's defaults, e.g.
        ``{'upload_image': '!'}`` forbids ``PUT /v2/images/{id}/file``.
    import_plugins: interoperable import plugins, e.g.
        ``('image_conversion',)`` (needs ``qemu-img``).
    image_size_cap: bytes; bigger uploads get HTTP 413.
    require_image_format_match: False lets Glance accept data that does
        not match its disk_format, as old clouds did.
    unified_limits: Keystone registered limits of the image service,
        ``{resource: default limit}`` (sizes in MiB, as Glance counts),
        e.g. ``{'image_count_total': 10}``; given, Glance enforces them
        (``use_keystone_limits``) and the resources not named are
        unlimited (-1). See LIMIT_RESOURCES.
    project_limits: ``{project name: {resource: limit}}``, Keystone limits
        of single projects over the registered ones.
    barbican: the cloud gets a Barbican of its own (barbican.py), in its
        catalog as ``key-manager``, and Glance fetches the certificates
        of signed images from it.
    cinder: the cloud gets a Cinder API of its own (cinder.py), in its
        catalog as ``block-storage`` and ``volumev3``; Glance does not
        use it.
    ceph: the cloud gets a one-node Ceph cluster of its own (ceph.py)
        and Glance an ``rbd`` store in it (its default store unless
        ``default_store`` names another), with ``show_image_direct_url``
        on, as Ceph-backed clouds run it; the cloud's admin gets the
        ``service`` role (Glance's location API asks for it) and its
        clouds.yaml entries an ``image_migrate:`` block for the tool.
    import_methods: import methods enabled besides Glance's defaults
        (DEFAULT_IMPORT_METHODS), e.g. ``('glance-download',)``: that
        Glance then pulls images from another region of its Keystone.
    open_import_filter: ``[import_filtering_opts]`` lets the importing
        methods (web-download, glance-download) reach the sandbox's own
        Glances: 127.0.0.1 and their ports. Glance's default filter
        allows ports 80 and 443 only, so it refuses them.
    conf: more glance-api.conf settings, ``{section: {option: value}}``,
        e.g. ``{'image_conversion': {'output_format': 'raw'}}``; they win
        over what the sandbox writes.
    """

    stores: tuple = (STOCK_STORE,)
    default_store: str = ''
    policy: dict = dataclasses.field(default_factory=dict)
    import_plugins: tuple = ()
    image_size_cap: int = TiB
    require_image_format_match: bool = True
    unified_limits: dict = dataclasses.field(default_factory=dict)
    project_limits: dict = dataclasses.field(default_factory=dict)
    barbican: bool = False
    cinder: bool = False
    ceph: bool = False
    import_methods: tuple = ()
    open_import_filter: bool = False
    conf: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        # Lists from JSON or callers become tuples, so that equal variants
        # compare equal whatever they were written with.
        for name in ('stores', 'import_plugins', 'import_methods'):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))
        if not self.stores:
            raise common.SandboxError('a Glance variant needs a store')
        for store in self.stores:
            if not store.isidentifier() or store in NOT_STORE_NAMES:
                raise common.SandboxError('%r cannot name a store' % store)
        if self.default_store and self.default_store not in (
                self.stores + (RBD_STORE,) * self.ceph):
            raise common.SandboxError(
                'default store %r is not one of the stores %s'
                % (self.default_store, ', '.join(self.stores)))
        self._check_limits()

    def _check_limits(self):
        if self.project_limits and not self.unified_limits:
            raise common.SandboxError('project_limits need unified_limits '
                                      '(the registered limits)')
        for limits in [self.unified_limits] + list(
                self.project_limits.values()):
            unknown = sorted(set(limits) - set(LIMIT_RESOURCES))
            if unknown:
                raise common.SandboxError(
                    'unknown image limits %s (choose from %s)'
                    % (', '.join(unknown), ', '.join(LIMIT_RESOURCES)))

    def registered_limits(self):
        """{resource: default limit} to register in Keystone ({}: none)."""
        if not self.unified_limits:
            return {}
        return {r: int(self.unified_limits.get(r, -1))
                for r in LIMIT_RESOURCES}

    @property
    def default(self):
        return self.default_store or (RBD_STORE if self.ceph
                                      else self.stores[0])

    def to_state(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, data):
        try:
            return cls(**data)
        except TypeError as exc:
            raise common.SandboxError('stored Glance variant %r: %s; run '
                                      '"down --wipe" then "up"'
                                      % (data, exc))

    def with_setting(self, name, value):
        """A copy with one field changed; None changes nothing."""
        fields = {f.name for f in dataclasses.fields(self)}
        if name not in fields:
            raise common.SandboxError('a Glance variant has no %r' % name)
        if value is None:
            return self
        current = getattr(self, name)
        if isinstance(current, (bool, int)):
            value = type(current)(value)
        return dataclasses.replace(self, **{name: value})


def store_dir(gdir, store):
    if store == STOCK_STORE:
        return os.path.join(gdir, 'images')
    return os.path.join(gdir, 'images-' + store)


def api_conf(variant, gdir, port, keystone_url, password, database_url=None,
             public_url=None, cafile=None, barbican_url=None,
             rbd_conf=None, import_ports=(), region=common.REGION):
    """glance-api.conf as {section: {option: value}}.

    ``database_url``: sqlite in ``gdir`` if None; ``public_url``: where
    clients reach this Glance (``http://127.0.0.1:<port>`` if None);
    ``cafile``: the CA that verifies Keystone, if it speaks https;
    ``barbican_url``: the cloud's Barbican (used when the variant has one);
    ``rbd_conf``: the options of the ``rbd`` store (ceph.glance_conf),
    used when the variant has a Ceph cluster;
    ``import_ports``: the sandbox's Glance ports, which an open import
    filter allows; ``region``: this Glance's region in the catalog.
    """
    public_url = public_url or 'http://127.0.0.1:%d' % port
    conf = {
        'DEFAULT': {
            'debug': 'false',
            'enabled_backends': ', '.join('%s:file' % s
                                          for s in variant.stores),
            'image_size_cap': variant.image_size_cap,
            'public_endpoint': public_url,
            'worker_self_reference_url': public_url,
        },
        'database': {
            'connection': database_url or (
                'sqlite:///%s/glance.db?timeout=30' % gdir)},
        'glance_store': {'default_backend': variant.default},
    }
    if variant.ceph:
        conf['DEFAULT']['enabled_backends'] += ', %s:rbd' % RBD_STORE
        conf['DEFAULT']['show_image_direct_url'] = 'true'
        conf[RBD_STORE] = dict(rbd_conf or {})
    for store in variant.stores:
        conf[store] = {'filesystem_store_datadir': store_dir(gdir, store),
                       # 1 MiB writes: ~121 MiB/s uploads instead of ~90.
                       'filesystem_store_chunk_size': 1048576}
    conf.update({
        'os_glance_staging_store': {
            'filesystem_store_datadir': os.path.join(gdir, 'staging')},
        'os_glance_tasks_store': {
            'filesystem_store_datadir': os.path.join(gdir, 'tasks')},
        'paste_deploy': {
            'flavor': 'keystone',
            'config_file': os.path.join(gdir, 'glance-api-paste.ini')},
        'keystone_authtoken': common.authtoken(keystone_url, 'glance',
                                               password, cafile),
        'oslo_concurrency': {'lock_path': os.path.join(gdir, 'locks')},
        # Behind HAProxy: X-Forwarded-Proto says the client spoke https.
        'oslo_middleware': {'enable_proxy_headers_parsing': 'true'},
        'oslo_policy': {'enforce_new_defaults': 'true',
                        'enforce_scope': 'true'},
    })
    if variant.policy:
        conf['oslo_policy']['policy_file'] = os.path.join(gdir, 'policy.yaml')
    if variant.unified_limits:
        conf['DEFAULT']['use_keystone_limits'] = 'true'
        # oslo.limit reads the limits as the glance user, with the system
        # reader role, and finds the image service by its catalog entry.
        conf['oslo_limit'] = {
            'auth_url': keystone_url,
            'auth_type': 'password',
            'username': 'glance',
            'password': password,
            'user_domain_name': 'Default',
            'system_scope': 'all',
            'endpoint_service_type': 'image',
            'endpoint_region_name': region,
            'endpoint_interface': 'public',
        }
        if cafile:
            conf['oslo_limit']['cafile'] = cafile
    if not variant.require_image_format_match:
        conf['image_format'] = {'require_image_format_match': 'false'}
    if variant.import_plugins:
        plugins = ', '.join(repr(p) for p in variant.import_plugins)
        conf['image_import_opts'] = {'image_import_plugins': '[%s]' % plugins}
    if variant.import_methods:
        methods = DEFAULT_IMPORT_METHODS + tuple(
            m for m in variant.import_methods
            if m not in DEFAULT_IMPORT_METHODS)
        conf['DEFAULT']['enabled_import_methods'] = '[%s]' % ', '.join(
            repr(m) for m in methods)
    if variant.open_import_filter:
        # Both lists are written in brackets (their options have bounds).
        conf['import_filtering_opts'] = {
            'allowed_hosts': '[127.0.0.1]',
            'allowed_ports': '[%s]' % ', '.join(str(p) for p in sorted(
                import_ports))}
    if variant.barbican:
        conf.update(barbicans.glance_conf(barbican_url, keystone_url,
                                          cafile))
    for section, options in variant.conf.items():
        conf.setdefault(section, {}).update(options)
    return conf


def ini(conf):
    return '\n'.join('[%s]\n%s' % (section, ''.join(
        '%s = %s\n' % (key, value) for key, value in options.items()))
        for section, options in conf.items())


def write_configs(variant, gdir, port, keystone_url, password, venv,
                  **site):
    """Render the variant into ``gdir``; return True if anything changed."""
    if 'image_conversion' in variant.import_plugins and \
            not shutil.which('qemu-img'):
        raise common.SandboxError('the image_conversion import plugin needs '
                                  'qemu-img (Debian: apt-get install '
                                  'qemu-utils)')
    for sub in ('staging', 'tasks', 'locks'):
        os.makedirs(os.path.join(gdir, sub), exist_ok=True)
    for store in variant.stores:
        os.makedirs(store_dir(gdir, store), exist_ok=True)
    conf = api_conf(variant, gdir, port, keystone_url, password, **site)
    changed = common.write_file(os.path.join(gdir, 'glance-api.conf'),
                                ini(conf), 0o600)
    # oslo.policy also finds a policy.yaml in the config folder by itself:
    # without rules there must be no file at all.
    policy = os.path.join(gdir, 'policy.yaml')
    if variant.policy:
        changed |= common.write_file(policy, json.dumps(
            variant.policy, indent=2, sort_keys=True) + '\n')
    else:
        changed |= common.remove_file(policy)
    paste = os.path.join(venv, 'etc', 'glance', 'glance-api-paste.ini')
    try:
        with open(paste) as f:
            text = f.read()
    except OSError:
        raise common.SandboxError('%s is missing: is glance installed in '
                                  '%s?' % (paste, venv))
    changed |= common.write_file(os.path.join(gdir, 'glance-api-paste.ini'),
                                 text)
    return changed


def setup_argv(venv, gdir):
    """The one-time database setup of a new Glance."""
    return [os.path.join(venv, 'bin', 'glance-manage'), '--config-file',
            os.path.join(gdir, 'glance-api.conf'), 'db_sync']
