#!/usr/bin/env python3
"""Run a real two-cloud OpenStack (2 Keystones + 2 Glance APIs) locally.

The sandbox gives the functional tests and the demo two independent clouds,
``src`` and ``dst``, each with its own Keystone and Glance, served by uWSGI
on 127.0.0.1 only.  Usage::

    python3 tools/sandbox.py up        # install (first time), start, set up
    eval "$(python3 tools/sandbox.py env)"
    openstack --os-cloud src image list
    python3 tools/sandbox.py status    # exit 0 only if all four answer
    python3 tools/sandbox.py stop dst-glance
    python3 tools/sandbox.py start dst-glance
    python3 tools/sandbox.py down [--wipe [--wipe-venv]]

Everything lives in the state folder (default ``<repo>/.sandbox``, or
``--state-dir`` / ``$OSC_IMAGE_MIGRATE_SANDBOX``): the venv, configs, sqlite
databases, fernet keys, image stores, ``logs/<service>.log``, pid files,
random passwords (``passwords.json``) and ``clouds.yaml``.

Ports (``--port-base`` / ``$OSC_IMAGE_MIGRATE_SANDBOX_PORT_BASE``, default
25000): src Keystone base+0, src Glance base+1, dst Keystone base+10, dst
Glance base+11.  They are stored in the state so later commands agree.

clouds.yaml holds ``src`` and ``dst`` (admin) and ``src-demo``,
``src-alt_demo``, ``dst-demo``, ``dst-alt_demo`` (members of their own
project).  Glance is found through each Keystone's catalog.

Python API (put tools/ on sys.path and ``import sandbox``): ``up()``,
``down()``, ``status()``, ``info()``, ``stop_service()``,
``start_service()``; errors raise ``SandboxError``.

Only the standard library is used, so any python3 >= 3.9 runs this file.
The venv it creates needs Python >= 3.11 (keystone 30, glance 33): it uses
``--python``, else this interpreter if recent enough, else the first of
python3.11, 3.12, 3.13, 3.14 found on PATH.
"""

import argparse
from concurrent.futures import ThreadPoolExecutor
import contextlib
import fcntl
import grp
import http.client
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

REQUIREMENTS = [
    'keystone==30.0.0',
    'glance==33.0.0',
    'glance-store==5.7.0',
    'keystonemiddleware==13.0.1',
    'SQLAlchemy==2.1.9',
    'uWSGI==2.0.31',
    'python-openstackclient==10.5.0',
]
VENV_STAMP = '.osc-image-migrate-sandbox'
CLOUDS = ('src', 'dst')
KINDS = ('keystone', 'glance')
SERVICES = tuple('%s-%s' % (c, k) for c in CLOUDS for k in KINDS)
PORT_OFFSETS = {'src-keystone': 0, 'src-glance': 1,
                'dst-keystone': 10, 'dst-glance': 11}
DEFAULT_PORT_BASE = 25000
MEMBER_USERS = ('demo', 'alt_demo')
REGION = 'RegionOne'
DEFAULT_OPTIONS = {
    'token_expiration': 3600,
    'src_image_size_cap': 1099511627776,
    'dst_image_size_cap': 1099511627776,
    # 1: Glance rejects data that does not match disk_format (HTTP 415),
    # its default. 0 lets a cloud hold mislabelled images, as old clouds do.
    'src_require_image_format_match': 1,
    'dst_require_image_format_match': 1,
}
START_TIMEOUT = 60
CHUNKED_INPUT_LIMIT = 16 * 1024 * 1024
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Never route sandbox traffic through a proxy from the environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))

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

GLANCE_CONF = """\
[DEFAULT]
debug = false
enabled_backends = fs:file
image_size_cap = {image_size_cap}
worker_self_reference_url = http://127.0.0.1:{port}

[database]
connection = sqlite:///{dir}/glance.db?timeout=30

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = {dir}/images
filesystem_store_chunk_size = 1048576

[os_glance_staging_store]
filesystem_store_datadir = {dir}/staging

[os_glance_tasks_store]
filesystem_store_datadir = {dir}/tasks

[paste_deploy]
flavor = keystone
config_file = {dir}/glance-api-paste.ini

[keystone_authtoken]
www_authenticate_uri = {keystone}
auth_url = {keystone}
auth_type = password
username = glance
password = {password}
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = {region}
interface = public

[oslo_concurrency]
lock_path = {dir}/locks

[oslo_policy]
enforce_new_defaults = true
enforce_scope = true
"""

# Appended to glance-api.conf only when the check is turned off, so the
# default config (and a running sandbox) stays as it was.
GLANCE_NO_FORMAT_MATCH = """
[image_format]
require_image_format_match = false
"""

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

# Runs with this interpreter: starts a server in its own session and exits
# at once, so the server is nobody's child (no zombie, no ResourceWarning
# in a long-lived caller such as pytest).
LAUNCHER = """\
import json, os, subprocess, sys
spec = json.loads(sys.stdin.read())
with open(spec['log'], 'ab') as log:
    proc = subprocess.Popen(
        spec['argv'], env=spec['env'], cwd=spec['cwd'],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, close_fds=True)
print(proc.pid, flush=True)
os._exit(0)
"""


