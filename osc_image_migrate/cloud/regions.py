# SPDX-License-Identifier: Apache-2.0
"""Read whether two clouds are regions of one Keystone, and what follows.

The decisions are pure (planning/regions.py, planning/glance_download.py);
this module reads what they need of each cloud: the Keystone its
credential logs in to, its user, its Glance's region, and the import
methods of the destination.
"""

import logging

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import inventory
from osc_image_migrate.cloud import sessions
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import glance_download
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import regions

LOG = logging.getLogger(__name__)


def place(clients: sessions.CloudClients) -> regions.Place:
    """Where ``clients`` log in and where their Glance is.

    What cannot be read is None: such a cloud is not taken for a region
    of the other's Keystone.
    """
    interface = clients.image.interface or 'public'
    if not isinstance(interface, str):
        interface = 'public'
    try:
        with http.cloud_errors():
            identity = clients.identity.get_endpoint()
            user_id = clients.access().user_id
            region = clients.image.region_name or _catalog_region(
                clients, interface)
    except http.CloudError as e:
        LOG.debug('Cloud %s: where it logs in is unknown: %s',
                  clients.name, e)
        return regions.Place(None, None, None, interface)
    return regions.Place(identity, user_id, region, interface)


def _catalog_region(clients: sessions.CloudClients,
                    interface: str) -> str | None:
    """The region of the catalog's image endpoint that the clients use."""
    url = (clients.image.get_endpoint() or '').rstrip('/')
    catalog = clients.access().service_catalog
    endpoints = catalog.get_endpoints(service_type='image',
                                      interface=interface).get('image', [])
    found = {e.get('region_id') or e.get('region') for e in endpoints
             if e and (e.get('url') or '').rstrip('/') == url}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def one_keystone(src: sessions.CloudClients,
                 dst: sessions.CloudClients) -> bool:
    """Whether both clouds log in to one Keystone as the same user."""
    return regions.one_keystone(place(src), place(dst))


def glance_download_setting(src: sessions.CloudClients,
                            dst: sessions.CloudClients
                            ) -> glance_download.Setting | None:
    """What glance-download may do between the clouds; None: not at all."""
    src_place = place(src)
    if not regions.other_regions(src_place, place(dst)):
        return None
    assert src_place.region is not None  # other_regions() checked it
    return glance_download.Setting(
        source_region=src_place.region, interface=src_place.interface,
        offered=glance_download.METHOD in inventory.import_methods(dst))


def glance_download_offerer(src: sessions.CloudClients,
                            dst: sessions.CloudClients
                            ) -> data_paths.Offerer | None:
    """The plan's offerer of glance-download; None when not in play."""
    setting = glance_download_setting(src, dst)
    if setting is None:
        return None

    def offerer(item: object) -> data_paths.PathOffer | None:
        assert isinstance(item, planner.PlanItem)
        return glance_download.offer(setting, item.source_image)
    return offerer
