# SPDX-License-Identifier: Apache-2.0
"""The servers as processes: how each is served, started, found, stopped.

Each server is a uWSGI master with its workers in a process group of its
own, started through a short-lived launcher so that it is nobody's child;
its pid file names the group, and a stop signals exactly that group.
"""

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

from cloudsandbox import common

START_TIMEOUT = 60
CHUNKED_INPUT_LIMIT = 16 * 1024 * 1024

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


def proc_stat(pid):
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


def group_alive(pgid):
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
            st = proc_stat(int(name))
            if st and st[1] == pgid and st[0] != 'Z':
                return True
    return False


def port_free(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def sqlite_wal(folder):
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


def config_variable(state, service):
    """OS_<KIND>_CONFIG_DIR=<folder>: how the app finds its config."""
    kind = service.split('-')[1]
    return 'OS_%s_CONFIG_DIR' % kind.upper(), state.sdir(service)


def pid(state, service):
    """The pid of our running server, or None."""
    try:
        with open(state.pid_file(service)) as f:
            found = int(f.read().strip())
    except (OSError, ValueError):
        return None
    st = proc_stat(found)
    if not st or st[0] == 'Z':
        return None
    # A pid can be reused after a reboot: check it is our server (its
    # environment names its config folder; uWSGI rewrites its argv).
    try:
        with open('/proc/%d/environ' % found, 'rb') as f:
            environ = f.read().split(b'\0')
    except FileNotFoundError:
        return found if not os.path.isdir('/proc/self') else None
    except OSError:
        return None
    mark = '%s=%s' % config_variable(state, service)
    return found if mark.encode() in environ else None


def answers(state, service, timeout=2):
    path = '/v3' if service.endswith('keystone') else '/healthcheck'
    try:
        status = common.request('GET', state.url(service) + path,
                                timeout=timeout)[0]
    except common.SandboxError:
        return False
    return status == 200


def server_argv(state, service):
    kind = service.split('-')[1]
    common.write_file(os.path.join(state.sdir(service), 'sandbox_wsgi.py'),
                      WSGI_WRAPPER % kind)
    return [
        os.path.join(state.venv, 'bin', 'uwsgi'),
        '--http', '127.0.0.1:%d' % state.port(service),
        '--http-chunked-input', '--http-auto-chunked',
        # The router closes every connection after the response (with
        # --http-keepalive too, after a chunked upload): say so, or
        # clients that reuse connections get sporadic resets.
        '--add-header', 'Connection: close',
        '--chunked-input-limit', str(CHUNKED_INPUT_LIMIT),
        '--master', '--processes', '1', '--threads', '4',
        '--die-on-term', '--need-app', '--buffer-size', '65535',
        '--worker-reload-mercy', '3', '--reload-mercy', '3',
        '--virtualenv', state.venv, '--pythonpath', state.sdir(service),
        # Else sys.executable is uwsgi, and oslo.concurrency's
        # "sys.executable -m oslo_concurrency.prlimit" (Glance's qemu-img
        # calls, e.g. image_conversion) fails.
        '--py-sys-executable', os.path.join(state.venv, 'bin', 'python'),
        '--module', 'sandbox_wsgi:application',
        '--env', '%s=%s' % config_variable(state, service),
        '--chdir', state.sdir(service),
        '--procname-prefix-spaced', 'osc-sandbox-%s' % service,
    ]


def launch(state, service):
    env = common.clean_env(**dict([config_variable(state, service)]))
    spec = {'argv': server_argv(state, service), 'env': env,
            'cwd': state.sdir(service), 'log': state.log_file(service)}
    with open(state.log_file(service), 'a') as f:
        f.write('\n===== %s starting %s\n' % (time.ctime(), service))
    out = subprocess.run([sys.executable, '-c', LAUNCHER],
                         input=json.dumps(spec), capture_output=True,
                         text=True, check=False)
    if out.returncode != 0 or not out.stdout.strip().isdigit():
        raise common.SandboxError('could not start %s: %s' % (
            service, (out.stderr.strip().splitlines() or ['?'])[-1]))
    started = int(out.stdout.strip())
    common.write_file(state.pid_file(service), '%d\n' % started)
    common.log('started %s (pid %d) on %s' % (service, started,
                                              state.url(service)))
    return started


def wait_answer(state, service, server_pid, deadline):
    while True:
        if answers(state, service, timeout=1):
            return
        st = proc_stat(server_pid)
        if not st or st[0] == 'Z':
            raise common.SandboxError('%s exited during start-up; see %s'
                                      % (service, state.log_file(service)))
        if time.monotonic() > deadline:
            raise common.SandboxError(
                '%s on 127.0.0.1:%d did not answer within %d s; see %s'
                % (service, state.port(service), START_TIMEOUT,
                   state.log_file(service)))
        time.sleep(0.1)


def start(state, services, wait=True):
    """Start those of the services not running; wait until all answer.

    Returns the services that were started.
    """
    running = {s: pid(state, s) for s in services}
    todo = [s for s, p in running.items() if p is None]
    for service in todo:
        sqlite_wal(state.sdir(service))
        port = state.port(service)
        if not port_free(port):
            raise common.SandboxError(
                '127.0.0.1:%d (for %s) is in use by a process that is not '
                'this sandbox\'s; stop it or choose another --port-base'
                % (port, service))
    started = {s: launch(state, s) for s in todo}
    if wait:
        deadline = time.monotonic() + START_TIMEOUT
        for service in services:
            server_pid = started.get(service) or running[service]
            wait_answer(state, service, server_pid, deadline)
            if service in started:
                common.log('%s answers' % service)
    return list(started)


def stop(state, services, quiet=False, grace=5.0):
    """SIGTERM the process groups of our servers, SIGKILL stragglers.

    uWSGI's master looks at its workers once a second, so a stop takes
    about 1 s: the services are stopped side by side.
    """
    if isinstance(services, str):
        services = [services]
    pids = {}
    for service in services:
        found = pid(state, service)
        if found is not None:
            pids[service] = found
            if not quiet:
                common.log('stopping %s (pid %d)' % (service, found))
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(state.pid_file(service))
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        for group in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            pids = {s: p for s, p in pids.items() if group_alive(p)}
            if not pids:
                break
            time.sleep(0.05)
    for service in services:
        if service not in pids:
            with contextlib.suppress(FileNotFoundError):
                os.remove(state.pid_file(service))
    if pids:
        raise common.SandboxError('%s did not stop (process groups %s)' % (
            ', '.join(pids), ', '.join(map(str, pids.values()))))
