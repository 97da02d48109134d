# SPDX-License-Identifier: Apache-2.0
"""Give each row of a plan its data path (the ``Path`` column).

The planner makes every copy a stream; this step then asks the offloaded
paths in play (data_paths.Offerer, built by cloud/path_offers.py from
what the clouds allow) about each row that moves data, and records the
choice: the path, and a note when a path was offered but not taken. A
path the operator named that cannot take a row blocks that row, with the
reason: it is never silently streamed.
"""

from typing import Sequence

from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import planner


def choose_paths(plan: Sequence[planner.PlanItem], requested: str,
                 offerers: Sequence[data_paths.Offerer]) -> None:
    """Set ``data_path`` (and a note, or BLOCKED) on each data row."""
    for item in plan:
        if item.action not in planner.DATA_ACTIONS:
            continue
        choice = data_paths.choose(
            requested, data_paths.offers_for(item, offerers))
        item.data_path = choice.path
        if choice.refused:
            item.action, item.members = planner.BLOCKED, []
            item.reason = choice.note
        elif choice.note:
            item.reasons.append(choice.note)
