# SPDX-License-Identifier: Apache-2.0
"""What migrating each selected image will do, decided from data alone.

The plan compares the source inventory with the destination inventory and
gives every selected image one action and one sentence saying why. It
writes nothing and reads no cloud, so ``plan`` and ``migrate --dry-run`` can
show exactly what ``migrate`` would do, and a saved plan can be re-checked.
"""

import copy
import dataclasses
from typing import Any
from typing import cast
from typing import Iterable
from typing import Mapping

from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import conversion
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import drift
from osc_image_migrate.planning import import_state
from osc_image_migrate.planning import matching
from osc_image_migrate.planning import metadata
from osc_image_migrate.planning import order
from osc_image_migrate.planning import owners
from osc_image_migrate.planning import reuse
from osc_image_migrate.planning import secrets
from osc_image_migrate.planning import selection

COPY = 'copy'                    # create with the source ID, upload data
METADATA_ONLY = 'metadata-only'  # the source has no data: create, no upload
SKIP = 'skip'                    # already there, finished
FINISH = 'finish'                # data there; visibility, members... not yet
UPDATE = 'update'                # data there; metadata changed in the source
SOURCE_DELETED = 'source-deleted'  # a copy whose source image is gone: kept
RESUME = 'resume'                # a queued destination record: upload into it
NEW_ID = 'new-id'                # ID taken by other data: copy to a new ID
BLOCKED = 'blocked'              # cannot be done; the reason says why
REUSE = 'reuse'                  # identical data there: map to it (reuse.py)
ACTIONS = (COPY, METADATA_ONLY, SKIP, FINISH, UPDATE, RESUME, NEW_ID,
           BLOCKED, SOURCE_DELETED, REUSE)
DATA_ACTIONS = (COPY, RESUME, NEW_ID)
# Actions on a copy that already holds the data.
IN_PLACE_ACTIONS = (SKIP, FINISH, UPDATE)

UNSUPPORTED_STATUSES = model.Status.GONE + model.Status.IN_PROGRESS
COPYABLE_STATUSES = model.Status.HOLDS_DATA + (model.Status.QUEUED,)
IN_PROGRESS_STATUSES = comparison.IN_PROGRESS_STATUSES

# How a destination image compares with the source image.
_PRESENT, _RESUMABLE, _BUSY, _OTHER, _DEAD = (
    comparison.PRESENT, comparison.RESUMABLE, comparison.BUSY,
    comparison.OTHER, comparison.DEAD)


@dataclasses.dataclass
class PlanItem:
    """One selected source image and what will happen to it.

    ``reasons`` are the notes that explain the action, in the order the
    planning steps made them; ``reason`` joins them only for the row.
    """

    source_id: str
    name: str | None = None
    owner: str | None = None
    owner_name: str | None = None
    visibility: str | None = None
    size: int | None = None
    status: str | None = None
    disk_format: str | None = None
    container_format: str | None = None
    action: str = BLOCKED
    dest_id: str | None = None
    dest_owner: str | None = None
    dest_owner_name: str | None = None
    reasons: list[str] = dataclasses.field(default_factory=list)
    selected: list[str] = dataclasses.field(default_factory=list)
    members: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    depends_on: list[str] = dataclasses.field(default_factory=list)
    changes: list[Any] = dataclasses.field(default_factory=list)
    dest_store: str | None = None
    quota: list[str] = dataclasses.field(default_factory=list)
    # What the operator must check before the copy is usable (secrets.py).
    attention: list[str] = dataclasses.field(default_factory=list)
    source_image: dict[str, Any] | None = None
    dest_image: dict[str, Any] | None = None
    # The path the data takes when the action moves any (data_paths.py).
    data_path: str = data_paths.STREAM

    @property
    def path(self) -> str:
        """The row's Path: ``data_path``, or '-' when no data moves."""
        return self.data_path if self.action in DATA_ACTIONS else (
            data_paths.NONE)

    @property
    def reason(self) -> str:
        """The row's Reason: the notes joined, empty ones left out."""
        return '; '.join(r for r in self.reasons if r)

    @reason.setter
    def reason(self, text: str) -> None:
        """A new reason replaces every note made so far."""
        self.reasons = [text] if text else []


class _Blocked(Exception):
    """Raised inside planning of one image; its message is the reason."""


_NOT_DONE = (_Blocked, matching.Conflict, owners.Unmapped)


