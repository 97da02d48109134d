# SPDX-License-Identifier: Apache-2.0
"""The offloaded data paths two clouds allow, as plan offerers.

Each path that does not stream through this host contributes an
:data:`~osc_image_migrate.planning.data_paths.Offerer` here, built from
what it reads of the two clouds once per plan (their settings, their
Glances' import methods...); the offers for each image are then pure
planning (planning/path_choice.py). The order is the order of
preference of ``--data-path auto``.
"""

from osc_image_migrate.cloud import rbd_offers
from osc_image_migrate.cloud import regions
from osc_image_migrate.cloud import sessions
from osc_image_migrate.planning import data_paths


def offerers(src_clients: sessions.CloudClients,
             dst_clients: sessions.CloudClients
             ) -> list[data_paths.Offerer]:
    """The offerers of the paths in play between these two clouds."""
    found: list[data_paths.Offerer] = [
        o for o in (rbd_offers.offerer(src_clients, dst_clients),
                    regions.glance_download_offerer(src_clients,
                                                    dst_clients)) if o]
    return found
