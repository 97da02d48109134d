# SPDX-License-Identifier: Apache-2.0
"""What every part of the sandbox shares: names, errors, logging, I/O.

Standard library only: this package runs with any python3 >= 3.9, before
the venv with Keystone and Glance exists.
"""

import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.request

CLOUDS = ('src', 'dst')
KINDS = ('keystone', 'glance')
SERVICES = tuple('%s-%s' % (c, k) for c in CLOUDS for k in KINDS)
PORT_OFFSETS = {'src-keystone': 0, 'src-glance': 1,
                'dst-keystone': 10, 'dst-glance': 11}
DEFAULT_PORT_BASE = 25000
MEMBER_USERS = ('demo', 'alt_demo')
REGION = 'RegionOne'
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ENTRY_SCRIPT = os.path.join(REPO, 'tools', 'sandbox.py')
# Never route sandbox traffic through a proxy from the environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SandboxError(Exception):
    """A failure with a one-line explanation for the user."""


_T0 = time.monotonic()
_QUIET = False


def set_quiet(quiet):
    global _QUIET
    _QUIET = bool(quiet)


def elapsed():
    return time.monotonic() - _T0


def log(msg):
    if not _QUIET:
        sys.stderr.write('[sandbox %5.1fs] %s\n' % (elapsed(), msg))
        sys.stderr.flush()


def write_file(path, text, mode=0o644):
    """Write atomically; return True when the content changed.

    The return value is how a changed configuration is noticed, so that
    only the servers it concerns get restarted.
    """
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


def remove_file(path):
    """Delete a file; return True when there was one (a change too)."""
    try:
        os.remove(path)
        return True
    except FileNotFoundError:
        return False


def request(method, url, body=None, token=None, timeout=10):
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


def clean_env(**extra):
    """Our environment minus what could steer the servers elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('OS_') and k.lower() not in (
               'http_proxy', 'https_proxy', 'all_proxy')
           and k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV')}
    env.update(extra)
    return env