@dataclasses.dataclass(frozen=True)
class OwnerOptions:
    """How owners map and IDs are kept: make_plan's arguments, together.

    ``reused``: the images reused instead of copied (reuse.matches).
    """

    project_map: dict[str, str] = dataclasses.field(default_factory=dict)
    keep_ids: bool = False
    orphans_to: str | None = None
    reused: Mapping[str, reuse.Match] = dataclasses.field(
        default_factory=dict)

    def reused_ids(self) -> dict[str, str]:
        """Source ID -> ID of the destination image reused for it."""
        return {source_id: match.dest_id
                for source_id, match in self.reused.items()}


def _check_rights(item: PlanItem, source: model.Inventory,
                  dest: model.Inventory, to_apply: list[str]) -> None:
    """Block what the credentials cannot do, before anything is written."""
    if (item.action in DATA_ACTIONS and item.status == model.Status.DEACTIVATED
            and not source.is_admin):
        raise _Blocked('source image is deactivated: only an admin can '
                       'download its data')
    if dest.is_admin:
        return
    owner = item.dest_owner
    if item.action in (RESUME, FINISH, UPDATE) and 'owner' not in to_apply:
        # These actions have a destination record (_decide).
        assert item.dest_image is not None
        owner = item.dest_image.get('owner') or owner
    if owner != dest.project_id or 'owner' in to_apply:
        # _decide set dest_owner to the mapped project's ID.
        project = dest.projects.get(cast(str, owner))
        raise _Blocked('needs admin on the destination to create images '
                       'owned by %s' % (project.name if project else owner))
    if 'visibility' in to_apply and item.visibility == 'public':
        raise _Blocked('needs admin on the destination to make an image '
                       'public')
    pending = [getattr(dest.projects.get(m['member_id']), 'name',
                       m['member_id'])
               for m in item.members if m['status'] not in (None, 'pending')]
    if 'members' in to_apply and pending:
        raise _Blocked('needs admin on the destination to set the member '
                       'status of %s' % ', '.join(pending))


def _classify(item: PlanItem) -> list[str]:
    """Skip, finish or update a copy that holds the data, by its changes.

    Returns the names of the fields to apply.
    """
    syncable = [c for c in item.changes if c.syncable]
    fixed = [c for c in item.changes if not c.syncable]
    to_apply = [c.field for c in syncable]
    if not syncable:
        item.action, item.reason = SKIP, (
            'already in the destination as %s with the same data'
            % item.dest_id)
    elif set(to_apply) <= set(metadata.FINAL_STATE_KEYS):
        item.action, item.reason = FINISH, (
            'same data in the destination as %s; %s; still to apply: %s'
            % (item.dest_id, drift.describe(syncable), ', '.join(
                'reactivated' if c.field == drift.DEACTIVATED and not c.new
                else c.field for c in syncable)))
    else:
        item.action, item.reason = UPDATE, (
            'same data in the destination as %s; changed in the source: %s'
            % (item.dest_id, drift.describe(syncable)))
    if fixed:
        item.reasons.append('differs: %s' % drift.describe(fixed))
    return to_apply


def _present(item: PlanItem, source: model.Inventory, dest: model.Inventory,
             image: model.Record, found: model.Record,
             by_source: dict[str, model.Record],
             reused: Mapping[str, str]) -> list[str]:
    """Compare a copy that holds the data with its source image."""
    item.dest_id = found['id']
    item.changes = drift.changes(
        image, found, item.dest_owner, item.members,
        dest.members.get(found['id'], []),
        matching.dependency_ids(source, dest, by_source, image, reused))
    return _classify(item)


def _reuse(item: PlanItem, dest: model.Inventory,
           match: reuse.Match) -> None:
    """Map the image to an identical destination image: nothing written."""
    item.action, item.dest_id = REUSE, match.dest_id
    item.dest_owner = match.image.get('owner')
    project = dest.projects.get(cast(str, item.dest_owner))
    item.dest_owner_name = project.name if project else None
    item.dest_image = copy.deepcopy(match.image)
    item.attention = []
    item.reason = reuse.reason(match, dest, item.owner_name or item.owner)


