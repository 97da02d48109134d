# SPDX-License-Identifier: Apache-2.0
"""Processes of our own: started detached, found again, stopped by group.

Every server of the sandbox (uWSGI masters, mariadbd, haproxy) is started
through a short-lived launcher in a session of its own, so that it is
nobody's child; its pid file names its process group, and a stop signals
exactly that group. Each carries a mark in its environment by which a pid
found in a pid file is proven to still be ours.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

from cloudsandbox import common

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


# How long a start waits for one of its ports to come free. Our ports lie
# in the kernel's ephemeral range, so a client connection elsewhere on the
# machine (a uWSGI router or HAProxy talking to its backend) can hold one
# for a moment; a server listening there holds it for good.
PORT_WAIT = 15


def check_port_free(port, what, timeout=PORT_WAIT):
    """Wait until 127.0.0.1:``port`` can be bound; SandboxError if never."""
    deadline = time.monotonic() + timeout
    while not port_free(port):
        if time.monotonic() > deadline:
            raise common.PortInUse(
                '127.0.0.1:%d (for %s) is in use by a process that is not '
                'this sandbox\'s; stop it or choose another --port-base'
                % (port, what))
        time.sleep(0.1)


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


def marked_pid(pid_file, mark):
    """The pid in ``pid_file`` if it lives and is marked, else None.

    ``mark``: ``NAME=value``, which its environment must hold.
    """
    try:
        with open(pid_file) as f:
            found = int(f.read().strip())
    except (OSError, ValueError):
        return None
    st = proc_stat(found)
    if not st or st[0] == 'Z':
        return None
    # A pid can be reused after a reboot: check it is ours.
    try:
        with open('/proc/%d/environ' % found, 'rb') as f:
            environ = f.read().split(b'\0')
    except FileNotFoundError:
        return found if not os.path.isdir('/proc/self') else None
    except OSError:
        return None
    return found if mark.encode() in environ else None


def launch(name, argv, env, cwd, log_file, pid_file):
    """Start ``argv`` detached; write and return its pid."""
    spec = {'argv': argv, 'env': env, 'cwd': cwd, 'log': log_file}
    with open(log_file, 'a') as f:
        f.write('\n===== %s starting %s\n' % (time.ctime(), name))
    out = subprocess.run([sys.executable, '-c', LAUNCHER],
                         input=json.dumps(spec), capture_output=True,
                         text=True, check=False)
    if out.returncode != 0 or not out.stdout.strip().isdigit():
        raise common.SandboxError('could not start %s: %s' % (
            name, (out.stderr.strip().splitlines() or ['?'])[-1]))
    started = int(out.stdout.strip())
    common.write_file(pid_file, '%d\n' % started)
    return started


def alive(pid):
    st = proc_stat(pid)
    return bool(st) and st[0] != 'Z'


def stop_groups(groups, grace=5.0):
    """SIGTERM {name: pgid}, SIGKILL what outlives ``grace``.

    Returns the names whose groups are still alive (none, normally).
    """
    groups = dict(groups)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        for group in groups.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            groups = {n: p for n, p in groups.items() if group_alive(p)}
            if not groups:
                return {}
            time.sleep(0.05)
    return groups
