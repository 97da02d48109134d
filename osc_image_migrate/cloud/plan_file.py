# SPDX-License-Identifier: Apache-2.0
"""A plan saved with ``plan -f json``: read it, and plan its rows again.

``migrate --plan-file`` carries out what was reviewed: the saved rows are
planned again against both clouds, and what changed since is blocked and
reported rather than silently done.
"""

import dataclasses
import json
from typing import Any
from typing import Callable
from typing import Mapping

from osc_image_migrate.cloud import sessions
from osc_image_migrate.cloud import survey
from osc_image_migrate import model
from osc_image_migrate.planning import columns
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import selection as selection_mod
from osc_image_migrate.planning import sharding


SAVED_FIELDS = ((columns.ACTION, 'action'), (columns.DEST_ID, 'dest_id'),
                (columns.DEST_OWNER, 'dest_owner'))
# What a saved row whose source image is gone comes to: migrate reports it
# failed, and a dry run shows it blocked, with this reason.
MISSING = 'source image no longer exists'


def load_plan_file(path: str) -> dict[str, dict[str, Any]]:
    """The rows of a plan saved with ``plan -f json``, keyed by source ID."""
    try:
        with open(path) as f:
            rows = json.load(f)
    except (OSError, ValueError, RecursionError) as e:
        raise model.UsageError('plan file %s: %s' % (path, e))
    if not isinstance(rows, list) or not all(
            isinstance(row, dict)
            and isinstance(row.get(columns.SOURCE_ID), str)
            and row[columns.SOURCE_ID].strip() for row in rows):
        raise model.UsageError(
            'plan file %s: not a plan saved with "image migrate plan -f '
            'json"' % path)
    return {row[columns.SOURCE_ID]: row for row in rows}


# What a run of the saved plan itself leaves for the next run of it:
# not a change since the plan, so a killed run can be run again.
PROGRESS = {planner.RESUME: (planner.COPY, planner.NEW_ID),
            planner.FINISH: (planner.COPY, planner.NEW_ID,
                             planner.RESUME, planner.UPDATE)}


def recheck_plan(src_clients: sessions.CloudClients,
                 dst_clients: sessions.CloudClients,
                 saved: dict[str, dict[str, Any]],
                 selection: selection_mod.Selection, keep_ids: bool,
                 shard: tuple[int, int] | None = None
                 ) -> tuple[list[planner.PlanItem], list[str]]:
    """Plan again the images of a saved plan between two clouds.

    See :func:`recheck`; the source is read from ``src_clients``.
    """
    source = survey.read_source(src_clients)
    return recheck(saved, source, selection, lambda resolved: (
        survey.plan_selected(src_clients, dst_clients, source, resolved,
                             keep_ids)), shard)


def recheck(saved: dict[str, dict[str, Any]], source: model.Inventory,
            selection: selection_mod.Selection,
            replan: Callable[[selection_mod.ResolvedSelection],
                             list[planner.PlanItem]],
            shard: tuple[int, int] | None = None
            ) -> tuple[list[planner.PlanItem], list[str]]:
    """Plan again the images of a saved plan and mark what changed.

    Returns ``(plan, missing)``: images whose action, destination ID or
    owner changed since the plan was saved are blocked with the change as
    the reason (progress an earlier run of the same plan made is not a
    change); ``missing`` lists source IDs that no longer exist. ``shard``
    (index, count) keeps the rows of that shard only. ``selection`` (the
    options given with the plan file) is not changed: the saved images
    replace its images and projects in a copy. ``source`` is the source
    inventory (a cloud's or a bundle's) and ``replan`` plans the resolved
    selection against the destination (a cloud, or a bundle).
    """
    if shard is not None:
        index, count = shard
        shard_of = sharding.saved_plan_shards(saved, source.images, count)
        saved = {image_id: row for image_id, row in saved.items()
                 if shard_of[image_id] == index}
    kept = [planner.PlanItem(
        source_id=image_id, name=row.get(columns.NAME),
        dest_id=row.get(columns.DEST_ID), action=planner.SOURCE_DELETED,
        reasons=[row.get(columns.REASON) or ''])
        for image_id, row in saved.items()
        if row.get(columns.ACTION) == planner.SOURCE_DELETED
        and image_id not in source.images]
    missing = [image_id for image_id in saved
               if image_id not in source.images
               and saved[image_id].get(columns.ACTION)
               != planner.SOURCE_DELETED]
    images = [i for i in saved if i in source.images]
    if not images:
        return kept, missing  # never an empty selection: that is everything
    resolved = survey.resolve(dataclasses.replace(
        selection, images=images, projects=[],
        include_public_and_shared=False), source)
    plan = replan(resolved)
    for item in plan:
        row = saved.get(item.source_id)
        if row is None:
            continue
        changes = ['%s was %s, now %s' % (column, row.get(column),
                                          getattr(item, attr))
                   for column, attr in SAVED_FIELDS
                   if row.get(column) != getattr(item, attr)]
        unchanged = (planner.BLOCKED, planner.SKIP)
        progress = (row.get(columns.ACTION) in PROGRESS.get(item.action, ())
                    and row.get(columns.DEST_OWNER) == item.dest_owner)
        if (changes and row.get(columns.ACTION) == planner.REUSE
                and not selection.reuse_identical):
            changes.append('the plan reused identical data: give '
                           '--reuse-identical as when it was made')
        if changes and item.action not in unchanged and not progress:
            item.action = planner.BLOCKED
            item.reason = 'changed since the plan: ' + '; '.join(changes)
    return plan + kept, missing


def missing_item(image_id: str, row: Mapping[str, Any]) -> planner.PlanItem:
    """The plan row of a saved image whose source image is gone."""
    selected = row.get(columns.SELECTED)
    return planner.PlanItem(
        source_id=image_id, name=row.get(columns.NAME),
        owner=row.get(columns.OWNER),
        visibility=row.get(columns.VISIBILITY), size=row.get(columns.SIZE),
        action=planner.BLOCKED, dest_id=row.get(columns.DEST_ID),
        dest_owner=row.get(columns.DEST_OWNER), reasons=[MISSING],
        selected=selected if isinstance(selected, list) else [])