def _decide(item: PlanItem, source: model.Inventory, dest: model.Inventory,
            image: model.Record, plan_options: OwnerOptions,
            by_source: dict[str, model.Record]) -> list[str]:
    project_map = plan_options.project_map
    keep_ids = plan_options.keep_ids
    orphans_to = plan_options.orphans_to
    if item.status not in COPYABLE_STATUSES:
        raise _Blocked('source image is %s' % item.status)
    target, item.members, notes = owners.owner_and_members(
        source, dest, image, project_map, orphans_to)
    item.dest_owner, item.dest_owner_name = target.id, target.name
    found, verdict = matching.find(image, dest, by_source)
    item.dest_image = copy.deepcopy(found)
    to_apply = list(metadata.FINAL_STATE_KEYS)
    # matching.find: a record whenever there is a verdict.
    if verdict == _BUSY:
        assert found is not None
        raise _Blocked(
            'destination upload in progress or interrupted (image %s is %s '
            'since %s); if no upload is running, the destination lost it '
            '(Glance cannot take data into that record again): delete it '
            'and run again, the copy then gets a new ID'
            % (found['id'], found['status'], found.get('updated_at')))
    if verdict == _DEAD:
        assert found is not None
        raise _Blocked(
            'destination image %s failed its import (stores %s) and is '
            'left importing: Glance takes no data into it again; see the '
            'destination\'s task log, then delete it and run again, the '
            'copy then gets a new ID'
            % (found['id'], ', '.join(import_state.failed_stores(found))))
    if verdict == _PRESENT:
        assert found is not None
        to_apply = _present(item, source, dest, image, found, by_source,
                            plan_options.reused_ids())
        if conversion.accepted(image, found):
            notes.append(conversion.plan_note(image, found))
    elif verdict == _RESUMABLE:
        assert found is not None
        item.action, item.dest_id = RESUME, found['id']
        item.reason = comparison.RESUME_REASONS[found['status']] % found['id']
    elif verdict == _OTHER:
        assert found is not None
        taken = ('ID taken in the destination by an image with other data '
                 '(status %s)' % found.get('status'))
        if keep_ids:
            raise _Blocked(taken + ' and --keep-ids forbids a new ID')
        item.action, item.reason = NEW_ID, taken + ': copy to a new ID'
    else:
        # Glance answers 404 for deleted IDs too (and for private images a
        # non-admin cannot see): the ID may still be burned, in which case
        # migrate falls back to a new ID. Only creating the record can tell.
        item.dest_id = item.source_id
        item.action = COPY if comparison.has_data(image) else METADATA_ONLY
        item.reason = 'ID free in destination' + (
            '' if dest.is_admin
            else ' (as far as a non-admin credential can see)')
        if item.action == METADATA_ONLY:
            item.reasons.append('the source has no data: metadata only')
    if item.action != SKIP:
        _check_rights(item, source, dest, to_apply)
    if item.action in DATA_ACTIONS and comparison.reference_note(image):
        notes.append(cast(str, comparison.reference_note(image)))
    elif verdict == _PRESENT and model.same_as_read(
            image, cast(model.Record, found)):
        notes.append('the source records no hash: the copy was verified '
                     'against the bytes read from it')
    return notes


def _plan_one(source: model.Inventory, dest: model.Inventory, image_id: str,
              reasons: Iterable[str], plan_options: OwnerOptions,
              by_source: dict[str, model.Record],
              secret_options: secrets.Options = secrets.Options()
              ) -> PlanItem:
    item = PlanItem(source_id=image_id, selected=list(reasons))
    image = source.images.get(image_id)
    if image is None:
        item.reason = 'image is not in the source'
        return item
    blocked: str | None
    try:
        image, secret_notes, item.attention = secrets.check(
            image, dest.services, dest.secrets, dest.snapshots,
            secret_options)
    except secrets.Blocked as e:
        secret_notes, blocked = [], str(e)
    else:
        blocked = None
    item.source_image = copy.deepcopy(image)
    for field in ('name', 'owner', 'visibility', 'size', 'status',
                  'disk_format', 'container_format'):
        setattr(item, field, image.get(field))
    # An image without owner (blocked by _decide) finds no project.
    project = source.projects.get(item.owner)  # type: ignore[arg-type]
    item.owner_name = project.name if project else None
    notes: list[str] = []
    for key in metadata.DEPENDENCY_KEYS:
        ref = image.get(key)
        if not ref or ref == image_id:
            continue
        if ref not in source.images:
            notes.append('%s %s is not in the source' % (key, ref))
        elif ref not in item.depends_on:
            item.depends_on.append(ref)
    try:
        if image_id in plan_options.reused:
            _reuse(item, dest, plan_options.reused[image_id])
        elif blocked:
            raise _Blocked(blocked)
        else:
            notes += _decide(item, source, dest, image, plan_options,
                             by_source)
            notes += secret_notes + item.attention
    except _NOT_DONE as e:
        item.action, item.members = BLOCKED, []
        item.reason = str(e)
    same = dest.images.get(image_id)
    if (same is not None and item.dest_image is not None
            and item.dest_image['id'] != image_id
            and same.get('status') in ((model.Status.QUEUED,)
                                       + IN_PROGRESS_STATUSES)):
        notes.append('destination image %s (the source ID) is %s and '
                     'unused' % (image_id, same['status']))
    item.reasons += notes
    return item


