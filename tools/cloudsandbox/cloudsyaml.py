# SPDX-License-Identifier: Apache-2.0
"""The clouds.yaml through which clients reach the sandbox clouds."""

import json

from cloudsandbox import common

# With TLS, destinations whose TLS does not verify, one per cause, for
# the tests of how the CLI reports them; all are dst's admin otherwise.
# {name: (what differs, value)}: 'cacert' names the cloud whose CA is
# given, 'auth_port' the HAProxy frontend that Keystone is reached at.
TLS_CASES = {
    'dst-wrong-ca': ('cacert', 'src'),
    'dst-wrong-host': ('auth_port', 'dst-keystone-wrong-host'),
    'dst-expired': ('auth_port', 'dst-keystone-expired'),
    'dst-insecure': ('verify', False),
}


# The user of a Ceph-backed cloud (ceph.py) who may add image locations:
# admin and service roles in project admin.
MIGRATOR = 'migrator'


def cloud_names(tls=False, ceph_clouds=()):
    """``src``, ``dst`` (admin), ``<cloud>-<member user>``, TLS cases.

    ``ceph_clouds``: the clouds with a Ceph cluster, which have a
    ``<cloud>-migrator`` entry too.
    """
    names = [c + suffix for c in common.CLOUDS
             for suffix in ('',) + tuple('-' + u for u in common.MEMBER_USERS)]
    names += ['%s-%s' % (c, MIGRATOR) for c in ceph_clouds]
    return names + (sorted(TLS_CASES) if tls else [])


def q(value):
    return json.dumps(value)  # a JSON string is a YAML string


def entry(name, auth_url, user, password, cacert=None, verify=True,
          project=None, settings=None, region=common.REGION):
    lines = [
        '  %s:' % name,
        '    auth:',
        '      auth_url: %s' % q(auth_url),
        '      username: %s' % q(user),
        '      password: %s' % q(password),
        '      project_name: %s' % q(project or user),
        '      user_domain_name: "Default"',
        '      project_domain_name: "Default"',
        '    region_name: %s' % q(region),
        '    interface: "public"',
        '    identity_api_version: 3',
    ]
    if cacert:
        lines.append('    cacert: %s' % q(cacert))
    if not verify:
        lines.append('    verify: false')
    if settings:
        lines.append('    image_migrate:')
        lines += ['      %s: %s' % (k, q(v)) for k, v in sorted(
            settings.items())]
    return lines


def render(auth_urls, passwords, cafiles=None, case_urls=None,
           ceph_settings=None, regions=None):
    """clouds.yaml text; Glance is found through each Keystone's catalog.

    ``cafiles``: {cloud: CA file} with TLS; ``case_urls``: {HAProxy
    frontend: auth URL} of the bad-certificate frontends (TLS cases; None:
    no such cases); ``ceph_settings``: {cloud: the tool's
    ``image_migrate:`` block} of the clouds with a Ceph cluster: their
    admin entries get it, and their ``<cloud>-migrator`` entries (with the
    service role) too; ``regions``: {cloud: region name} (default: all in
    common.REGION).
    """
    ceph_settings = ceph_settings or {}
    cafiles = cafiles or {}
    regions = regions or {}
    lines = ['# Written by tools/sandbox.py; passwords are random per '
             'sandbox.', 'clouds:']
    for cloud in common.CLOUDS:
        for user in ('admin',) + common.MEMBER_USERS:
            name = cloud if user == 'admin' else '%s-%s' % (cloud, user)
            lines += entry(name, auth_urls[cloud], user,
                           passwords[cloud][user], cafiles.get(cloud),
                           settings=(ceph_settings.get(cloud)
                                     if user == 'admin' else None),
                           region=regions.get(cloud, common.REGION))
        if cloud in ceph_settings:
            lines += entry('%s-%s' % (cloud, MIGRATOR), auth_urls[cloud],
                           MIGRATOR, passwords[cloud][MIGRATOR],
                           cafiles.get(cloud), project='admin',
                           settings=ceph_settings[cloud],
                           region=regions.get(cloud, common.REGION))
    if cafiles and case_urls:
        for name, (what, value) in sorted(TLS_CASES.items()):
            fields = {'auth_url': auth_urls['dst'],
                      'cacert': cafiles['dst'], 'verify': True}
            if what == 'cacert':
                fields['cacert'] = cafiles[value]
            elif what == 'auth_port':
                fields['auth_url'] = case_urls[value]
            else:
                fields.update(cacert=None, verify=False)
            lines += entry(name, user='admin',
                           password=passwords['dst']['admin'], **fields)
    return '\n'.join(lines) + '\n'


def write(path, auth_urls, passwords, cafiles=None, case_urls=None,
          ceph_settings=None, regions=None):
    common.write_file(path, render(auth_urls, passwords, cafiles, case_urls,
                                   ceph_settings, regions), 0o600)
