"""What a new cloud needs besides its servers: users, projects, catalog.

Everything here goes through Keystone's REST API as the bootstrap admin
and is idempotent, so an interrupted ``up`` simply runs it again.
"""

from cloudsandbox import common
from cloudsandbox import keystone


def provision(cloud, keystone_url, glance_url, passwords):
    """Users, projects, roles and the image service of one cloud."""
    base = keystone_url + '/v3'
    token = keystone.admin_token(keystone_url, passwords['admin'],
                                 {'system': {'all': True}}, cloud)[0]

    def call(method, path, body=None, ok=(200, 201, 204)):
        status, _, data = common.request(method, base + path, body, token)
        if status not in ok:
            raise common.SandboxError('%s keystone: %s %s answered HTTP %d'
                                      % (cloud, method, path, status))
        return data

    def ensure(collection, name, body, query=''):
        key = collection[:-1]
        found = call('GET', '/%s?name=%s%s' % (collection, name, query))
        if found[collection]:
            return found[collection][0]['id']
        body = dict(body, name=name)
        return call('POST', '/' + collection, {key: body})[key]['id']

    roles = {r: ensure('roles', r, {}) for r in ('admin', 'member', 'service')}
    in_default = '&domain_id=default'
    projects = {p: ensure('projects', p, {'domain_id': 'default'},
                          in_default)
                for p in ('service',) + common.MEMBER_USERS}
    grants = {'glance': ('service', ('admin', 'service'))}
    grants.update((u, (u, ('member',))) for u in common.MEMBER_USERS)
    for user, (project, user_roles) in grants.items():
        password = passwords[user]
        uid = ensure('users', user, {
            'domain_id': 'default', 'password': password,
            'default_project_id': projects[project]}, in_default)
        # A password change revokes the user's tokens (glance's too), so
        # only change it when it is not the stored one.
        login = {'auth': {'identity': {'methods': ['password'],
                                       'password': {'user': {
                                           'id': uid,
                                           'password': password}}}}}
        if common.request('POST', base + '/auth/tokens', login)[0] != 201:
            call('PATCH', '/users/' + uid, {'user': {'password': password}})
        for role in user_roles:
            call('PUT', '/projects/%s/users/%s/roles/%s'
                 % (projects[project], uid, roles[role]))
    register_image_service(call, glance_url)


def register_image_service(call, glance_url):
    """The catalog entry through which clouds.yaml clouds find Glance."""
    services = call('GET', '/services?type=image')['services']
    if services:
        sid = services[0]['id']
    else:
        sid = call('POST', '/services', {'service': {
            'type': 'image', 'name': 'glance',
            'description': 'Image service'}})['service']['id']
    have = call('GET', '/endpoints?service_id=' + sid)['endpoints']
    for interface in ('public', 'internal', 'admin'):
        mine = [e for e in have if e['interface'] == interface]
        if not mine:
            call('POST', '/endpoints', {'endpoint': {
                'service_id': sid, 'interface': interface, 'url': glance_url,
                'region_id': common.REGION}})
        elif mine[0]['url'] != glance_url:
            call('PATCH', '/endpoints/' + mine[0]['id'],
                 {'endpoint': {'url': glance_url}})


def smoke_test(cloud, keystone_url, admin_password, glance_log):
    """List images as admin through the catalog: proves the auth path."""
    token, body = keystone.admin_token(
        keystone_url, admin_password,
        {'project': {'name': 'admin', 'domain': {'id': 'default'}}}, cloud)
    urls = [e['url'] for s in body['token'].get('catalog', [])
            if s['type'] == 'image' for e in s['endpoints']
            if e['interface'] == 'public']
    if not urls:
        raise common.SandboxError('%s keystone has no public image endpoint'
                                  % cloud)
    status = common.request('GET', urls[0] + '/v2/images?limit=1',
                            token=token, timeout=30)[0]
    if status != 200:
        raise common.SandboxError('%s glance answered HTTP %d to an image '
                                  'list; see %s' % (cloud, status, glance_log))
