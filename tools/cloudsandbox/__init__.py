# SPDX-License-Identifier: Apache-2.0
"""A real two-cloud OpenStack on 127.0.0.1, for tests, demo and benchmarks.

tools/sandbox.py is its command line; this package is the code, one job
per module:

- ``api``: the Python API (``up``, ``down``, ``info``, ``status``,
  ``stop_service``, ``start_service``), re-exported here;
- ``lifecycle``: the steps of ``up`` and ``down``, in order, each once;
- ``state``: the state folder, its settings, passwords and names;
- ``credentials``: the passwords and keys it makes, in their consumers' form;
- ``venv``: the server venvs, each under its constraints file;
- ``keystone``: a cloud's Keystone configuration and bootstrap;
- ``glance``: ``GlanceVariant``, the one place that describes how a
  cloud's Glance differs from the stock one, and its configuration;
- ``barbican``: the key manager of a cloud whose variant asks for one;
- ``cinder``: the Cinder API of a cloud whose variant asks for one;
- ``ceph``: the one-node Ceph cluster of a cloud whose variant asks for
  one, its Glance's rbd store;
- ``provision``: users, projects and the image service in Keystone;
- ``regions``: the ``regions`` topology, one Keystone with a Glance in
  each of two regions;
- ``deployment``: MariaDB or sqlite, HTTPS or HTTP, how many workers;
- ``launching``: processes started detached, found and stopped by group;
- ``processes``: the API servers as uWSGI process groups;
- ``infra``, ``mariadb``, ``haproxy``, ``tls``: the sandbox's own MariaDB
  server, the HAProxy in front of both clouds, each cloud's CA;
- ``cloudsyaml``: the clouds.yaml for clients;
- ``cli``: the command line.

A variant of a cloud, e.g. a destination with two stores whose policy
forbids direct uploads::

    import cloudsandbox
    info = cloudsandbox.up(state_dir='/tmp/stores', port_base=32200,
                           dst=cloudsandbox.GlanceVariant(
                               stores=('fast', 'slow'),
                               policy={'upload_image': '!'}))

Only the standard library is used, so any python3 >= 3.9 runs it.
"""

from cloudsandbox.api import down  # noqa: F401
from cloudsandbox.api import info  # noqa: F401
from cloudsandbox.api import start_service  # noqa: F401
from cloudsandbox.api import status  # noqa: F401
from cloudsandbox.api import stop_service  # noqa: F401
from cloudsandbox.api import up  # noqa: F401
from cloudsandbox.common import PortInUse  # noqa: F401
from cloudsandbox.common import SandboxError  # noqa: F401
from cloudsandbox.common import SERVICES  # noqa: F401
from cloudsandbox.glance import GlanceVariant  # noqa: F401
