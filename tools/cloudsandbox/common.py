# SPDX-License-Identifier: Apache-2.0
"""What every part of the sandbox shares: names, errors, logging, I/O.

Standard library only: this package runs with any python3 >= 3.9, before
the venv with Keystone and Glance exists.
"""

import http.client
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

CLOUDS = ('src', 'dst')
KINDS = ('keystone', 'glance')
SERVICES = tuple('%s-%s' % (c, k) for c in CLOUDS for k in KINDS)
# Optional API servers: run where a cloud's variant asks (barbican.py,
# cinder.py).
OPTIONAL = tuple('%s-%s' % (c, k) for k in ('barbican', 'cinder')
                 for c in CLOUDS)
# Offsets from the port base. The public ports (what clouds.yaml and the
# catalogs name) are those of the services; with TLS, HAProxy listens
# there and uWSGI on the public port + BACKEND_OFFSET. Every offset stays
# below 20, so that a sandbox takes no more ports than the first ones did
# (base..base+19): sandboxes made with bases 20 apart never collide.
PORT_OFFSETS = {'src-keystone': 0, 'src-glance': 1,
                'dst-keystone': 10, 'dst-glance': 11,
                # HAProxy frontends of dst Keystone with bad certificates
                # (TLS only): one for another host name, one expired.
                'dst-keystone-wrong-host': 12, 'dst-keystone-expired': 13,
                # Key managers of the clouds whose variant asks for one
                # (with TLS, their uWSGI listens at 6 and 7).
                'src-barbican': 2, 'dst-barbican': 3,
                # Cinder APIs of the clouds whose variant asks for one.
                'src-cinder': 8, 'dst-cinder': 9,
                'mariadb': 19}
BACKEND_OFFSET = 4
# uWSGI's offset (with TLS) where public + BACKEND_OFFSET is taken.
BACKEND_OFFSETS = {'src-cinder': 16, 'dst-cinder': 17}
MAX_OFFSET = max(PORT_OFFSETS.values())
# Processes besides the API servers, when the deployment has them.
INFRA = ('mariadb', 'haproxy')
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


def authtoken(keystone_url, username, password, cafile=None):
    """keystonemiddleware's section for a service user of the cloud.

    ``cafile``: the cloud's CA, when its Keystone is reached over https.
    """
    section = {
        'www_authenticate_uri': keystone_url,
        'auth_url': keystone_url,
        'auth_type': 'password',
        'username': username,
        'password': password,
        'project_name': 'service',
        'user_domain_name': 'Default',
        'project_domain_name': 'Default',
        'region_name': REGION,
        'interface': 'public',
    }
    if cafile:
        section['cafile'] = cafile
    return section


class PortInUse(SandboxError):
    """One of the sandbox's ports is held by something else."""


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


def backend_offset(service):
    """Where the service's uWSGI listens behind HAProxy (TLS)."""
    return BACKEND_OFFSETS.get(service,
                               PORT_OFFSETS[service] + BACKEND_OFFSET)


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


_CONTEXTS = {}


def tls_context(cafile):
    """An SSL context that trusts ``cafile`` alone (cached)."""
    if cafile not in _CONTEXTS:
        _CONTEXTS[cafile] = ssl.create_default_context(cafile=cafile)
    return _CONTEXTS[cafile]


def request(method, url, body=None, token=None, timeout=10, cafile=None):
    """Plain JSON HTTP(S); returns (status, headers, parsed body or None).

    An https URL is verified against ``cafile`` (the cloud's own CA).
    """
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header('Accept', 'application/json')
    if data is not None:
        req.add_header('Content-Type', 'application/json')
    if token:
        req.add_header('X-Auth-Token', token)
    try:
        opener = HTTP
        if cafile and url.startswith('https:'):
            opener = urllib.request.build_opener(
                urllib.request.ProxyHandler({}),
                urllib.request.HTTPSHandler(context=tls_context(cafile)))
        with opener.open(req, timeout=timeout) as resp:
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
