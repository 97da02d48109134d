# SPDX-License-Identifier: Apache-2.0
"""A cloud's Keystone: its configuration and one-time bootstrap."""

import grp
import os
import pwd

from cloudsandbox import common

KEYSTONE_CONF = """\
[DEFAULT]
debug = false
{public_endpoint}
[database]
connection = {database}

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
{per_process_cache}
[identity]
password_hash_rounds = 4

[oslo_middleware]
# Behind HAProxy: X-Forwarded-Proto says the client spoke https.
enable_proxy_headers_parsing = true
"""
# dogpile.cache.memory is a cache per process: with several workers, what
# one process changes stays unknown to the others until their cached copy
# expires (a real cloud shares one memcached). Measured here: a revoked
# token still honoured; a service user whose first login cached "no roles"
# refused after its grant (HTTP 401 from Glance); a new catalog entry
# (Barbican's key-manager) missing from the tokens another process issued.
# So with several workers those caches are off and every process reads
# the database; the token cache stays on (a token never changes, and its
# revocation is read uncached): without it a validation took 0.5-1.1 s on a
# busy 2-core machine instead of ~15 ms.
UNCACHED_WITH_WORKERS = ('revoke', 'catalog', 'assignment', 'role',
                         'resource', 'identity')
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


def render(kdir, token_expiration, database_url=None, public_url=None,
           workers=1):
    """keystone.conf; sqlite in ``kdir`` unless ``database_url``."""
    per_process = ''.join('\n[%s]\ncaching = false\n' % section
                          for section in UNCACHED_WITH_WORKERS
                          ) if workers > 1 else ''
    return KEYSTONE_CONF.format(
        dir=kdir, token_expiration=token_expiration,
        database=database_url or (
            'sqlite:///%s/keystone.db?timeout=30' % kdir),
        public_endpoint='public_endpoint = %s\n' % public_url
        if public_url else '',
        per_process_cache=per_process)


def write_config(kdir, token_expiration, **site):
    """Render keystone.conf; return True if it changed."""
    os.makedirs(kdir, exist_ok=True)
    return common.write_file(os.path.join(kdir, 'keystone.conf'),
                             render(kdir, token_expiration, **site), 0o600)


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


def admin_token(url, admin_password, scope, cloud, cafile=None):
    """(token, body) of an admin login with ``scope``."""
    login = {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'id': 'default'},
            'password': admin_password}}},
        'scope': scope}}
    status, headers, body = common.request(
        'POST', url + '/v3/auth/tokens', login, cafile=cafile)
    if status != 201:
        raise common.SandboxError('%s keystone refused the admin login (HTTP '
                                  '%d); try "down --wipe" then "up"'
                                  % (cloud, status))
    return headers['X-Subject-Token'], body
