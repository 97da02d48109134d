# SPDX-License-Identifier: Apache-2.0
"""The rbd path's offerer, from what two clouds allow (read once a plan).

Each cloud's Ceph settings come from its clouds.yaml entry (the
``image_migrate:`` block, planning/rbd_path.CephSettings); each cluster
is asked its fsid once (which also proves it answers); the destination
credential's token, or that of the destination's ``location_cloud``
entry (a service user's), says whether it holds the ``service`` role
that Glance's location API asks for. The per-image decision is
planning/rbd_path.offer.
"""

import functools
import logging

from osc_image_migrate.cloud import ceph_cli
from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import rbd_path

LOG = logging.getLogger(__name__)


def side(clients: sessions.CloudClients) -> rbd_path.CephSide:
    """One cloud's Ceph as the plan sees it."""
    settings = rbd_path.settings_from(clients.settings.get(
        rbd_path.SETTINGS_KEY))
    if settings is None:
        return rbd_path.CephSide(clients.name)
    try:
        return rbd_path.CephSide(clients.name, settings,
                                 fsid=fsid(clients, settings))
    except ceph_cli.CephError as e:
        LOG.debug('Ceph of cloud %s: %s', clients.name, e)
        return rbd_path.CephSide(clients.name, settings, unreachable=str(e))


def fsid(clients: sessions.CloudClients,
         settings: rbd_path.CephSettings) -> str:
    """The fsid of a cloud's cluster, asked once per command.

    The plan's offer and each rbd copy of the run need it; each ask is a
    ``ceph`` command (a Python start-up and a login to the monitor).
    """
    return clients.once('ceph fsid', lambda: ceph_cli.fsid(settings))


def has_service_role(clients: sessions.CloudClients) -> bool:
    """Whether the credential's token holds the ``service`` role."""
    with http.translated('cloud %s' % clients.name):
        roles = clients.access().role_names or []
    return rbd_path.SERVICE_ROLE in roles


def location_clients(dst_clients: sessions.CloudClients
                     ) -> sessions.CloudClients | None:
    """The destination credential that may add image locations, or None.

    That of the ``location_cloud`` entry first, when there is one (a
    service user), else the operator's own; None when neither holds the
    service role (Glance's location API would refuse it).
    """
    for clients in (dst_clients.location, dst_clients):
        if clients is not None and has_service_role(clients):
            return clients
    return None


def read(src_clients: sessions.CloudClients,
         dst_clients: sessions.CloudClients) -> rbd_path.RbdClouds:
    location = dst_clients.location
    return rbd_path.RbdClouds(
        side(src_clients), side(dst_clients),
        location_clients(dst_clients) is not None,
        location.name if location is not None else None)


def has_settings(clients: object) -> bool:
    """Whether a cloud's entry has an ``image_migrate:`` block."""
    settings = getattr(clients, 'settings', None) or {}
    return bool(settings.get(rbd_path.SETTINGS_KEY))


def offerer(src_clients: sessions.CloudClients,
            dst_clients: sessions.CloudClients
            ) -> data_paths.Offerer | None:
    """The rbd offerer; the clouds are read at its first RBD-held image.

    None when neither cloud's entry has Ceph settings: the path is not
    in play (no note on any row). A plan without an image in RBD reads
    nothing of either cluster.
    """
    if not (has_settings(src_clients) or has_settings(dst_clients)):
        return None
    clouds = functools.cache(lambda: read(src_clients, dst_clients))

    def offer(item: object) -> data_paths.PathOffer | None:
        if not rbd_path.in_rbd(item):
            return None
        return rbd_path.offer(clouds(), item)
    return offer
