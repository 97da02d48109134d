"""Functional tests: the real ``openstack`` CLI against the local sandbox.

The sandbox (tools/sandbox.py, code in tools/cloudsandbox/) runs two real
Keystone and two real Glance servers on 127.0.0.1; the session fixture
brings it up when it is not. Sandboxes with other clouds: see variants.py.
Test data is set up in-process (keystoneauth/glanceclient: fast), the
behaviour under test runs through the CLI.
"""

import json
import os
import pathlib
import subprocess
import sys
import uuid

from openstack.config import loader
import pytest

from osc_image_migrate import clouds
from tests import sandbox_tool

REPO = pathlib.Path(__file__).resolve().parents[2]
SANDBOX = REPO / 'tools' / 'sandbox.py'


def state_dir():
    return pathlib.Path(os.environ.get('OSC_IMAGE_MIGRATE_SANDBOX',
                                       REPO / '.sandbox'))


class Sandbox:
    """The running sandbox: its clouds.yaml, clients and CLI.

    ``info``: what the sandbox tool says of it (ports, CAs, deployment).
    """

    def __init__(self, clouds_yaml, info=None):
        self.clouds_yaml = str(clouds_yaml)
        self.info = info or {}
        self.config = loader.OpenStackConfig(
            config_files=[self.clouds_yaml], vendor_files=[],
            load_envvars=False)
        self._clients = {}

    def clients(self, cloud):
        if cloud not in self._clients:
            self._clients[cloud] = clouds.dest_clients(self.config, cloud)
        return self._clients[cloud]

    def backend_port(self, service):
        """Where the service's uWSGI listens in plain HTTP.

        Behind HAProxy (TLS) that is not the catalog's port: a fault proxy
        that must damage bytes, not TLS records, forwards to this one.
        """
        return self.info['backend_ports'][service]

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env['OS_CLIENT_CONFIG_FILE'] = self.clouds_yaml
        return env

    def openstack(self, *args, cloud='src', check=True, timeout=600,
                  **kwargs):
        """Run the real ``openstack`` CLI; returns the CompletedProcess."""
        command = [str(pathlib.Path(sys.executable).parent / 'openstack')]
        if cloud:
            command += ['--os-cloud', cloud]
        kwargs.setdefault('env', self.env())
        result = subprocess.run(command + list(args), capture_output=True,
                                text=True, timeout=timeout, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError('openstack %s failed (%d):\n%s\n%s' % (
                ' '.join(args), result.returncode, result.stdout,
                result.stderr))
        return result

    def migrate_json(self, *args, **kwargs):
        """``image migrate [plan] ... -f json``: (rows by source ID, run)."""
        result = self.openstack('image', 'migrate', *args, '-f', 'json',
                                **kwargs)
        rows = json.loads(result.stdout) if result.stdout.strip() else []
        return {row['Source ID']: row for row in rows}, result

    def project_id(self, cloud, name):
        for project in self.clients(cloud).identity.get(
                '/projects?name=%s' % name).json()['projects']:
            return project['id']
        raise LookupError(name)

    def create_image(self, cloud='src', data=None, **fields):
        """Create an image in-process; upload ``data`` when given."""
        fields.setdefault('name', 'test-%s' % uuid.uuid4().hex[:8])
        fields.setdefault('disk_format', 'raw')
        fields.setdefault('container_format', 'bare')
        client = self.clients(cloud)
        image = client.glance.images.create(**fields)
        if data is not None:
            response = client.image.put(
                '/v2/images/%s/file' % image['id'], data=data,
                headers={'Content-Type': 'application/octet-stream'})
            assert response.status_code == 204, response.status_code
        return client.glance.images.get(image['id'])

    def image(self, cloud, image_id):
        return self.clients(cloud).glance.images.get(image_id)

    def image_data(self, cloud, image_id):
        response = self.clients(cloud).image.get(
            '/v2/images/%s/file' % image_id)
        return response.content


@pytest.fixture(scope='session')
def sandbox():
    """Bring the sandbox up (idempotent) and hand out its handle."""
    result = subprocess.run([sys.executable, str(SANDBOX), 'up'],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail('sandbox did not come up:\n' + result.stderr[-3000:])
    info = sandbox_tool.load().info(state_dir=str(state_dir()))
    return Sandbox(info['clouds_yaml'], info)


# The extra sandboxes of the fault and variant tests.
from tests.functional.faults_support import caps_box  # noqa: E402,F401
from tests.functional.faults_support import token_box  # noqa: E402,F401
from tests.functional.variants import variant_sandbox  # noqa: E402,F401
