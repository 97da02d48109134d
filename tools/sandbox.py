#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Run a real two-cloud OpenStack (2 Keystones + 2 Glance APIs) locally.

The sandbox gives the functional tests and the demo two independent clouds,
``src`` and ``dst``, each with its own Keystone and Glance, on 127.0.0.1
only, deployed as a small real cloud is: uWSGI with 2 worker processes per
server, MariaDB (a ``mariadbd`` of the sandbox's own), and HTTPS through
HAProxy with a private CA per cloud. Usage::

    python3 tools/sandbox.py up        # install (first time), start, set up
    eval "$(python3 tools/sandbox.py env)"
    openstack --os-cloud src image list
    python3 tools/sandbox.py status    # exit 0 only if all answer
    python3 tools/sandbox.py stop dst-glance
    python3 tools/sandbox.py start dst-glance
    python3 tools/sandbox.py down [--wipe [--wipe-venv]]

``up --database sqlite --no-tls --workers 1`` (or the variables
``OSC_IMAGE_MIGRATE_SANDBOX_DATABASE``, ``_TLS``, ``_WORKERS``) makes the
lighter sandbox of old; see cloudsandbox/deployment.py.

Everything lives in the state folder (default ``<repo>/.sandbox``, or
``--state-dir`` / ``$OSC_IMAGE_MIGRATE_SANDBOX``): the venv, configs, the
MariaDB datadir (or sqlite files), CAs and certificates, fernet keys, image
stores, ``logs/<service>.log``, pid files, random passwords
(``passwords.json``) and ``clouds.yaml``.

Ports (``--port-base`` / ``$OSC_IMAGE_MIGRATE_SANDBOX_PORT_BASE``, default
25000): src Keystone base+0, src Glance base+1, dst Keystone base+10, dst
Glance base+11 (HAProxy with TLS, else uWSGI); with TLS, uWSGI at those
+4 and bad-certificate frontends of dst Keystone at base+12 (wrong host
name) and base+13 (expired); MariaDB at base+19. They are stored in the
state so later commands agree.

clouds.yaml holds ``src`` and ``dst`` (admin) and ``src-demo``,
``src-alt_demo``, ``dst-demo``, ``dst-alt_demo`` (members of their own
project), each naming its cloud's CA as ``cacert``; with TLS also
``dst-wrong-ca``, ``dst-wrong-host``, ``dst-expired`` and ``dst-insecure``
(``verify: false``), for tests of TLS errors. Glance is found through each
Keystone's catalog.

This file is only the entry point: the code is the ``cloudsandbox`` package
beside it, which is also the Python API (put tools/ on sys.path, ``import
cloudsandbox``; ``up(dst=cloudsandbox.GlanceVariant(stores=('fast',
'slow')))`` describes a variant of a cloud's Glance; see its docstring).

Only the standard library is used, so any python3 >= 3.9 runs this file.
The venv it creates needs Python >= 3.11 (keystone 30, glance 33): it uses
``--python``, else this interpreter if recent enough, else the first of
python3.11, 3.12, 3.13, 3.14 found on PATH.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cloudsandbox import cli  # noqa: E402

if __name__ == '__main__':
    sys.exit(cli.main())