class SandboxError(Exception):
    """A failure with a one-line explanation for the user."""


_T0 = time.monotonic()
_QUIET = False


def log(msg):
    if not _QUIET:
        sys.stderr.write('[sandbox %5.1fs] %s\n'
                         % (time.monotonic() - _T0, msg))
        sys.stderr.flush()


def _write(path, text, mode=0o644):
    """Write atomically; return True when the content changed."""
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def _request(method, url, body=None, token=None, timeout=10):
    """Plain JSON HTTP; returns (status, headers, parsed body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header('Accept', 'application/json')
    if data is not None:
        req.add_header('Content-Type', 'application/json')
    if token:
        req.add_header('X-Auth-Token', token)
    try:
        with HTTP.open(req, timeout=timeout) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        status, headers, raw = exc.code, exc.headers, exc.read()
    except (OSError, http.client.HTTPException) as exc:
        raise SandboxError('%s %s failed: %s' % (method, url, exc))
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, headers, parsed


def _proc_stat(pid):
    """(state, pgrp) of a Linux process.

    None if it is gone; ('?', pid) where there is no /proc.
    """
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return fields[0], int(fields[2])
    except FileNotFoundError:
        if os.path.isdir('/proc/self'):
            return None
    except (OSError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return '?', pid


def _group_alive(pgid):
    """True while any non-zombie process of the process group lives."""
    if not os.path.isdir('/proc/self'):
        try:
            os.killpg(pgid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    for name in os.listdir('/proc'):
        if name.isdigit():
            st = _proc_stat(int(name))
            if st and st[1] == pgid and st[0] != 'Z':
                return True
    return False


def _port_free(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


# The WSGI entry point of each server: the real app, with every sqlite
# transaction started as BEGIN IMMEDIATE. sqlite's default deferred
# transactions fail at once with "database is locked" when two threads
# upgrade a read to a write (no busy wait applies then); Glance answered
# HTTP 500 to concurrent uploads and left images in "saving". Taking the
# write lock up front makes them wait their turn (busy timeout 30 s).
# Production clouds use MySQL/PostgreSQL, where this does not arise.
WSGI_WRAPPER = """\
from sqlalchemy import engine, event


@event.listens_for(engine.Engine, 'before_cursor_execute', retval=True)
def _begin_immediate(conn, cursor, statement, parameters, context, many):
    # oslo.db runs sqlite with pysqlite's own BEGIN off and emits 'BEGIN'.
    if conn.dialect.name == 'sqlite' and statement.strip() == 'BEGIN':
        statement = 'BEGIN IMMEDIATE'
    return statement, parameters


from %s.wsgi.api import application  # noqa: E402
"""


def _sqlite_wal(folder):
    """Switch the service's sqlite database to WAL journaling.

    With the default journal, concurrent uploads into one Glance made
    sqlite answer "database is locked" (HTTP 500); WAL lets readers and a
    writer proceed together, and ``?timeout=30`` in the URL makes writers
    wait for each other instead of failing.
    """
    for name in ('keystone.db', 'glance.db'):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with contextlib.closing(sqlite3.connect(path)) as db:
                db.execute('PRAGMA journal_mode=WAL')


def _clean_env(**extra):
    """Our environment minus what could steer the servers elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('OS_') and k.lower() not in (
               'http_proxy', 'https_proxy', 'all_proxy')
           and k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV')}
    env.update(extra)
    return env


def _venv_python(python=None):
    """The interpreter for a new venv: keystone 30 / glance 33 need 3.11+."""
    if python:
        return python
    if sys.version_info >= (3, 11):
        return sys.executable
    for minor in (11, 12, 13, 14):  # 3.11 is the one measured
        found = shutil.which('python3.%d' % minor)
        # (a pyenv shim exists even when it cannot run: try it)
        if found and subprocess.call(
                [found, '-c', 'import venv'], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) == 0:
            return found
    raise SandboxError('the venv needs Python >= 3.11 (keystone 30, glance '
                       '33) and none was found on PATH; pass --python PATH')


