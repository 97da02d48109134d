# SPDX-License-Identifier: Apache-2.0
"""The Python API: what tests, the demo and the benchmarks call.

Each function takes the state folder (default: ``$OSC_IMAGE_MIGRATE_
SANDBOX`` or ``<repo>/.sandbox``) and raises ``SandboxError`` with a
one-line explanation when something fails.
"""

import os

from cloudsandbox import common
from cloudsandbox import lifecycle
from cloudsandbox import processes


def up(state_dir=None, port_base=None, venv=None, python=None, src=None,
       dst=None, quiet=False, database=None, tls=None, workers=None,
       **settings):
    """Bring the sandbox up (idempotent); return info() as a dict.

    ``database`` (``'mariadb'`` or ``'sqlite'``), ``tls`` (https through
    HAProxy, or plain http) and ``workers`` (uWSGI processes per API
    server): see the ``deployment`` module; None keeps what is stored, or
    for a new sandbox takes $OSC_IMAGE_MIGRATE_SANDBOX_DATABASE / _TLS /
    _WORKERS, else the defaults.

    ``src`` / ``dst``: the GlanceVariant of that cloud, instead of the one
    stored in the state (the stock Glance on the first run). ``settings``
    change one thing: ``token_expiration`` (seconds, both Keystones),
    ``regions`` (1: one Keystone, the source's, with the destination's
    Glance in its ``RegionTwo``; see the ``regions`` module) or one
    field of a cloud's variant as ``<cloud>_<field>``, e.g.
    ``dst_image_size_cap=4 * 1024 ** 2`` or
    ``src_require_image_format_match=False``, or ``dst_barbican=True``
    (that cloud gets its own Barbican), or ``dst_cinder=True`` (its own
    Cinder API). None keeps what is stored.
    Whatever changed is stored, and the servers it concerns restart.
    """
    common.set_quiet(quiet)
    return lifecycle.Sandbox(state_dir).up(
        port_base=port_base, venv_dir=venv, python=python,
        variants={'src': src, 'dst': dst},
        deploy={'database': database, 'tls': tls, 'workers': workers},
        **settings)


def down(state_dir=None, wipe=False, wipe_venv=False, quiet=False):
    """Stop our servers, HAProxy and MariaDB; optionally wipe the state.

    The wipe deletes the databases and certificates too (the venv only
    with ``wipe_venv``).
    """
    common.set_quiet(quiet)
    box = lifecycle.Sandbox(state_dir)
    if os.path.isdir(box.dir):
        box.down(wipe=wipe, wipe_venv=wipe_venv)


def info(state_dir=None):
    """URLs, ports, clouds.yaml path, passwords, variants of a sandbox."""
    box = lifecycle.Sandbox(state_dir)
    box.require()
    return box.info()


def status(state_dir=None):
    """{service: {'running', 'answers', 'pid', 'url'}}."""
    box = lifecycle.Sandbox(state_dir)
    box.require()
    return box.status()


def stop_service(service, state_dir=None, quiet=False):
    """Stop one server (SIGTERM to its process group, then SIGKILL)."""
    common.set_quiet(quiet)
    box = lifecycle.Sandbox(state_dir)
    box.check_service(service)
    with box.locked():
        processes.stop(box, service)


def start_service(service, state_dir=None, wait=True, quiet=False):
    """Start one stopped server and wait until it answers."""
    common.set_quiet(quiet)
    box = lifecycle.Sandbox(state_dir)
    box.check_service(service)
    with box.locked():
        processes.start(box, [service], wait=wait)
