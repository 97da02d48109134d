# SPDX-License-Identifier: Apache-2.0
"""Will the selected images fit the destination's unified limits?

Pure functions of the plan, the destination listing and the limits (see
cloud/limits.py). What Glance 33 does, read in its code and measured on the
sandbox (docs: user/quotas):

* usage is counted per image owner: ``image_count_total`` counts the
  project's images that are not killed or deleted (queued ones too),
  ``image_size_total`` their sizes (in MiB, rounded down), and
  ``image_count_uploading`` those ``saving``, ``uploading`` or
  ``importing``;
* each request is checked against the quota of the project *making* it
  (the destination credential's project), not of the image's owner: an
  admin of project ``admin`` creating images owned by ``demo`` is checked
  against ``admin``'s limits and usage, so the copies are made and
  ``demo`` ends over its limit (its users then cannot create or upload
  images until it is raised). Images of the credential's own project are
  refused with HTTP 413 once it is full.

So the plan reports both: images Glance will refuse, and projects that
the migration leaves over their limits.
"""

import dataclasses
import re
from typing import cast
from typing import Final
from typing import Iterable
from typing import Literal
from typing import Mapping
from typing import Protocol
from typing import Sequence

from osc_image_migrate import model
from osc_image_migrate.planning import planner

MiB = 1024 * 1024
# Final: a limit looked up by these keys is narrowed by its None test.
COUNT: Final = 'image_count_total'
SIZE: Final = 'image_size_total'
UPLOADING: Final = 'image_count_uploading'
NOT_COUNTED = model.Status.GONE
# Records of these statuses hold data Glance already counts (a stage).
STAGED = (model.Status.UPLOADING, model.Status.IMPORTING)
CREATES = (planner.COPY, planner.METADATA_ONLY, planner.NEW_ID)


class _Limits(Protocol):
    """What quotas reads of a cloud/limits.py Limits (not imported)."""

    def limit(self, project_id: str, resource: str) -> int | None:
        ...


@dataclasses.dataclass
class Shortfall:
    """A project whose quota the plan's images do not fit.

    ``refused``: Glance answers 413 to ``images`` (the project is the
    credential's own); otherwise the copies are made and the project ends
    over its limit.
    """

    project_id: str
    project_name: str
    resource: str
    limit: int
    used: int
    needed: int
    refused: bool
    images: list[str] = dataclasses.field(default_factory=list)

    def numbers(self) -> str:
        if self.resource == SIZE:
            return ('project %s: %s limit %d MiB, used %s, the plan adds %s'
                    % (self.project_name, self.resource, self.limit,
                       _size(self.used), _size(self.needed)))
        return ('project %s: %s limit %d, used %d, the plan adds %d'
                % (self.project_name, self.resource, self.limit, self.used,
                   self.needed))

    def warning(self, caller_name: str) -> str:
        if self.refused:
            return ('%s: Glance will refuse %d image(s) with HTTP 413'
                    % (self.numbers(), len(self.images)))
        return ('%s: the copies are made (Glance checks the quota of the '
                'credential\'s project, %s), but %s ends over its limit '
                'and its users cannot add images until it is raised'
                % (self.numbers(), caller_name, self.project_name))

    def note(self) -> str:
        """The suffix of each affected plan row."""
        if self.refused:
            return 'quota: Glance will refuse it (HTTP 413): %s' % (
                self.numbers())
        return 'quota: %s ends over its limit: %s' % (
            self.project_name, self.numbers())


def _size(n: int) -> str:
    return '%d bytes (%.1f MiB)' % (n, n / MiB)


def usage(images: Mapping[str, model.Record],
          project_id: str | None) -> tuple[int, int]:
    """(image count, bytes) that Glance counts against the project."""
    owned = [i for i in images.values() if i.get('owner') == project_id
             and i.get('status') not in NOT_COUNTED]
    return len(owned), sum(i.get('size') or 0 for i in owned)


def needs(item: planner.PlanItem) -> tuple[int, int]:
    """(records, bytes) a plan item adds to its owner's usage."""
    records = 1 if item.action in CREATES else 0
    data = 0
    if item.action in planner.DATA_ACTIONS:
        data = item.size or 0
        record = item.dest_image or {}
        if (item.action == planner.RESUME and record.get('size')
                and record.get('status') in STAGED):
            data = 0
    return records, data


def owner_of(item: planner.PlanItem) -> str | None:
    """The destination project that owns the item's copy."""
    if item.action != planner.NEW_ID and item.dest_image:
        return item.dest_image.get('owner') or item.dest_owner
    return item.dest_owner


def _over(resource: str, used: int, limit: int) -> bool:
    if resource == SIZE:
        return used // MiB > limit
    return used > limit


