# SPDX-License-Identifier: Apache-2.0
"""What a new cloud needs besides its servers: users, projects, catalog.

Everything here goes through Keystone's REST API as the bootstrap admin
and is idempotent, so an interrupted ``up`` simply runs it again.
"""

from cloudsandbox import common
from cloudsandbox import keystone

# How often smoke_test asks again after a 401 (each ask: a new token).
SMOKE_ATTEMPTS = 20


def system_caller(cloud, keystone_url, admin_password, cafile=None):
    """call(method, path, body) on Keystone as the system admin."""
    base = keystone_url + '/v3'
    token = keystone.admin_token(keystone_url, admin_password,
                                 {'system': {'all': True}}, cloud,
                                 cafile)[0]

    def call(method, path, body=None, ok=(200, 201, 204)):
        status, _, data = common.request(method, base + path, body, token,
                                         cafile=cafile)
        if status not in ok:
            raise common.SandboxError('%s keystone: %s %s answered HTTP %d'
                                      % (cloud, method, path, status))
        return data
    return call


def _ensure(call, collection, name, body, query=''):
    """The ID of the named Keystone object, created when missing."""
    key = collection[:-1]
    found = call('GET', '/%s?name=%s%s' % (collection, name, query))
    if found[collection]:
        return found[collection][0]['id']
    body = dict(body, name=name)
    return call('POST', '/' + collection, {key: body})[key]['id']


IN_DEFAULT = '&domain_id=default'


def ensure_user(call, cloud, keystone_url, name, password, project,
                roles, cafile=None):
    """User ``name`` with ``password`` and ``roles`` on ``project``.

    The roles are granted before the user first logs in: a login computes
    the user's roles on its default project, and each Keystone worker
    caches what it computed in its own memory (``dogpile.cache.memory``),
    which a grant served by another worker does not invalidate. A service
    whose first login came before its grants got 401 from the worker that
    had cached "no roles" (measured with 2 workers on MariaDB).
    """
    project_id = _ensure(call, 'projects', project,
                         {'domain_id': 'default'}, IN_DEFAULT)
    uid = _ensure(call, 'users', name, {
        'domain_id': 'default', 'password': password,
        'default_project_id': project_id}, IN_DEFAULT)
    for role in roles:
        call('PUT', '/projects/%s/users/%s/roles/%s'
             % (project_id, uid, _ensure(call, 'roles', role, {})))
    # A password change revokes the user's tokens (glance's too), so
    # only change it when it is not the stored one.
    login = {'auth': {'identity': {'methods': ['password'],
                                   'password': {'user': {
                                       'id': uid, 'password': password}}}}}
    if common.request('POST', keystone_url + '/v3/auth/tokens', login,
                      cafile=cafile)[0] != 201:
        common.log('%s keystone: setting the password of %s again '
                   '(it revokes the tokens of %s)' % (cloud, name, name))
        call('PATCH', '/users/' + uid, {'user': {'password': password}})


def provision(cloud, keystone_url, glance_url, passwords, cafile=None):
    """Users, projects, roles and the image service of one cloud."""
    call = system_caller(cloud, keystone_url, passwords['admin'], cafile)
    for role in ('admin', 'member', 'service'):
        _ensure(call, 'roles', role, {})
    grants = {'glance': ('service', ('admin', 'service'))}
    grants.update((u, (u, ('member',))) for u in common.MEMBER_USERS)
    for user, (project, user_roles) in grants.items():
        ensure_user(call, cloud, keystone_url, user, passwords[user],
                    project, user_roles, cafile)
    register_service(call, 'image', 'glance', glance_url, 'Image service')


def ensure_migrator(cloud, keystone_url, passwords, cafile=None):
    """The user a Ceph-backed cloud's tool runs as (cloudsyaml.MIGRATOR).

    Admin and ``service`` roles in project admin, as an operator's
    migration account that adds image locations has (Glance's location
    API asks for the service role). A user of its own, given its roles
    before its first login (see ensure_user), rather than a grant to
    admin, whose roles each Keystone worker has cached.
    """
    call = system_caller(cloud, keystone_url, passwords['admin'], cafile)
    ensure_user(call, cloud, keystone_url, 'migrator', passwords['migrator'],
                'admin', ('admin', 'service'), cafile)