def _follow_new_ids(item: PlanItem, moving: set[str]) -> None:
    """A finished copy whose kernel or ramdisk gets a new ID in this run."""
    # A skipped item was compared with its copy (_plan_one, _decide).
    assert item.source_image is not None and item.dest_image is not None
    item.changes += [drift.Change(key, item.dest_image.get(key),
                                  'new ID of %s' % item.source_image[key])
                     for key in metadata.DEPENDENCY_KEYS
                     if item.source_image.get(key) in moving]
    _classify(item)


def make_plan(source: model.Inventory, dest: model.Inventory,
              selected: Mapping[str, Iterable[str]],
              project_map: Mapping[str, str] | None = None,
              keep_ids: bool = False, orphans_to: str | None = None,
              deleted_in: Iterable[str] | None = None,
              secret_options: secrets.Options = secrets.Options(),
              data_path: str = data_paths.STREAM,
              reuse_scope: str | None = None
              ) -> list[PlanItem]:
    """One :class:`PlanItem` per selected image, dependencies first.

    ``selected`` is what :func:`selection.select` returns. ``project_map``
    maps source project IDs to destination project IDs or names; other
    projects map to the destination project of the same domain and name.
    ``orphans_to`` names the destination project of images whose owner
    was deleted from the source Keystone. An image whose dependency is
    blocked is blocked too, unless it is already in the destination.
    ``deleted_in`` (see :func:`source_deleted`) adds the copies whose
    source image is gone, at the end. ``secret_options``: see
    :mod:`secrets` (signed and encrypted images, volume snapshots).
    ``data_path`` is the path the data of every copied image takes (see
    :mod:`data_paths`). ``reuse_scope`` (one of :data:`reuse.SCOPES`, None
    for none) maps images to identical destination images instead of
    copying them (see :mod:`reuse`).
    """
    by_source = dest.images_by_source_id()
    options = OwnerOptions(dict(project_map or {}), keep_ids, orphans_to)
    if reuse_scope is not None:
        options = dataclasses.replace(options, reused=reuse.matches(
            source, dest, selected, by_source, reuse_scope,
            options.project_map, orphans_to))
    items = [_plan_one(source, dest, image_id, reasons, options, by_source,
                       secret_options)
             for image_id, reasons in selected.items()]
    for one in items:
        one.data_path = data_path
    plan = order.dependencies_first(items)
    blocked: set[str]
    moving: set[str]
    blocked, moving = set(), set()
    for item in plan:
        stuck = [d for d in item.depends_on if d in blocked]
        if stuck and item.action not in IN_PLACE_ACTIONS + (BLOCKED,
                                                            REUSE):
            item.action, item.members = BLOCKED, []
            item.reason = 'depends on blocked image %s' % ', '.join(stuck)
        elif item.action == SKIP and moving & set(item.depends_on):
            _follow_new_ids(item, moving)
        if item.action == BLOCKED:
            blocked.add(item.source_id)
        elif item.action == NEW_ID:
            moving.add(item.source_id)
    if deleted_in is not None:
        plan += source_deleted(source, dest, deleted_in, project_map)
    return plan


def source_deleted(source: model.Inventory, dest: model.Inventory,
                   project_ids: Iterable[str],
                   project_map: Mapping[str, str] | None = None
                   ) -> list[PlanItem]:
    """Plan items for destination copies whose source image is gone.

    A copy is known by the source ID it records (``SOURCE_ID_PROPERTY``).
    ``project_ids`` are the selected source projects, whose mapped
    destination projects' copies are looked at, or ``selection.ALL`` for
    every copy. Such a copy is listed, never deleted.
    """
    kept_by: set[str | None] | None = None
    if project_ids != selection.ALL:
        kept_by = {getattr(owners.map_project(
            source, dest, project_id, project_map or {}), 'id', None)
            for project_id in project_ids} - {None}
    items: list[PlanItem] = []
    for source_id, image in sorted(dest.images_by_source_id().items()):
        if source_id in source.images or (
                kept_by is not None and image.get('owner') not in kept_by):
            continue
        items.append(PlanItem(
            source_id=source_id, name=image.get('name'),
            visibility=image.get('visibility'), size=image.get('size'),
            status=image.get('status'), action=SOURCE_DELETED,
            dest_id=image['id'], dest_owner=image.get('owner'),
            disk_format=image.get('disk_format'),
            container_format=image.get('container_format'),
            dest_image=copy.deepcopy(image),
            reasons=['the source image no longer exists; destination image '
                     '%s is kept (migrate never deletes)' % image['id']]))
    return items
