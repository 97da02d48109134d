# SPDX-License-Identifier: Apache-2.0
"""The API servers as processes: how each is served, started, stopped.

Each server is a uWSGI master with its workers (``workers`` processes of
4 threads each, apps loaded after the fork as devstack does) in a process
group of its own, started detached (see ``launching``). With TLS, uWSGI
listens on a backend port and HAProxy on the public one (see ``infra``).
"""

import contextlib
import os
import sqlite3
import time

from cloudsandbox import barbican
from cloudsandbox import cinder
from cloudsandbox import common
from cloudsandbox import launching
from cloudsandbox import regions

# A safety net for a server that hangs: start-up waits for an answer (or
# the process to exit); on a busy 2-core machine, loading 8 apps takes
# minutes.
START_TIMEOUT = 300
CHUNKED_INPUT_LIMIT = 16 * 1024 * 1024
THREADS = 4

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


def sqlite_wal(folder):
    """Switch the service's sqlite database to WAL journaling.

    With the default journal, concurrent uploads into one Glance made
    sqlite answer "database is locked" (HTTP 500); WAL lets readers and a
    writer proceed together, and ``?timeout=30`` in the URL makes writers
    wait for each other instead of failing.
    """
    for name in ('keystone.db', 'glance.db', 'barbican.db', 'cinder.db'):
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
    if service in common.INFRA:
        return launching.marked_pid(state.pid_file(service),
                                    '%s=%s' % state.infra_mark(service))
    # uWSGI rewrites its argv: its environment names its config folder.
    return launching.marked_pid(state.pid_file(service),
                                '%s=%s' % config_variable(state, service))


def answers(state, service, timeout=2):
    """Whether the service answers where clients reach it."""
    if service in common.INFRA:
        return pid(state, service) is not None
    path = '/v3' if service.endswith('keystone') else '/healthcheck'
    try:
        status = common.request('GET', state.url(service) + path,
                                timeout=timeout,
                                cafile=state.cafile(service))[0]
    except common.SandboxError:
        return False
    return status == 200


def server_argv(state, service):
    kind = service.split('-')[1]
    venv, workers, threads = state.venv, state.deployment['workers'], THREADS
    module = WSGI_WRAPPER % kind
    if kind == 'barbican':
        # Its own venv (same Python: the sandbox's uWSGI serves it); one
        # thread, as its sqlite database would want, is plenty for the
        # few certificate reads of a test.
        venv, workers, threads = barbican.venv_dir(state), 1, 1
        module = barbican.WSGI_MODULE
    elif kind == 'cinder':
        # Its own venv too; one process, for reads of a few records.
        venv, workers = cinder.venv_dir(state), 1
        module = cinder.WSGI_MODULE
    common.write_file(os.path.join(state.sdir(service), 'sandbox_wsgi.py'),
                      module)
    return [
        os.path.join(state.venv, 'bin', 'uwsgi'),
        '--http', '127.0.0.1:%d' % state.backend_port(service),
        '--http-chunked-input', '--http-auto-chunked',
        # The router closes every connection after the response (with
        # --http-keepalive too, after a chunked upload): say so, or
        # clients that reuse connections get sporadic resets.
        '--add-header', 'Connection: close',
        '--chunked-input-limit', str(CHUNKED_INPUT_LIMIT),
        '--master', '--processes', str(workers), '--threads', str(threads),
        # Each worker loads the app itself: no database connection or
        # cache is ever shared across a fork.
        '--lazy-apps',
        '--die-on-term', '--need-app', '--buffer-size', '65535',
        '--worker-reload-mercy', '3', '--reload-mercy', '3',
        '--virtualenv', venv, '--pythonpath', state.sdir(service),
        # Else sys.executable is uwsgi, and oslo.concurrency's
        # "sys.executable -m oslo_concurrency.prlimit" (Glance's qemu-img
        # calls, e.g. image_conversion) fails.
        '--py-sys-executable', os.path.join(venv, 'bin', 'python'),
        '--module', 'sandbox_wsgi:application',
        '--env', '%s=%s' % config_variable(state, service),
        '--chdir', state.sdir(service),
        '--procname-prefix-spaced', 'osc-sandbox-%s' % service,
    ]


def launch(state, service):
    env = common.clean_env(**dict([config_variable(state, service)]))
    if service.endswith('-barbican'):
        env.update(barbican.server_env(state.sdir(service)))
    env.update(regions.server_env(state, service))
    started = launching.launch(service, server_argv(state, service), env,
                               state.sdir(service), state.log_file(service),
                               state.pid_file(service))
    common.log('started %s (pid %d) on %s' % (service, started,
                                              state.url(service)))
    return started


def wait_answer(state, service, server_pid, deadline):
    while True:
        if answers(state, service, timeout=1):
            return
        if not launching.alive(server_pid):
            raise common.SandboxError('%s exited during start-up; see %s'
                                      % (service, state.log_file(service)))
        if time.monotonic() > deadline:
            raise common.SandboxError(
                '%s on %s did not answer within %d s; see %s'
                % (service, state.url(service), START_TIMEOUT,
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
        launching.check_port_free(state.backend_port(service), service)
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
    left = launching.stop_groups(pids, grace)
    for service in services:
        if service not in left:
            with contextlib.suppress(FileNotFoundError):
                os.remove(state.pid_file(service))
    if left:
        raise common.SandboxError('%s did not stop (process groups %s)' % (
            ', '.join(left), ', '.join(map(str, left.values()))))
