# SPDX-License-Identifier: Apache-2.0
"""How a sandbox is deployed: its database, TLS, and API workers.

A sandbox is deployed the way a small real cloud is: Keystone and Glance
keep their data in MariaDB, HAProxy terminates TLS in front of them (each
cloud with its own private CA), and each API server runs several uWSGI
worker processes. Each piece has a lighter alternative, for machines
without MariaDB or HAProxy, or to look at plain HTTP traffic:

- ``database``: ``mariadb`` (default) or ``sqlite``;
- ``tls``: True (default, https endpoints) or False (plain http);
- ``workers``: uWSGI processes per API server (default 2).

They are chosen by ``up()`` keywords, ``tools/sandbox.py up`` options, or
these environment variables (read when a sandbox is created, like the port
base). ``database`` and ``tls`` are fixed when the sandbox is created
(changing them needs ``down --wipe``); ``workers`` can change any time
(the API servers restart). A sandbox created before these existed keeps
what it had: sqlite, plain HTTP, one worker.
"""

from cloudsandbox import common

VARIABLES = {'database': 'OSC_IMAGE_MIGRATE_SANDBOX_DATABASE',
             'tls': 'OSC_IMAGE_MIGRATE_SANDBOX_TLS',
             'workers': 'OSC_IMAGE_MIGRATE_SANDBOX_WORKERS'}
DATABASES = ('mariadb', 'sqlite')
DEFAULTS = {'database': 'mariadb', 'tls': True, 'workers': 2}
# What a sandbox made before the deployment was stored had.
LEGACY = {'database': 'sqlite', 'tls': False, 'workers': 1}
FIXED = ('database', 'tls')
MAX_WORKERS = 16


def parse(name, value):
    """A setting from a keyword, an option or a variable, checked."""
    if name == 'database':
        value = str(value).lower()
        if value not in DATABASES:
            raise common.SandboxError('database %r: choose from %s'
                                      % (value, ', '.join(DATABASES)))
        return value
    if name == 'tls':
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ('0', '1', 'true', 'false', 'yes', 'no',
                               'on', 'off'):
                raise common.SandboxError('tls %r: say 1 or 0' % value)
            return lowered in ('1', 'true', 'yes', 'on')
        return bool(value)
    if name == 'workers':
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise common.SandboxError('workers %r is not a number' % value)
        if not 1 <= value <= MAX_WORKERS:
            raise common.SandboxError('workers must be 1 to %d'
                                      % MAX_WORKERS)
        return value
    raise common.SandboxError('unknown deployment setting %r' % name)


def choose(stored, existing, environ, **given):
    """The deployment to use: {'database', 'tls', 'workers'}.

    ``stored``: what the state holds (None: nothing stored); ``existing``:
    whether the sandbox was set up before (then nothing stored means the
    legacy deployment); ``given``: keywords, None for "not given".
    """
    if stored is None:
        base = dict(LEGACY if existing else DEFAULTS)
        if not existing:
            for name, variable in VARIABLES.items():
                if environ.get(variable, '').strip():
                    base[name] = parse(name, environ[variable])
    else:
        base = dict(DEFAULTS, **stored)
    for name, value in given.items():
        if value is None:
            continue
        value = parse(name, value)
        if name in FIXED and stored is not None and value != base[name]:
            raise common.SandboxError(
                'this sandbox was made with %s=%s; run "down --wipe" to '
                'make it again with %s=%s' % (name, base[name], name, value))
        base[name] = value
    return base
