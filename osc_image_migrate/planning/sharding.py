# SPDX-License-Identifier: Apache-2.0
"""Split one reviewed plan into N shards that N hosts run side by side.

No scheduler: every host runs the same command with the same plan file
and its own index, and computes the same split from the plan alone, so
the shards never overlap and together cover every row. Images that refer
to one another (``kernel_id``, ``ramdisk_id``) stay in one shard, since the
referring image needs its dependency's destination ID. Shards are balanced
by the bytes they copy, then by their number of images.
"""

import re
from typing import Any
from typing import Collection
from typing import Iterable
from typing import Mapping
from typing import Sequence

from osc_image_migrate import model
from osc_image_migrate.planning import columns
from osc_image_migrate.planning import metadata
from osc_image_migrate.planning import planner

_SHARD = re.compile(r'^\s*(\d+)\s*/\s*(\d+)\s*$')

# Image ID -> (action, size), as the plan says.
_Images = Mapping[str, tuple[str | None, int | None]]
# (image ID, image ID it refers to).
_Edges = Iterable[tuple[str, str]]


def parse_shard(text: str | None) -> tuple[int, int]:
    """``'K/N'`` -> (K, N), K counted from 0.

    K is what a Kubernetes Indexed Job calls ``JOB_COMPLETION_INDEX``.
    Raises ValueError with a message for the operator.
    """
    match = _SHARD.match(text or '')
    if not match:
        raise ValueError('%r is not <index>/<count>, e.g. 0/3' % text)
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or index >= count:
        raise ValueError('%r: the index counts from 0 and must be below '
                         'the count, e.g. 0/3, 1/3, 2/3' % text)
    return index, count


def _groups(images: Collection[str],
            edges: _Edges) -> list[tuple[str, ...]]:
    """The images joined by their references, as sorted tuples of IDs."""
    parent = {image_id: image_id for image_id in images}

    def root(image_id: str) -> str:
        while parent[image_id] != image_id:
            parent[image_id] = parent[parent[image_id]]
            image_id = parent[image_id]
        return image_id

    for a, b in edges:
        if a in parent and b in parent:
            parent[max(root(a), root(b))] = min(root(a), root(b))
    groups: dict[str, list[str]] = {}
    for image_id in images:
        groups.setdefault(root(image_id), []).append(image_id)
    return [tuple(sorted(members)) for members in groups.values()]


def assign(images: _Images, edges: _Edges, count: int) -> dict[str, int]:
    """Map each image ID to its shard (0 .. count - 1).

    ``images`` maps image ID -> (action, size), as the plan says;
    ``edges`` are (image ID, image ID it refers to). The biggest groups
    go first, each to the shard with the fewest bytes so far (then the
    fewest images, then the lowest index): the same input gives the same
    split on every host.
    """
    def cost(image_id: str) -> int:
        action, size = images[image_id]
        return (size or 0) if action in planner.DATA_ACTIONS else 0

    groups = sorted(_groups(images, edges),
                    key=lambda g: (-sum(map(cost, g)), -len(g), g))
    load = [(0, 0, index) for index in range(count)]
    shard_of: dict[str, int] = {}
    for group in groups:
        load.sort()
        nbytes, nimages, index = load[0]
        load[0] = (nbytes + sum(map(cost, group)), nimages + len(group),
                   index)
        for image_id in group:
            shard_of[image_id] = index
    return shard_of


def plan_shards(plan: Sequence[planner.PlanItem],
                count: int) -> dict[str, int]:
    """Shard of each item of a fresh plan (what ``plan --shards`` shows)."""
    images = {item.source_id: (item.action, item.size) for item in plan}
    edges = [(item.source_id, ref) for item in plan
             for ref in item.depends_on]
    return assign(images, edges, count)


def saved_plan_shards(saved: Mapping[str, Mapping[str, Any]],
                      source_images: Mapping[str, model.Record],
                      count: int) -> dict[str, int]:
    """Shard of each row of a saved plan, as :func:`plan_shards` gave it.

    The references come from the source images (``kernel_id``,
    ``ramdisk_id``), which a saved plan without ``--long`` does not hold.
    """
    images = {image_id: (row.get(columns.ACTION),
                         _size(row.get(columns.SIZE)))
              for image_id, row in saved.items()}
    edges: list[tuple[str, str]] = []
    for image_id in saved:
        image = source_images.get(image_id) or {}
        edges += [(image_id, image[key]) for key in metadata.DEPENDENCY_KEYS
                  if image.get(key)]
    return assign(images, edges, count)


def _size(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 0
