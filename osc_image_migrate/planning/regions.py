# SPDX-License-Identifier: Apache-2.0
"""Two clouds that are regions of one Keystone.

Region consolidation and moves to a new region migrate between two Glances
that share one Keystone: the same identity endpoint and the same user,
another ``region_name``. Then the projects on both sides are the same
projects (the mapping of owners and members is the identity), and the
destination Glance can pull the data from the source region itself
(glance-download: planning/glance_download.py).
"""

import dataclasses
from typing import Iterable
from typing import Mapping

from osc_image_migrate import model


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a cloud's credential logs in, and where its Glance is.

    ``identity``: the Keystone it logs in to (its auth URL, as discovered);
    ``user_id``: who it is there; ``region``: the region of its Glance
    (None when neither clouds.yaml nor the catalog names one);
    ``interface``: the catalog interface it uses.
    """

    identity: str | None
    user_id: str | None
    region: str | None
    interface: str = 'public'


def _same_url(a: str, b: str) -> bool:
    return a.rstrip('/') == b.rstrip('/')


def one_keystone(src: Place, dst: Place) -> bool:
    """Whether the two clouds are one Keystone's, as the same user."""
    return bool(src.identity and dst.identity and src.user_id
                and _same_url(src.identity, dst.identity)
                and src.user_id == dst.user_id)


def other_regions(src: Place, dst: Place) -> bool:
    """Whether the two clouds are two regions of one Keystone.

    The same region of the same Keystone is the same cloud: no region to
    download from.
    """
    return (one_keystone(src, dst) and src.region is not None
            and dst.region is not None and src.region != dst.region)


def identity_map(source: model.Inventory, project_ids: Iterable[str],
                 project_map: Mapping[str, str]) -> dict[str, str]:
    """The project map with every project mapped to itself.

    One Keystone: a source project is the destination project of the same
    ID. The operator's own entries win; projects the source Keystone no
    longer lists (orphans) are left to the orphan rules.
    """
    mapped = {}
    for project_id in project_ids:
        if source.projects_complete and project_id not in source.projects:
            continue
        mapped[project_id] = project_id
    mapped.update(project_map)
    return mapped


def projects_of(source: model.Inventory,
                image_ids: Iterable[str]) -> set[str]:
    """The owners and members of the images (IDs)."""
    found = set()
    for image_id in image_ids:
        image = source.images.get(image_id)
        if image is None:
            continue
        if image.get('owner'):
            found.add(image['owner'])
        found.update(m['member_id'] for m in source.members.get(image_id, [])
                     if m.get('member_id'))
    return found
