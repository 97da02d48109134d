# SPDX-License-Identifier: Apache-2.0
"""A cloud's Keystone: its configuration and one-time bootstrap."""

import grp
import os
import pwd

from cloudsandbox import common

KEYSTONE_CONF = """\
[DEFAULT]
debug = false

[database]
connection = sqlite:///{dir}/keystone.db?timeout=30

[token]
provider = fernet
expiration = {token_expiration}

[fernet_tokens]
key_repository = {dir}/fernet-keys

[fernet_receipts]
key_repository = {dir}/fernet-receipts

[credential]
key_repository = {dir}/credential-keys

[cache]
enabled = true
backend = dogpile.cache.memory

[identity]
password_hash_rounds = 4
"""
# What a failed bootstrap may leave behind; removed before a new attempt.
KEY_FOLDERS = ('fernet-keys', 'fernet-receipts', 'credential-keys')

# Runs in the venv: the four keystone-manage steps in one process (saves
# the ~2 s of imports that each keystone-manage call would cost).
KEYSTONE_SETUP = """\
import sys
import keystone.conf
from keystone.cmd import cli
conf, user, group = sys.argv[1:4]
owner = ['--keystone-user', user, '--keystone-group', group]
steps = [['db_sync'], ['fernet_setup'] + owner,
         ['credential_setup'] + owner, ['bootstrap']]
cli.main(argv=['keystone-manage', '--config-file', conf] + steps[0])
for step in steps[1:]:
    keystone.conf.CONF.clear()
    keystone.conf.CONF(args=['--config-file', conf] + step,
                       project='keystone')
    keystone.conf.CONF.command.cmd_class.main()
"""


def write_config(kdir, token_expiration):
    """Render keystone.conf; return True if it changed."""
    os.makedirs(kdir, exist_ok=True)
    text = KEYSTONE_CONF.format(dir=kdir, token_expiration=token_expiration)
    return common.write_file(os.path.join(kdir, 'keystone.conf'), text)


def setup_argv(venv, kdir):
    """db_sync, fernet and credential keys, bootstrap: in one process."""
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    return [os.path.join(venv, 'bin', 'python'), '-c', KEYSTONE_SETUP,
            os.path.join(kdir, 'keystone.conf'), user, group]


def setup_env(url, admin_password):
    """keystone-manage bootstrap reads the admin and endpoints from here."""
    url += '/v3'
    return {'OS_BOOTSTRAP_PASSWORD': admin_password,
            'OS_BOOTSTRAP_USERNAME': 'admin',
            'OS_BOOTSTRAP_PROJECT_NAME': 'admin',
            'OS_BOOTSTRAP_ROLE_NAME': 'admin',
            'OS_BOOTSTRAP_SERVICE_NAME': 'keystone',
            'OS_BOOTSTRAP_REGION_ID': common.REGION,
            'OS_BOOTSTRAP_ADMIN_URL': url,
            'OS_BOOTSTRAP_PUBLIC_URL': url,
            'OS_BOOTSTRAP_INTERNAL_URL': url}


def admin_token(url, admin_password, scope, cloud):
    """(token, body) of an admin login with ``scope``."""
    status, headers, body = common.request(
        'POST', url + '/v3/auth/tokens',
        {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': 'admin', 'domain': {'id': 'default'},
                'password': admin_password}}},
            'scope': scope}})
    if status != 201:
        raise common.SandboxError('%s keystone refused the admin login (HTTP '
                                  '%d); try "down --wipe" then "up"'
                                  % (cloud, status))
    return headers['X-Subject-Token'], body
