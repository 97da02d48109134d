# SPDX-License-Identifier: Apache-2.0
"""The sandbox's own MariaDB server: one ``mariadbd`` per sandbox.

Not the system service: a ``mariadbd`` started from Debian's package with
its own datadir, unix socket, pid and log under ``<state>/mariadb``,
listening on 127.0.0.1 at the port base + 19, so that it never meets
another sandbox's or the machine's own. Each cloud's Keystone and Glance
get a database of their own (``src_keystone``, ``src_glance``, ...) and
reach it through its unix socket as the ``sandbox`` user with PyMySQL
(TCP stays open for people's own clients); the administrative root account
only logs in through the unix socket as the OS user that made it
(``unix_socket`` authentication), so no password-less account is
reachable over TCP.
"""

import os
import pwd
import shutil
import socket
import subprocess
import time

from cloudsandbox import common

# Debian puts the server in /usr/sbin, which may not be on a user's PATH.
SEARCH = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin',
                          '/usr/local/sbin', '/sbin'])
# A safety net for a server that hangs: start-up waits for its first
# packet (or for it to exit), however long a busy machine takes.
START_TIMEOUT = 300

CNF = """\
# Written by tools/sandbox.py: this sandbox's own MariaDB server.
[mariadbd]
datadir = {dir}/data
socket = {dir}/mariadbd.sock
pid-file = {dir}/mariadbd.pid
log-error = {log}
port = {port}
bind-address = 127.0.0.1
skip-name-resolve
{user}character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
max_connections = 500
# Small: a test sandbox, with up to four of them on one machine.
innodb_buffer_pool_size = 64M
innodb_log_file_size = 32M
# Durability of each commit is not worth an fsync in a throw-away sandbox.
innodb_flush_log_at_trx_commit = 2
performance_schema = OFF

[client]
socket = {dir}/mariadbd.sock
"""


def binary(name):
    found = shutil.which(name, path=SEARCH)
    if not found:
        raise common.SandboxError(
            '%s is missing: the sandbox runs MariaDB (Debian: apt-get '
            'install mariadb-server; or "up --database sqlite")' % name)
    return found


def os_user():
    return pwd.getpwuid(os.getuid()).pw_name


def render_cnf(mdir, port, log_file):
    # mariadbd refuses to run as root unless told to.
    user = 'user = root\n' if os.getuid() == 0 else ''
    return CNF.format(dir=mdir, port=port, log=log_file, user=user)


def cnf_path(mdir):
    return os.path.join(mdir, 'my.cnf')


def install_argv(mdir):
    """The one-time creation of the system tables in the datadir."""
    return [binary('mariadb-install-db'), '--defaults-file=' + cnf_path(mdir),
            '--auth-root-authentication-method=socket',
            '--auth-root-socket-user=' + os_user(), '--skip-test-db']


def server_argv(mdir):
    return [binary('mariadbd'), '--defaults-file=' + cnf_path(mdir)]


def database_name(service):
    """``src-glance`` -> ``src_glance``."""
    return service.replace('-', '_')


def socket_path(mdir):
    return os.path.join(mdir, 'mariadbd.sock')


def url(service, mdir, user, password):
    """The SQLAlchemy URL of a service's database: over the unix socket.

    Not over TCP: each API worker keeps a pool of connections open for
    hours, and each TCP one holds a port of the kernel's ephemeral range,
    where our port bases lie: a sandbox starting later found its ports
    taken by them.
    """
    return ('mysql+pymysql://%s:%s@localhost/%s?unix_socket=%s'
            '&charset=utf8mb4' % (user, password, database_name(service),
                                  socket_path(mdir)))


def quote(text):
    return "'%s'" % text.replace('\\', '\\\\').replace("'", "\\'")


def account_sql(user, password, services):
    """Idempotent: the databases and the account that may use them."""
    lines = []
    for host in ('127.0.0.1', 'localhost'):
        account = '%s@%s' % (quote(user), quote(host))
        lines += ['CREATE USER IF NOT EXISTS %s IDENTIFIED BY %s;'
                  % (account, quote(password)),
                  'ALTER USER %s IDENTIFIED BY %s;' % (account,
                                                       quote(password))]
        lines += ['GRANT ALL PRIVILEGES ON `%s`.* TO %s;'
                  % (database_name(s), account) for s in services]
    return [create_sql(s) for s in services] + lines


def create_sql(service):
    return ('CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4;'
            % database_name(service))


def recreate_sql(service):
    """An empty database again, after a failed first set-up."""
    return ['DROP DATABASE IF EXISTS `%s`;' % database_name(service),
            create_sql(service)]


def run_sql(mdir, statements, log_file):
    """Run statements as the administrative account, over the socket."""
    argv = [binary('mariadb'), '--defaults-file=' + cnf_path(mdir),
            '-u', os_user(), '--batch', '-e', '\n'.join(statements)]
    with open(log_file, 'ab') as out:
        rc = subprocess.call(argv, stdout=out, stderr=out,
                             stdin=subprocess.DEVNULL)
    if rc != 0:
        raise common.SandboxError('MariaDB statements failed (exit %d); see '
                                  '%s' % (rc, log_file))


def greets(port, timeout=1.0):
    """True when a TCP connect gets the server's first packet.

    The server sends it once it accepts clients: a handshake (protocol
    version 10) or, before any account may connect from 127.0.0.1, an
    error packet (0xff, "host is not allowed"). Either is a live server:
    a connect that succeeds, not a guess at how long start-up takes.
    """
    try:
        with socket.create_connection(('127.0.0.1', port),
                                      timeout=timeout) as sock:
            header = sock.recv(5)
    except OSError:
        return False
    return len(header) == 5 and header[4] in (10, 0xff)


def wait_ready(port, alive, log_file):
    deadline = time.monotonic() + START_TIMEOUT
    while not greets(port):
        if not alive():
            raise common.SandboxError('mariadbd exited during start-up; see '
                                      '%s' % log_file)
        if time.monotonic() > deadline:
            raise common.SandboxError('mariadbd on 127.0.0.1:%d did not '
                                      'answer within %d s; see %s'
                                      % (port, START_TIMEOUT, log_file))
        time.sleep(0.1)