def register_service(call, service_type, name, url, description,
                     region=common.REGION):
    """A catalog entry (public, internal, admin endpoints at ``url``).

    Each region has endpoints of its own: those of ``region`` are made
    or changed, those of other regions left alone.
    """
    services = call('GET', '/services?type=' + service_type)['services']
    if services:
        sid = services[0]['id']
    else:
        sid = call('POST', '/services', {'service': {
            'type': service_type, 'name': name,
            'description': description}})['service']['id']
    have = call('GET', '/endpoints?service_id=' + sid)['endpoints']
    for interface in ('public', 'internal', 'admin'):
        mine = [e for e in have if e['interface'] == interface
                and e.get('region_id') == region]
        if not mine:
            call('POST', '/endpoints', {'endpoint': {
                'service_id': sid, 'interface': interface, 'url': url,
                'region_id': region}})
        elif mine[0]['url'] != url:
            call('PATCH', '/endpoints/' + mine[0]['id'],
                 {'endpoint': {'url': url}})


def sync_limits(cloud, keystone_url, admin_password, variant, cafile=None):
    """Make Keystone's image limits those of the variant (none: none).

    Registered limits and project limits of the image service are
    created, changed or deleted to match; Glance reads them through
    oslo.limit as the glance user, which needs the system reader role.
    """
    call = system_caller(cloud, keystone_url, admin_password, cafile)
    service = call('GET', '/services?type=image')['services'][0]['id']
    scope = '?service_id=%s&region_id=%s' % (service, common.REGION)
    wanted = variant.registered_limits()
    have = {r['resource_name']: r for r in call(
        'GET', '/registered_limits' + scope)['registered_limits']}
    projects = {}
    if variant.project_limits:
        projects = {p['name']: p['id'] for p in call(
            'GET', '/projects?domain_id=default')['projects']}
    wanted_project = {}
    for name, limits in variant.project_limits.items():
        if name not in projects:
            raise common.SandboxError('%s keystone has no project %r for '
                                      'its limits' % (cloud, name))
        wanted_project.update(((projects[name], resource), int(value))
                              for resource, value in limits.items())
    have_project = {(r['project_id'], r['resource_name']): r for r in call(
        'GET', '/limits' + scope)['limits']}
    # Keystone takes a project limit only where a registered limit
    # exists, and changes or deletes no registered limit that project
    # limits refer to: those go first, new ones last.
    keep = {}
    if all(have.get(r, {}).get('default_limit') == value
           for r, value in wanted.items()) and set(have) == set(wanted):
        keep = {k: v for k, v in wanted_project.items() if k in have_project}
    _sync(call, '/limits', 'limit', 'resource_limit', have_project, keep,
          _project_limit, service)
    _sync(call, '/registered_limits', 'registered_limit', 'default_limit',
          have, wanted, lambda key: {'resource_name': key}, service)
    _sync(call, '/limits', 'limit', 'resource_limit', {
        k: v for k, v in have_project.items() if k in keep},
        wanted_project, _project_limit, service)
    if wanted:
        user = call('GET', '/users?name=glance&domain_id=default')['users']
        role = call('GET', '/roles?name=reader')['roles']
        call('PUT', '/system/users/%s/roles/%s' % (user[0]['id'],
                                                   role[0]['id']))


def _project_limit(key):
    return {'project_id': key[0], 'resource_name': key[1]}


