# SPDX-License-Identifier: Apache-2.0
"""Read what images depend on in the destination: catalog, secrets, volumes.

The I/O partner of planning/secrets.py: which services the destination's
catalog lists, and whether the secrets (signature certificates, encryption
keys) and Cinder snapshots the selected images need exist there. Only the
IDs the selected images name are looked up, one GET each.
"""

import logging
from typing import Iterable

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.planning import secrets

LOG = logging.getLogger(__name__)


def catalog_services(clients: sessions.CloudClients) -> frozenset[str]:
    """The service types of the credential's catalog."""
    catalog = clients.access().service_catalog
    return frozenset(catalog.get_endpoints() or {})


def _adapter(clients: sessions.CloudClients,
             service_type: str) -> http.Adapter:
    return http.Adapter(clients.session, service_type=service_type,
                        region_name=clients.image.region_name,
                        interface=clients.image.interface)


def _exists(adapter: http.Adapter, path: str, what: str) -> bool:
    response = adapter.get(path, raise_exc=False)
    if response.status_code == 404:
        return False
    http.check(response, what, ok=(200,))
    return True


def read(clients: sessions.CloudClients, dest: model.Inventory,
         images: Iterable[model.Record],
         options: secrets.Options) -> model.Inventory:
    """Fill ``dest.services``, ``dest.secrets``, ``dest.snapshots``.

    ``images`` are the selected source images; ``options`` the
    secrets.Options (their mapped secret IDs are looked up).
    """
    dest.services = catalog_services(clients)
    wanted_secrets: list[str] = []
    wanted_snapshots: list[str] = []
    for image in images:
        wanted_secrets += secrets.secret_ids(image, options)
        wanted_snapshots += secrets.snapshot_ids(image)
    if wanted_secrets and secrets.KEY_MANAGER in dest.services:
        key_manager = _adapter(clients, secrets.KEY_MANAGER)
        for secret_id in sorted(set(wanted_secrets)):
            dest.secrets[secret_id] = _exists(
                key_manager, '/v1/secrets/%s' % secret_id,
                'destination key manager')
    volume = next((s for s in secrets.VOLUME_SERVICES
                   if s in dest.services), None)
    if wanted_snapshots and volume:
        cinder = _adapter(clients, volume)
        for snapshot_id in sorted(set(wanted_snapshots)):
            dest.snapshots[snapshot_id] = _exists(
                cinder, '/snapshots/%s' % snapshot_id,
                'destination volume service')
    LOG.debug('Destination catalog: %s; secrets %s; snapshots %s',
              ', '.join(sorted(dest.services)), dest.secrets,
              dest.snapshots)
    return dest
