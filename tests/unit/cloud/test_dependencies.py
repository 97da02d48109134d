# SPDX-License-Identifier: Apache-2.0
"""What the selected images need in the destination: secrets, snapshots."""

import json
import types

from keystoneauth1 import session as ks_session

from osc_image_migrate.cloud import dependencies
from osc_image_migrate import model
from osc_image_migrate.planning import secrets

SNAP = '0a1b2c3d-0000-4000-8000-000000000001'


class Session(ks_session.Session):
    """A keystoneauth session that answers by path, without a cloud."""

    def __init__(self, statuses):
        super().__init__()
        self.statuses = statuses
        self.asked = []

    def request(self, url, method, **kwargs):
        self.asked.append((kwargs['endpoint_filter']['service_type'], url))
        return types.SimpleNamespace(status_code=self.statuses[url])


class Clients:
    def __init__(self, services, statuses):
        self.session = Session(statuses)
        self.image = types.SimpleNamespace(region_name='One',
                                           interface='public')
        self.services = services

    def access(self):
        return types.SimpleNamespace(service_catalog=types.SimpleNamespace(
            get_endpoints=lambda: {s: [] for s in self.services}))


def images():
    signed = {'id': 'signed', 'img_signature_certificate_uuid': 'cert',
              'img_signature': 'c2ln'}
    snapshot = {'id': 'snap', 'block_device_mapping': json.dumps(
        [{'source_type': 'snapshot', 'snapshot_id': SNAP}])}
    return [signed, snapshot]


def test_the_secrets_and_snapshots_named_are_looked_up_once_each():
    clients = Clients(['image', 'key-manager', 'volumev3'], {
        '/v1/secrets/cert': 200, '/snapshots/%s' % SNAP: 404})
    dest = dependencies.read(clients, model.Inventory(), images(),
                             secrets.Options())
    assert dest.services == frozenset(['image', 'key-manager', 'volumev3'])
    assert dest.secrets == {'cert': True}
    assert dest.snapshots == {SNAP: False}
    assert sorted(clients.session.asked) == [
        ('key-manager', '/v1/secrets/cert'),
        ('volumev3', '/snapshots/%s' % SNAP)]


def test_services_the_catalog_lacks_are_not_asked():
    clients = Clients(['image'], {})
    dest = dependencies.read(clients, model.Inventory(), images(),
                             secrets.Options())
    assert dest.services == frozenset(['image'])
    assert (dest.secrets, dest.snapshots) == ({}, {})
    assert clients.session.asked == []