def _sync(call, path, key, value_key, have, wanted, identify, service):
    """Create, change or delete Keystone limits so that have == wanted."""
    for name in sorted(set(have) - set(wanted), key=str):
        call('DELETE', '%s/%s' % (path, have[name]['id']))
    create = []
    for name, value in sorted(wanted.items(), key=str):
        if name not in have:
            create.append(dict(identify(name), service_id=service,
                               region_id=common.REGION,
                               **{value_key: value}))
        elif have[name][value_key] != value:
            call('PATCH', '%s/%s' % (path, have[name]['id']),
                 {key: {value_key: value}})
    if create:
        call('POST', path, {key + 's': create})


def smoke_test(cloud, keystone_url, admin_password, glance_log,
               cafile=None, attempts=SMOKE_ATTEMPTS, region=common.REGION):
    """List images as admin through the catalog: proves the auth path.

    ``region``: the region whose image endpoint is asked.

    A 401 is asked again with a new token, a few times: Keystone compares
    a token's issue time with revocation events by the second (MariaDB
    keeps no fraction), so a token issued in the same second as an event
    of its user is refused although it is new. What stays refused is
    reported with Glance's own reason from its log.
    """
    for attempt in range(attempts):
        token, body = keystone.admin_token(
            keystone_url, admin_password,
            {'project': {'name': 'admin', 'domain': {'id': 'default'}}},
            cloud, cafile)
        urls = [e['url'] for s in body['token'].get('catalog', [])
                if s['type'] == 'image' for e in s['endpoints']
                if e['interface'] == 'public'
                and e.get('region_id', region) == region]
        if not urls:
            raise common.SandboxError('%s keystone has no public image '
                                      'endpoint in %s' % (cloud, region))
        status = common.request('GET', urls[0] + '/v2/images?limit=1',
                                token=token, timeout=30, cafile=cafile)[0]
        if status != 401:
            break
        common.log('%s glance refused a new admin token (attempt %d of %d)'
                   % (cloud, attempt + 1, attempts))
    if status != 200:
        keystone_log = glance_log.replace('-glance.log', '-keystone.log')
        raise common.SandboxError(
            '%s glance answered HTTP %d to an image list at %s; its log (%s) '
            'says: %s; keystone\'s log says: %s' % (
                cloud, status, urls[0], glance_log,
                last_complaints(glance_log, 'keystonemiddleware') or
                'nothing', last_complaints(keystone_log) or 'nothing'))


def last_complaints(log_file, needle=' WARNING ', count=3):
    """The last warnings of a log that contain ``needle``, joined."""
    try:
        with open(log_file, errors='replace') as f:
            lines = [line.strip() for line in f
                     if ' WARNING ' in line and needle in line
                     and 'deprecated' not in line
                     and 'Truncating password' not in line]
    except OSError:
        return ''
    return ' | '.join(lines[-count:])


def sync_optional(state, cloud, mark, user, entries, wanted):
    """The catalog entries and service user of an optional server.

    ``entries``: ``(service type, name, url, description)`` of each
    catalog entry the server has; ``wanted``: whether the cloud's variant
    asks for it. Idempotent, and remembered in the state (``mark``); with
    the server turned off, its catalog entries are deleted, so that
    clients do not look for a service that is not running.
    """
    wanted = [list(e) for e in entries] if wanted else None
    if state.data.get('done', {}).get(mark) == wanted:
        return
    kurl = state.url(cloud + '-keystone')
    call = system_caller(cloud, kurl, state.passwords[cloud]['admin'],
                         state.cafile(cloud))
    if wanted is None:
        for service_type, name, _, _ in entries:
            for found in call('GET', '/services?type=' + service_type)[
                    'services']:
                common.log('%s keystone: removing the %s service'
                           % (cloud, service_type))
                call('DELETE', '/services/' + found['id'])
    else:
        common.log('%s keystone: registering %s' % (cloud, ', '.join(
            '%s at %s' % (e[0], e[2]) for e in entries)))
        ensure_user(call, cloud, kurl, user, state.passwords[cloud][user],
                    'service', ('service',), state.cafile(cloud))
        for entry in entries:
            register_service(call, *entry)
    state.mark(mark, wanted)
