# SPDX-License-Identifier: Apache-2.0
"""The order of a plan: dependencies first, then by name.

Kernel and ramdisk images (``kernel_id``, ``ramdisk_id``, and the base of a
snapshot) are copied before the images that refer to them, so that those
can be rewritten to their copies' IDs.
"""

import heapq
from typing import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from osc_image_migrate.planning import planner


def dependencies_first(
        items: Sequence['planner.PlanItem']) -> list['planner.PlanItem']:
    """Dependencies first; otherwise by name, then ID. Cycles go last."""
    by_id = {item.source_id: item for item in items}
    waiting = {item.source_id: {d for d in item.depends_on if d in by_id}
               for item in items}
    dependants: dict[str, list[str]] = {i: [] for i in by_id}
    for item_id, deps in waiting.items():
        for dep in deps:
            dependants[dep].append(item_id)

    def key(item_id: str) -> tuple[str, str]:
        return (by_id[item_id].name or '', item_id)

    ready = [key(i) for i, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    result: list[planner.PlanItem] = []
    while ready:
        item_id = heapq.heappop(ready)[1]
        result.append(by_id[item_id])
        for other in dependants[item_id]:
            waiting[other].discard(item_id)
            if not waiting[other]:
                heapq.heappush(ready, key(other))
    done = {item.source_id for item in result}
    for item_id in sorted((i for i in by_id if i not in done), key=key):
        item = by_id[item_id]
        item.reasons.append('circular kernel_id/ramdisk_id references')
        result.append(item)
    return result
