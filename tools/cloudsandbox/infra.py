# SPDX-License-Identifier: Apache-2.0
"""MariaDB and HAProxy of a sandbox: installed, configured, run, stopped.

Both are Debian packages, installed with apt-get when missing (as root),
and run as plain processes of the sandbox (see ``launching``), never as
the system services.
"""

import os
import shutil
import subprocess
import time

from cloudsandbox import ceph
from cloudsandbox import common
from cloudsandbox import haproxy
from cloudsandbox import launching
from cloudsandbox import mariadb
from cloudsandbox import tls

PACKAGES = {'mariadb': ('mariadbd', 'mariadb-server'),
            'haproxy': ('haproxy', 'haproxy')}
SEARCH = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])


def ensure_packages(state):
    """apt-get install what the deployment needs and is missing."""
    missing = [PACKAGES[s][1] for s in state.infra()
               if not shutil.which(PACKAGES[s][0], path=SEARCH)]
    if ceph.clouds(state):
        missing += ceph.missing_packages()
    if not missing:
        return
    if os.getuid() != 0 or not shutil.which('apt-get'):
        raise common.SandboxError(
            'the sandbox needs %s (Debian: apt-get install %s), or run it '
            'lighter: "up --database sqlite --no-tls"'
            % (', '.join(missing), ' '.join(missing)))
    log = os.path.join(state.logs, 'apt.log')
    common.log('apt-get install %s (log: %s)' % (' '.join(missing), log))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    with open(log, 'ab') as out:
        for argv in (['apt-get', 'update', '-qq'],
                     ['apt-get', 'install', '-y', '-qq'] + [
                         # Ceph's recommends pull in half a desktop.
                         '--no-install-recommends'] * bool(
                             set(missing) & set(ceph.PACKAGES)) + missing):
            if subprocess.call(argv, stdout=out, stderr=out, env=env,
                               stdin=subprocess.DEVNULL) != 0:
                raise common.SandboxError('%s failed; see %s'
                                          % (' '.join(argv[:2]), log))


def mdir(state):
    return os.path.join(state.dir, 'mariadb')


def hdir(state):
    return os.path.join(state.dir, 'haproxy')


def _launch(state, service, argv, cwd):
    env = common.clean_env(**dict([state.infra_mark(service)]))
    started = launching.launch(service, argv, env, cwd,
                               state.log_file(service),
                               state.pid_file(service))
    common.log('started %s (pid %d)' % (service, started))
    return started


def start_mariadb(state, pid):
    """Start our mariadbd (made on first use); wait until it greets.

    ``pid``: processes.pid. Returns True when it was started.
    """
    d = mdir(state)
    os.makedirs(d, exist_ok=True)
    log = state.log_file('mariadb')
    changed = common.write_file(mariadb.cnf_path(d), mariadb.render_cnf(
        d, state.port('mariadb'), log))
    running = pid(state, 'mariadb')
    if running and not changed:
        return False
    if running:
        common.log('mariadb config changed: restarting it')
        launching.stop_groups({'mariadb': running}, grace=60)
    if not os.path.isdir(os.path.join(d, 'data', 'mysql')):
        shutil.rmtree(os.path.join(d, 'data'), ignore_errors=True)
        common.log('creating the MariaDB datadir %s/data' % d)
        with open(log, 'ab') as out:
            if subprocess.call(mariadb.install_argv(d), stdout=out,
                               stderr=out, stdin=subprocess.DEVNULL) != 0:
                raise common.SandboxError('mariadb-install-db failed; see %s'
                                          % log)
    launching.check_port_free(state.port('mariadb'), 'mariadb')
    started = _launch(state, 'mariadb', mariadb.server_argv(d), d)
    mariadb.wait_ready(state.port('mariadb'),
                       lambda: launching.alive(started), log)
    common.log('mariadb answers')
    return True


def database_sql(state, statements):
    mariadb.run_sql(mdir(state), statements, state.log_file('mariadb'))


def database_url(state, service):
    return mariadb.url(service, mdir(state), 'sandbox',
                       state.passwords['database']['sandbox'])


def write_haproxy_config(state):
    """Render haproxy.cfg; return True when it changed."""
    d = hdir(state)
    os.makedirs(d, exist_ok=True)
    ports = {s: state.port(s) for s in state.services()}
    ports.update((f, state.port(f)) for f in haproxy.BAD_FRONTENDS)
    backends = {s: state.backend_port(s) for s in state.services()}
    return common.write_file(os.path.join(d, 'haproxy.cfg'), haproxy.render(
        ports, backends, state.tls_dir))


def start_haproxy(state, pid):
    """Start HAProxy unless it runs; wait until its frontends listen."""
    if pid(state, 'haproxy'):
        return False
    fronts = list(state.services()) + sorted(haproxy.BAD_FRONTENDS)
    for front in fronts:
        launching.check_port_free(state.port(front), front)
    cfg = os.path.join(hdir(state), 'haproxy.cfg')
    with open(state.log_file('haproxy'), 'ab') as out:
        if subprocess.call(haproxy.argv(cfg) + ['-c', '-q'], stdout=out,
                           stderr=out, stdin=subprocess.DEVNULL) != 0:
            raise common.SandboxError('haproxy refused %s; see %s'
                                      % (cfg, state.log_file('haproxy')))
    started = _launch(state, 'haproxy', haproxy.argv(cfg), hdir(state))
    deadline = time.monotonic() + 30
    while any(launching.port_free(state.port(f)) for f in fronts):
        if not launching.alive(started):
            raise common.SandboxError('haproxy exited during start-up; see '
                                      '%s' % state.log_file('haproxy'))
        if time.monotonic() > deadline:
            raise common.SandboxError('haproxy did not listen within 30 s; '
                                      'see %s' % state.log_file('haproxy'))
        time.sleep(0.05)
    return True


def ensure_certificates(state):
    tls.ensure(state.tls_dir, state.venv, os.path.join(state.logs,
                                                       'tls.log'))