def _refusals(plan: Iterable[planner.PlanItem],
              images: Mapping[str, model.Record], limits: _Limits,
              caller: str, name: str) -> list[Shortfall]:
    """What Glance refuses, checking each request as it will, in order.

    Every create and upload is checked against the caller's limits and
    the caller's usage, which grows only with the caller's own images.
    """
    count, size = usage(images, caller)
    limit = {COUNT: limits.limit(caller, COUNT),
             SIZE: limits.limit(caller, SIZE)}
    added = {COUNT: 0, SIZE: 0}
    refused: dict[str, list[str]] = {COUNT: [], SIZE: []}
    for item in plan:
        records, data = needs(item)
        mine = owner_of(item) == caller
        if mine:
            added[COUNT] += records
            added[SIZE] += data
        if records:
            if limit[COUNT] is not None and count + 1 > limit[COUNT]:
                refused[COUNT].append(item.source_id)
                continue
            count += records * mine
        if data:
            if limit[SIZE] is not None and (
                    size // MiB + data // MiB > limit[SIZE]):
                refused[SIZE].append(item.source_id)
                continue
            size += data * mine
    used = dict(zip((COUNT, SIZE), usage(images, caller)))
    # A request is refused only under a limit: limit[resource] is set.
    return [Shortfall(caller, name, resource, cast(int, limit[resource]),
                      used[resource], added[resource], True,
                      refused[resource])
            for resource in (COUNT, SIZE) if refused[resource]]


def check(plan: Sequence[planner.PlanItem],
          images: Mapping[str, model.Record], limits: _Limits | None,
          caller: str, names: Mapping[str, str] | None = None
          ) -> list[Shortfall]:
    """The plan's :class:`Shortfall` list; [] when everything fits.

    ``images`` is the destination listing (image ID -> record),
    ``caller`` the destination credential's project ID, ``names`` maps
    project IDs to names for the messages.
    """
    if limits is None:
        return []
    names = names or {}
    shortfalls = _refusals(plan, images, limits, caller,
                           names.get(caller, caller))
    refused: dict[str, set[str]] = {COUNT: set(), SIZE: set()}
    for shortfall in shortfalls:
        refused[shortfall.resource].update(shortfall.images)
    by_owner: dict[str, list[tuple[str, int, int]]] = {}
    for item in plan:
        records, data = needs(item)
        if item.source_id in refused[COUNT]:
            continue
        if item.source_id in refused[SIZE]:
            data = 0
        if (records or data) and owner_of(item) != caller:
            # What the plan creates or uploads has a mapped owner.
            by_owner.setdefault(cast(str, owner_of(item)), []).append(
                (item.source_id, records, data))
    for project_id, wanted in sorted(by_owner.items()):
        used = dict(zip((COUNT, SIZE), usage(images, project_id)))
        index: Literal[1, 2]  # of (image ID, records, bytes)
        for resource, index in ((COUNT, 1), (SIZE, 2)):
            limit = limits.limit(project_id, resource)
            needed = sum(w[index] for w in wanted)
            if limit is None or not needed or not _over(
                    resource, used[resource] + needed, limit):
                continue
            shortfalls.append(Shortfall(
                project_id, names.get(project_id, project_id), resource,
                limit, used[resource], needed, False,
                [w[0] for w in wanted if w[index]]))
    return shortfalls


def annotate(plan: list[planner.PlanItem],
             shortfalls: Iterable[Shortfall]) -> list[planner.PlanItem]:
    """Note each shortfall on the rows it concerns; return the plan."""
    by_id = {item.source_id: item for item in plan}
    for shortfall in shortfalls:
        for image_id in shortfall.images:
            item = by_id[image_id]
            item.quota.append(shortfall.note())
            item.reasons.append(shortfall.note())
    return plan


def upload_slots(limits: _Limits | None, caller: str) -> dict[str, int]:
    """{project ID: uploads that may run at once} for ``--parallel``.

    Glance counts the uploads in flight of the caller's own images only
    (``image_count_uploading``), so only those are held back; a limit of
    0 still lets one run, for Glance to refuse it with a clear 413.
    """
    if limits is None:
        return {}
    limit = limits.limit(caller, UPLOADING)
    return {} if limit is None else {caller: max(1, limit)}


_OVER_LIMIT = re.compile(
    r'Project (\S+) is over a limit for \[Resource (\w+) is over limit of '
    r'(-?\d+) due to current usage (\d+) and delta (\d+)')


def over_limit(text: str | None) -> str | None:
    """A one-line reading of Glance's 413 for a unified limit, or None."""
    found = _OVER_LIMIT.search(text or '')
    if found is None:
        return None
    project, resource, limit, used, delta = found.groups()
    unit = ' MiB' if resource in (SIZE, 'image_stage_total') else ''
    return ('over the destination quota %s of project %s (limit %s%s, '
            'usage %s%s, this request adds %s%s)'
            % (resource, project, limit, unit, used, unit, delta, unit))