class Sandbox:
    """One sandbox, i.e. one state folder."""

    def __init__(self, state_dir=None):
        state_dir = (state_dir or os.environ.get('OSC_IMAGE_MIGRATE_SANDBOX')
                     or os.path.join(REPO, '.sandbox'))
        self.dir = os.path.abspath(os.path.expanduser(state_dir))
        self.state_file = os.path.join(self.dir, 'state.json')
        self.clouds_yaml = os.path.join(self.dir, 'clouds.yaml')
        self.logs = os.path.join(self.dir, 'logs')
        self.run = os.path.join(self.dir, 'run')
        self.state = {}
        self.passwords = {}
        pw_file = os.path.join(self.dir, 'passwords.json')
        try:
            if os.path.exists(self.state_file):
                with open(self.state_file) as f:
                    self.state = json.load(f)
                if os.path.exists(pw_file):
                    with open(pw_file) as f:
                        self.passwords = json.load(f)
        except (OSError, ValueError) as exc:
            raise SandboxError('cannot read the state in %s (%s); run '
                               '"down --wipe" then "up"' % (self.dir, exc))

    # -- state ------------------------------------------------------------

    @property
    def exists(self):
        return bool(self.state)

    def save(self):
        _write(self.state_file, json.dumps(self.state, indent=2,
                                           sort_keys=True) + '\n')

    def done(self, step):
        return bool(self.state.get('done', {}).get(step))

    def mark(self, step, value=True):
        self.state.setdefault('done', {})[step] = value
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

    def require_state(self):
        if not self.exists:
            raise SandboxError('no sandbox in %s; run "python3 %s up" first'
                               % (self.dir, os.path.abspath(__file__)))

    def init_state(self, port_base, venv, options):
        """Create or update the stored settings (ports, venv, options)."""
        env_base = os.environ.get('OSC_IMAGE_MIGRATE_SANDBOX_PORT_BASE')
        stored = self.state.get('port_base')
        # The variable picks the ports of a new sandbox; an existing one
        # keeps its own (an explicit --port-base must still agree).
        if port_base is None and env_base and stored is None:
            try:
                port_base = int(env_base)
            except ValueError:
                raise SandboxError('OSC_IMAGE_MIGRATE_SANDBOX_PORT_BASE=%r '
                                   'is not a number' % env_base)
        if stored is not None and port_base not in (None, stored):
            raise SandboxError(
                'sandbox %s uses port base %d, not %d; pass --port-base %d '
                'or run "down --wipe" first' % (self.dir, stored, port_base,
                                                stored))
        port_base = stored or port_base or DEFAULT_PORT_BASE
        if not 1024 <= port_base <= 65535 - max(PORT_OFFSETS.values()):
            raise SandboxError('port base %d is out of range' % port_base)
        self.state['port_base'] = port_base
        if venv:
            self.state['venv'] = os.path.abspath(os.path.expanduser(venv))
        self.state.setdefault('venv', os.path.join(self.dir, 'venv'))
        opts = self.state.setdefault('options', dict(DEFAULT_OPTIONS))
        for key, value in options.items():
            if key not in DEFAULT_OPTIONS:
                raise SandboxError('unknown option %r' % key)
            if value is not None:
                opts[key] = int(value)
        for key, value in DEFAULT_OPTIONS.items():
            opts.setdefault(key, value)
        for d in (self.logs, self.run):
            os.makedirs(d, exist_ok=True)
        if not self.passwords:
            # New passwords mean new databases: forget all setup done.
            self.state['done'] = {k: v for k, v in self.state.get(
                'done', {}).items() if k == 'venv'}
            self.passwords = {
                cloud: {user: 'pw-' + secrets.token_hex(12)
                        for user in ('admin', 'glance') + MEMBER_USERS}
                for cloud in CLOUDS}
            _write(os.path.join(self.dir, 'passwords.json'),
                   json.dumps(self.passwords, indent=2) + '\n', 0o600)
        self.save()

    # -- names ------------------------------------------------------------

    @property
    def venv(self):
        return self.state.get('venv') or os.path.join(self.dir, 'venv')

    def port(self, service):
        return self.state['port_base'] + PORT_OFFSETS[service]

    def url(self, service):
        return 'http://127.0.0.1:%d' % self.port(service)

    def sdir(self, service):
        return os.path.join(self.dir, *service.split('-'))

    def log_file(self, service):
        return os.path.join(self.logs, service + '.log')

    def pid_file(self, service):
        return os.path.join(self.run, service + '.pid')

    def info(self):
        clouds = {}
        for cloud in CLOUDS:
            clouds[cloud] = {
                'keystone': self.url(cloud + '-keystone'),
                'auth_url': self.url(cloud + '-keystone') + '/v3',
                'glance': self.url(cloud + '-glance'),
                'region': REGION,
            }
        return {
            'state_dir': self.dir,
            'clouds_yaml': self.clouds_yaml,
            'env': {'OS_CLIENT_CONFIG_FILE': self.clouds_yaml},
            'venv': self.venv,
            'port_base': self.state['port_base'],
            'ports': {s: self.port(s) for s in SERVICES},
            'clouds': clouds,
            'cloud_names': [c + suffix for c in CLOUDS
                            for suffix in ('', '-demo', '-alt_demo')],
            'passwords': json.loads(json.dumps(self.passwords)),
            'logs': {s: self.log_file(s) for s in SERVICES},
            'options': dict(self.state['options']),
        }

    # -- venv -------------------------------------------------------------

    def ensure_venv(self, python=None):
        venv = self.venv
        vpython = os.path.join(venv, 'bin', 'python')
        uwsgi = os.path.join(venv, 'bin', 'uwsgi')
        want = '\n'.join(REQUIREMENTS) + '\n'
        if self.state.get('done', {}).get('venv') == venv and \
                os.path.exists(uwsgi):
            return
        stamp = os.path.join(venv, VENV_STAMP)
        if os.path.exists(stamp):
            with open(stamp) as f:
                if f.read() == want and os.path.exists(uwsgi):
                    self.mark('venv', venv)
                    return
        elif venv != os.path.join(self.dir, 'venv') and \
                os.path.exists(uwsgi) and subprocess.call(
                [vpython, '-c', 'import keystone, glance, glance_store, '
                 'keystonemiddleware'], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) == 0:
            log('reusing existing venv %s' % venv)
            self.mark('venv', venv)
            return
        pip_log = os.path.join(self.logs, 'pip.log')
        if not os.path.exists(vpython):
            python = _venv_python(python)
            log('creating venv %s with %s' % (venv, python))
            with open(pip_log, 'ab') as out:
                if subprocess.call([python, '-m', 'venv', venv],
                                   stdout=out, stderr=out) != 0:
                    raise SandboxError(
                        '"%s -m venv %s" failed (on Debian: apt-get install '
                        'python3-venv); see %s' % (python, venv, pip_log))
        log('pip install %s (about a minute; uWSGI is compiled; log: %s)'
            % (' '.join(REQUIREMENTS), pip_log))
        env = dict(os.environ, CPUCOUNT='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
        with open(pip_log, 'ab') as out:
            rc = subprocess.call(
                [vpython, '-m', 'pip', 'install'] + REQUIREMENTS,
                stdout=out, stderr=out, env=env)
        if rc != 0:
            raise SandboxError('pip install failed (exit %d; uWSGI needs gcc '
                               'and the Python headers); see %s'
                               % (rc, pip_log))
        _write(stamp, want)
        self.mark('venv', venv)

    # -- configuration ----------------------------------------------------

    def write_configs(self):
        """Render all configs; return the services whose config changed."""
        changed = set()
        opts = self.state['options']
        for cloud in CLOUDS:
            kdir = self.sdir(cloud + '-keystone')
            gdir = self.sdir(cloud + '-glance')
            for d in (kdir, gdir):
                os.makedirs(d, exist_ok=True)
            for sub in ('images', 'staging', 'tasks', 'locks'):
                os.makedirs(os.path.join(gdir, sub), exist_ok=True)
            text = KEYSTONE_CONF.format(
                dir=kdir, token_expiration=opts['token_expiration'])
            if _write(os.path.join(kdir, 'keystone.conf'), text):
                changed.add(cloud + '-keystone')
            text = GLANCE_CONF.format(
                dir=gdir, port=self.port(cloud + '-glance'),
                image_size_cap=opts[cloud + '_image_size_cap'],
                keystone=self.url(cloud + '-keystone'), region=REGION,
                password=self.passwords[cloud]['glance'])
            if not opts[cloud + '_require_image_format_match']:
                text += GLANCE_NO_FORMAT_MATCH
            if _write(os.path.join(gdir, 'glance-api.conf'), text, 0o600):
                changed.add(cloud + '-glance')
            paste = os.path.join(self.venv, 'etc', 'glance',
                                 'glance-api-paste.ini')
            try:
                with open(paste) as f:
                    text = f.read()
            except OSError:
                raise SandboxError('%s is missing: is glance installed in '
                                   '%s?' % (paste, self.venv))
            if _write(os.path.join(gdir, 'glance-api-paste.ini'), text):
                changed.add(cloud + '-glance')
        return changed

    def setup_databases(self):
        """db_sync / fernet / bootstrap, all four in parallel, once."""
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        vbin = os.path.join(self.venv, 'bin')
        jobs = []
        for cloud in CLOUDS:
            for kind in KINDS:
                service = '%s-%s' % (cloud, kind)
                if self.done(service + '-setup'):
                    continue
                if kind == 'keystone':
                    self.mark(cloud + '-provisioned', False)
                self.stop(service, quiet=True)
                d = self.sdir(service)
                # Start again from scratch after a failed attempt.
                for name in ('keystone.db', 'glance.db'):
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(os.path.join(d, name))
                for name in ('fernet-keys', 'fernet-receipts',
                             'credential-keys'):
                    shutil.rmtree(os.path.join(d, name), ignore_errors=True)
                env = _clean_env()
                if kind == 'keystone':
                    url = self.url(service) + '/v3'
                    env.update(OS_BOOTSTRAP_PASSWORD=self.passwords[cloud][
                        'admin'], OS_BOOTSTRAP_USERNAME='admin',
                        OS_BOOTSTRAP_PROJECT_NAME='admin',
                        OS_BOOTSTRAP_ROLE_NAME='admin',
                        OS_BOOTSTRAP_SERVICE_NAME='keystone',
                        OS_BOOTSTRAP_REGION_ID=REGION,
                        OS_BOOTSTRAP_ADMIN_URL=url,
                        OS_BOOTSTRAP_PUBLIC_URL=url,
                        OS_BOOTSTRAP_INTERNAL_URL=url)
                    argv = [os.path.join(vbin, 'python'), '-c',
                            KEYSTONE_SETUP, os.path.join(d, 'keystone.conf'),
                            user, group]
                else:
                    argv = [os.path.join(vbin, 'glance-manage'),
                            '--config-file',
                            os.path.join(d, 'glance-api.conf'), 'db_sync']
                setup_log = os.path.join(self.logs, service + '-setup.log')
                out = open(setup_log, 'ab')
                log('setting up %s (db_sync%s)' % (
                    service, ', fernet, bootstrap' * (kind == 'keystone')))
                proc = subprocess.Popen(argv, env=env, cwd=d, stdout=out,
                                        stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
                jobs.append((service, proc, out, setup_log))
        failed = None
        for service, proc, out, setup_log in jobs:
            rc = proc.wait()
            out.close()
            if rc == 0:
                self.mark(service + '-setup')
            elif not failed:
                failed = '%s setup failed (exit %d); see %s' % (
                    service, rc, setup_log)
        if failed:
            raise SandboxError(failed)

    # -- processes --------------------------------------------------------

    def pid(self, service):
        """The pid of our running server, or None."""
        try:
            with open(self.pid_file(service)) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        st = _proc_stat(pid)
        if not st or st[0] == 'Z':
            return None
        # A pid can be reused after a reboot: check it is our server (its
        # environment names its config folder; uWSGI rewrites its argv).
        try:
            with open('/proc/%d/environ' % pid, 'rb') as f:
                environ = f.read().split(b'\0')
        except FileNotFoundError:
            return pid if not os.path.isdir('/proc/self') else None
        except OSError:
            return None
        mark = 'OS_%s_CONFIG_DIR=%s' % (service.split('-')[1].upper(),
                                        self.sdir(service))
        return pid if mark.encode() in environ else None

    def answers(self, service, timeout=2):
        path = '/v3' if service.endswith('keystone') else '/healthcheck'
        try:
            status = _request('GET', self.url(service) + path,
                              timeout=timeout)[0]
        except SandboxError:
            return False
        return status == 200

    def server_argv(self, service):
        kind = service.split('-')[1]
        _write(os.path.join(self.sdir(service), 'sandbox_wsgi.py'),
               WSGI_WRAPPER % kind)
        module = 'sandbox_wsgi:application'
        cfg = 'OS_%s_CONFIG_DIR=%s' % (kind.upper(), self.sdir(service))
        return [
            os.path.join(self.venv, 'bin', 'uwsgi'),
            '--http', '127.0.0.1:%d' % self.port(service),
            '--http-chunked-input', '--http-auto-chunked',
            # The router closes every connection after the response (with
            # --http-keepalive too, after a chunked upload): say so, or
            # clients that reuse connections get sporadic resets.
            '--add-header', 'Connection: close',
            '--chunked-input-limit', str(CHUNKED_INPUT_LIMIT),
            '--master', '--processes', '1', '--threads', '4',
            '--die-on-term', '--need-app', '--buffer-size', '65535',
            '--worker-reload-mercy', '3', '--reload-mercy', '3',
            '--virtualenv', self.venv, '--pythonpath', self.sdir(service),
            '--module', module,
            '--env', cfg, '--chdir', self.sdir(service),
            '--procname-prefix-spaced', 'osc-sandbox-%s' % service,
        ]

    def launch(self, service):
        kind = service.split('-')[1]
        env = _clean_env(**{'OS_%s_CONFIG_DIR' % kind.upper():
                            self.sdir(service)})
        spec = {'argv': self.server_argv(service), 'env': env,
                'cwd': self.sdir(service), 'log': self.log_file(service)}
        with open(self.log_file(service), 'a') as f:
            f.write('\n===== %s starting %s\n' % (time.ctime(), service))
        out = subprocess.run([sys.executable, '-c', LAUNCHER],
                             input=json.dumps(spec), capture_output=True,
                             text=True, check=False)
        if out.returncode != 0 or not out.stdout.strip().isdigit():
            raise SandboxError('could not start %s: %s' % (
                service, (out.stderr.strip().splitlines() or ['?'])[-1]))
        pid = int(out.stdout.strip())
        _write(self.pid_file(service), '%d\n' % pid)
        log('started %s (pid %d) on %s' % (service, pid, self.url(service)))
        return pid

    def wait_answer(self, service, pid, deadline):
        while True:
            if self.answers(service, timeout=1):
                return
            st = _proc_stat(pid)
            if not st or st[0] == 'Z':
                raise SandboxError('%s exited during start-up; see %s'
                                   % (service, self.log_file(service)))
            if time.monotonic() > deadline:
                raise SandboxError(
                    '%s on 127.0.0.1:%d did not answer within %d s; see %s'
                    % (service, self.port(service), START_TIMEOUT,
                       self.log_file(service)))
            time.sleep(0.1)

    def start(self, services, wait=True):
        """Start those of the services not running; wait until all answer.

        Returns the services that were started.
        """
        running = {s: self.pid(s) for s in services}
        todo = [s for s, pid in running.items() if pid is None]
        for service in todo:
            _sqlite_wal(self.sdir(service))
            port = self.port(service)
            if not _port_free(port):
                raise SandboxError(
                    '127.0.0.1:%d (for %s) is in use by a process that is '
                    'not this sandbox\'s; stop it or choose another '
                    '--port-base' % (port, service))
        started = {s: self.launch(s) for s in todo}
        if wait:
            deadline = time.monotonic() + START_TIMEOUT
            for service in services:
                pid = started.get(service) or running[service]
                self.wait_answer(service, pid, deadline)
                if service in started:
                    log('%s answers' % service)
        return list(started)

    def stop(self, services, quiet=False, grace=5.0):
        """SIGTERM the process groups of our servers, SIGKILL stragglers.

        uWSGI's master looks at its workers once a second, so a stop takes
        about 1 s: the services are stopped side by side.
        """
        if isinstance(services, str):
            services = [services]
        pids = {}
        for service in services:
            pid = self.pid(service)
            if pid is not None:
                pids[service] = pid
                if not quiet:
                    log('stopping %s (pid %d)' % (service, pid))
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.pid_file(service))
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
            for pid in pids.values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                pids = {s: p for s, p in pids.items() if _group_alive(p)}
                if not pids:
                    break
                time.sleep(0.05)
        for service in services:
            if service not in pids:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.pid_file(service))
        if pids:
            raise SandboxError('%s did not stop (process groups %s)' % (
                ', '.join(pids), ', '.join(map(str, pids.values()))))

    # -- keystone resources -----------------------------------------------

    def token(self, cloud, scope):
        status, headers, body = _request(
            'POST', self.url(cloud + '-keystone') + '/v3/auth/tokens',
            {'auth': {
                'identity': {'methods': ['password'], 'password': {'user': {
                    'name': 'admin', 'domain': {'id': 'default'},
                    'password': self.passwords[cloud]['admin']}}},
                'scope': scope}})
        if status != 201:
            raise SandboxError('%s keystone refused the admin login (HTTP '
                               '%d); try "down --wipe" then "up"'
                               % (cloud, status))
        return headers['X-Subject-Token'], body

    def provision(self, cloud):
        """Users, projects, roles and the image service (idempotent)."""
        base = self.url(cloud + '-keystone') + '/v3'
        token = self.token(cloud, {'system': {'all': True}})[0]

        def call(method, path, body=None, ok=(200, 201, 204)):
            status, _, data = _request(method, base + path, body, token)
            if status not in ok:
                raise SandboxError('%s keystone: %s %s answered HTTP %d'
                                   % (cloud, method, path, status))
            return data

        def ensure(collection, name, body, query=''):
            key = collection[:-1]
            found = call('GET', '/%s?name=%s%s' % (collection, name, query))
            if found[collection]:
                return found[collection][0]['id']
            body = dict(body, name=name)
            return call('POST', '/' + collection, {key: body})[key]['id']

        roles = {r: ensure('roles', r, {}) for r in
                 ('admin', 'member', 'service')}
        in_default = '&domain_id=default'
        projects = {p: ensure('projects', p, {'domain_id': 'default'},
                              in_default)
                    for p in ('service',) + MEMBER_USERS}
        grants = {'glance': ('service', ('admin', 'service'))}
        grants.update((u, (u, ('member',))) for u in MEMBER_USERS)
        for user, (project, user_roles) in grants.items():
            password = self.passwords[cloud][user]
            uid = ensure('users', user, {
                'domain_id': 'default', 'password': password,
                'default_project_id': projects[project]}, in_default)
            # A password change revokes the user's tokens (glance's too),
            # so only change it when it is not the stored one.
            login = {'auth': {'identity': {'methods': ['password'],
                                           'password': {'user': {
                                               'id': uid,
                                               'password': password}}}}}
            if _request('POST', base + '/auth/tokens', login)[0] != 201:
                call('PATCH', '/users/' + uid,
                     {'user': {'password': password}})
            for role in user_roles:
                call('PUT', '/projects/%s/users/%s/roles/%s'
                     % (projects[project], uid, roles[role]))
        services = call('GET', '/services?type=image')['services']
        if services:
            sid = services[0]['id']
        else:
            sid = call('POST', '/services', {'service': {
                'type': 'image', 'name': 'glance',
                'description': 'Image service'}})['service']['id']
        url = self.url(cloud + '-glance')
        have = call('GET', '/endpoints?service_id=' + sid)['endpoints']
        for interface in ('public', 'internal', 'admin'):
            mine = [e for e in have if e['interface'] == interface]
            if not mine:
                call('POST', '/endpoints', {'endpoint': {
                    'service_id': sid, 'interface': interface, 'url': url,
                    'region_id': REGION}})
            elif mine[0]['url'] != url:
                call('PATCH', '/endpoints/' + mine[0]['id'],
                     {'endpoint': {'url': url}})

    def smoke_test(self, cloud):
        """List images as admin through the catalog: proves the auth path."""
        token, body = self.token(cloud, {'project': {
            'name': 'admin', 'domain': {'id': 'default'}}})
        urls = [e['url'] for s in body['token'].get('catalog', [])
                if s['type'] == 'image' for e in s['endpoints']
                if e['interface'] == 'public']
        if not urls:
            raise SandboxError('%s keystone has no public image endpoint'
                               % cloud)
        status = _request('GET', urls[0] + '/v2/images?limit=1',
                          token=token, timeout=30)[0]
        if status != 200:
            raise SandboxError('%s glance answered HTTP %d to an image list; '
                               'see %s' % (cloud, status,
                                           self.log_file(cloud + '-glance')))

    def write_clouds_yaml(self):
        def q(value):
            return json.dumps(value)  # a JSON string is a YAML string

        lines = ['# Written by tools/sandbox.py; passwords are random per '
                 'sandbox.', 'clouds:']
        for cloud in CLOUDS:
            for user in ('admin',) + MEMBER_USERS:
                name = cloud if user == 'admin' else '%s-%s' % (cloud, user)
                lines += [
                    '  %s:' % name,
                    '    auth:',
                    '      auth_url: %s' % q(self.url(cloud + '-keystone')
                                             + '/v3'),
                    '      username: %s' % q(user),
                    '      password: %s' % q(self.passwords[cloud][user]),
                    '      project_name: %s' % q(user),
                    '      user_domain_name: "Default"',
                    '      project_domain_name: "Default"',
                    '    region_name: %s' % q(REGION),
                    '    interface: "public"',
                    '    identity_api_version: 3',
                ]
        _write(self.clouds_yaml, '\n'.join(lines) + '\n', 0o600)

    # -- commands ---------------------------------------------------------

    def up(self, port_base=None, venv=None, python=None, **options):
        with self.locked():
            self.init_state(port_base, venv, options)
            self.ensure_venv(python)
            changed = self.write_configs()
            self.setup_databases()
            restart = [s for s in SERVICES
                       if s in changed and self.pid(s) is not None]
            if restart:
                log('config changed: restarting %s' % ', '.join(restart))
                self.stop(restart)
            started = self.start(SERVICES)
            todo = [c for c in CLOUDS if not self.done(c + '-provisioned')]
            check = [c for c in CLOUDS
                     if c in todo or c + '-glance' in started]

            def finish(cloud):
                if cloud in todo:
                    log('creating projects, users and the image service '
                        'in %s keystone' % cloud)
                    self.provision(cloud)
                self.smoke_test(cloud)

            # The two clouds are independent: set them up side by side.
            with ThreadPoolExecutor(2) as pool:
                results = [(c, pool.submit(finish, c)) for c in check]
            for cloud, result in results:
                result.result()
                if cloud in todo:
                    self.mark(cloud + '-provisioned')
            if check:
                log('image list through the catalog works in %s'
                    % ' and '.join(check))
            self.write_clouds_yaml()
            return self.info()

    def down(self, wipe=False, wipe_venv=False):
        with self.locked():
            self.stop(SERVICES)
            if not wipe:
                return
            # Only what this tool creates, in case --state-dir was a typo.
            names = ['state.json', 'passwords.json', 'clouds.yaml', 'logs',
                     'run'] + list(CLOUDS) + ['venv'] * wipe_venv
            for name in names:
                path = os.path.join(self.dir, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                elif os.path.lexists(path):
                    os.remove(path)
            log('wiped %s%s' % (self.dir, '' if wipe_venv else
                                ' (kept the venv)'))
        with contextlib.suppress(OSError):
            os.remove(os.path.join(self.dir, 'lock'))
            os.rmdir(self.dir)

    def status(self):
        result = {}
        for service in SERVICES:
            pid = self.pid(service)
            result[service] = {
                'pid': pid, 'running': pid is not None,
                'answers': pid is not None and self.answers(service),
                'url': self.url(service),
            }
        return result

    def check_service(self, service):
        if service not in SERVICES:
            raise SandboxError('unknown service %r (choose from %s)'
                               % (service, ', '.join(SERVICES)))
        self.require_state()
        if not self.done(service + '-setup'):
            raise SandboxError('%s was never set up; run "up" first'
                               % service)


# -- Python API -------------------------------------------------------------

def _quiet(quiet):
    global _QUIET
    _QUIET = bool(quiet)


def up(state_dir=None, port_base=None, venv=None, python=None,
       token_expiration=None, src_image_size_cap=None,
       dst_image_size_cap=None, quiet=False,
       src_require_image_format_match=None,
       dst_require_image_format_match=None):
    """Bring the sandbox up (idempotent); return info() as a dict.

    Options left at None keep the value stored in the state (or the
    default on the first run); a changed value rewrites the config and
    restarts the affected servers. ``*_require_image_format_match=False``
    lets that Glance accept data that does not match its disk_format.
    """
    _quiet(quiet)
    return Sandbox(state_dir).up(
        port_base=port_base, venv=venv, python=python,
        token_expiration=token_expiration,
        src_image_size_cap=src_image_size_cap,
        dst_image_size_cap=dst_image_size_cap,
        src_require_image_format_match=src_require_image_format_match,
        dst_require_image_format_match=dst_require_image_format_match)


def down(state_dir=None, wipe=False, wipe_venv=False, quiet=False):
    """Stop our four servers; optionally delete the state (not the venv)."""
    _quiet(quiet)
    box = Sandbox(state_dir)
    if os.path.isdir(box.dir):
        box.down(wipe=wipe, wipe_venv=wipe_venv)


def info(state_dir=None):
    """URLs, ports, clouds.yaml path and passwords of an existing sandbox."""
    box = Sandbox(state_dir)
    box.require_state()
    return box.info()


def status(state_dir=None):
    """{service: {'running', 'answers', 'pid', 'url'}}."""
    box = Sandbox(state_dir)
    box.require_state()
    return box.status()


def stop_service(service, state_dir=None, quiet=False):
    """Stop one server (SIGTERM to its process group, then SIGKILL)."""
    _quiet(quiet)
    box = Sandbox(state_dir)
    box.check_service(service)
    with box.locked():
        box.stop(service)


def start_service(service, state_dir=None, wait=True, quiet=False):
    """Start one stopped server and wait until it answers."""
    _quiet(quiet)
    box = Sandbox(state_dir)
    box.check_service(service)
    with box.locked():
        box.start([service], wait=wait)


# -- command line -----------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='sandbox.py', description=__doc__.split('\n')[0])
    parser.add_argument('--state-dir', help='default: $OSC_IMAGE_MIGRATE_'
                        'SANDBOX or <repo>/.sandbox')
    parser.add_argument('-q', '--quiet', action='store_true')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True
    p = sub.add_parser('up', help='install, start and set up the clouds')
    p.add_argument('--port-base', type=int, help='default: $OSC_IMAGE_'
                   'MIGRATE_SANDBOX_PORT_BASE or %d' % DEFAULT_PORT_BASE)
    p.add_argument('--venv', help='use this venv (default: <state>/venv)')
    p.add_argument('--python', help='interpreter for a new venv')
    p.add_argument('--token-expiration', type=int, metavar='SECONDS')
    p.add_argument('--src-image-size-cap', type=int, metavar='BYTES')
    p.add_argument('--dst-image-size-cap', type=int, metavar='BYTES')
    for cloud in CLOUDS:
        p.add_argument('--%s-require-image-format-match' % cloud,
                       type=int, choices=(0, 1), metavar='0|1',
                       help='0: %s Glance accepts data that does not match '
                       'disk_format (default 1)' % cloud)
    p = sub.add_parser('down', help='stop the servers')
    p.add_argument('--wipe', action='store_true',
                   help='delete the state too (except the venv)')
    p.add_argument('--wipe-venv', action='store_true',
                   help='with --wipe, delete <state>/venv too')
    sub.add_parser('status', help='show the servers; exit 0 if all answer')
    sub.add_parser('env', help='print the export line for clouds.yaml')
    for name in ('start', 'stop'):
        p = sub.add_parser(name, help='%s one server' % name)
        p.add_argument('service', choices=SERVICES)
    args = parser.parse_args(argv)
    _quiet(args.quiet)
    try:
        if args.command == 'up':
            result = up(args.state_dir, args.port_base, args.venv,
                        args.python, args.token_expiration,
                        args.src_image_size_cap, args.dst_image_size_cap,
                        quiet=args.quiet,
                        src_require_image_format_match=(
                            args.src_require_image_format_match),
                        dst_require_image_format_match=(
                            args.dst_require_image_format_match))
            log('sandbox up in %.1f s; clouds: %s' % (
                time.monotonic() - _T0, ', '.join(result['cloud_names'])))
            print('export OS_CLIENT_CONFIG_FILE=%s'
                  % shlex.quote(result['clouds_yaml']))
        elif args.command == 'down':
            down(args.state_dir, args.wipe, args.wipe_venv, args.quiet)
        elif args.command == 'status':
            result = status(args.state_dir)
            for service, st in result.items():
                print('%-13s %-8s pid %-7s %s%s' % (
                    service, 'running' if st['running'] else 'stopped',
                    st['pid'] or '-', st['url'],
                    '' if st['answers'] or not st['running']
                    else '  (not answering)'))
            return 0 if all(s['answers'] for s in result.values()) else 1
        elif args.command == 'env':
            box = Sandbox(args.state_dir)
            box.require_state()
            print('export OS_CLIENT_CONFIG_FILE=%s'
                  % shlex.quote(box.clouds_yaml))
        elif args.command == 'stop':
            stop_service(args.service, args.state_dir, quiet=args.quiet)
        elif args.command == 'start':
            start_service(args.service, args.state_dir, quiet=args.quiet)
    except SandboxError as exc:
        sys.stderr.write('sandbox: error: %s\n' % exc)
        return 1
    except KeyboardInterrupt:
        sys.stderr.write('sandbox: interrupted\n')
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
