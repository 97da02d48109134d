# SPDX-License-Identifier: Apache-2.0
"""The clouds.yaml through which clients reach the sandbox clouds."""

import json

from cloudsandbox import common


def cloud_names():
    """``src``, ``dst`` (admin) and ``<cloud>-<member user>``."""
    return [c + suffix for c in common.CLOUDS
            for suffix in ('',) + tuple('-' + u for u in common.MEMBER_USERS)]


def render(auth_urls, passwords):
    """clouds.yaml text; Glance is found through each Keystone's catalog."""
    def q(value):
        return json.dumps(value)  # a JSON string is a YAML string

    lines = ['# Written by tools/sandbox.py; passwords are random per '
             'sandbox.', 'clouds:']
    for cloud in common.CLOUDS:
        for user in ('admin',) + common.MEMBER_USERS:
            name = cloud if user == 'admin' else '%s-%s' % (cloud, user)
            lines += [
                '  %s:' % name,
                '    auth:',
                '      auth_url: %s' % q(auth_urls[cloud]),
                '      username: %s' % q(user),
                '      password: %s' % q(passwords[cloud][user]),
                '      project_name: %s' % q(user),
                '      user_domain_name: "Default"',
                '      project_domain_name: "Default"',
                '    region_name: %s' % q(common.REGION),
                '    interface: "public"',
                '    identity_api_version: 3',
            ]
    return '\n'.join(lines) + '\n'


def write(path, auth_urls, passwords):
    common.write_file(path, render(auth_urls, passwords), 0o600)
