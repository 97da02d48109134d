# SPDX-License-Identifier: Apache-2.0
"""How a destination copy differs from its source image, field by field.

A re-run brings the destination up to date: everything a copy keeps is
compared, and each difference is one :class:`Change` with the old
(destination) and the new (source) value. The rule for "equal": the
copy's user properties are made equal to the source's, so a property that
exists in the destination only is removed; the tool's own properties
(``SOURCE_ID_PROPERTY``, the source values a copy imported by the
destination records: conversion.OWN_PROPERTIES) and Glance's read-only and
reserved keys are never compared, sent or removed. A copy the destination
converted (checked, see conversion.py) has another disk_format and
container_format than its source by design: not a difference. Pure
functions of plain data, like planning.
"""

import dataclasses
from typing import Any
from typing import Iterable
from typing import Mapping

from osc_image_migrate import model
from osc_image_migrate.planning import conversion
from osc_image_migrate.planning import metadata

PROPERTY = 'property:'
# Record fields, in the order changes are listed (and patched).
RECORD_FIELDS = ('name', 'owner', 'min_disk', 'min_ram', 'visibility',
                 'protected', 'os_hidden', 'tags')
# Fixed by Glance once the data is uploaded: a difference cannot be synced.
FIXED_FIELDS = ('disk_format', 'container_format')
MEMBERS = 'members'
DEACTIVATED = 'deactivated'
SHORTEN = 40


@dataclasses.dataclass(frozen=True)
class Change:
    """One field whose destination value (``old``) is not the source's."""

    field: str
    old: object
    new: object
    syncable: bool = True


def _normal(field: str, value: Any) -> object:
    if field in ('min_disk', 'min_ram'):
        return value or 0
    if field in ('protected', 'os_hidden'):
        return bool(value)
    if field == 'tags':
        return sorted(set(value or []))
    return value


def record_changes(source: model.Record, dest: model.Record,
                   dest_owner: str | None,
                   id_map: Mapping[str, str] | None = None) -> list[Change]:
    """Differences of the image record itself (one JSON patch syncs them).

    ``dest_owner`` is the mapped owner; ``id_map`` maps a source
    ``kernel_id``/``ramdisk_id`` to the ID of its copy when that differs.
    """
    id_map = id_map or {}
    wanted = {field: source.get(field) for field in RECORD_FIELDS}
    wanted['owner'] = dest_owner
    for key in metadata.DEPENDENCY_KEYS:
        ref = source.get(key)
        wanted[key] = id_map.get(ref, ref) if ref else None
    changes: list[Change] = []
    for field, new in wanted.items():
        old, new = _normal(field, dest.get(field)), _normal(field, new)
        if old != new:
            changes.append(Change(field, old, new))
    has_data = dest.get('status') != model.Status.QUEUED
    # A checked conversion set both (conversion.py): not a difference.
    fixed = () if conversion.accepted(source, dest) else FIXED_FIELDS
    for field in fixed:
        if dest.get(field) != source.get(field):
            changes.append(Change(field, dest.get(field), source.get(field),
                                  syncable=not has_data))
    old_props = metadata.custom_properties(dest)
    new_props = metadata.custom_properties(source)
    for key in sorted(set(old_props) | set(new_props)):
        if old_props.get(key) != new_props.get(key):
            changes.append(Change(PROPERTY + key, old_props.get(key),
                                  new_props.get(key)))
    return changes


def _member_list(state: Mapping[str, Any]) -> list[str]:
    return ['%s:%s' % (m['member_id'], m['status'])
            for m in state[MEMBERS]]


def state_changes(source: model.Record, dest: model.Record,
                  wanted_members: Iterable[model.Record] | None,
                  dest_members: Iterable[model.Record] | None
                  ) -> list[Change]:
    """Differences of members and of the deactivated state.

    ``wanted_members`` are the source's members mapped to destination
    projects; ``dest_members`` what the destination image has now.
    """
    wanted = metadata.final_state(source, wanted_members)
    now = metadata.final_state(dest, dest_members)
    changes: list[Change] = []
    if now[MEMBERS] != wanted[MEMBERS]:
        changes.append(Change(MEMBERS, _member_list(now),
                              _member_list(wanted)))
    if now[DEACTIVATED] != wanted[DEACTIVATED]:
        changes.append(Change(DEACTIVATED, now[DEACTIVATED],
                              wanted[DEACTIVATED]))
    return changes


def changes(source: model.Record, dest: model.Record, dest_owner: str | None,
            wanted_members: Iterable[model.Record] | None,
            dest_members: Iterable[model.Record] | None,
            id_map: Mapping[str, str] | None = None) -> list[Change]:
    """Every difference between a copy and its source image."""
    return (record_changes(source, dest, dest_owner, id_map)
            + state_changes(source, dest, wanted_members, dest_members))


def json_patch(dest: model.Record,
               changes: Iterable[Change]) -> list[dict[str, Any]]:
    """The JSON-patch operations that sync the record's ``changes``.

    Members and the deactivated state are not part of the record; fixed
    fields and the tool's own property are never sent.
    """
    operations: list[dict[str, Any]] = []
    for change in changes:
        if not change.syncable or change.field in (MEMBERS, DEACTIVATED):
            continue
        key = change.field
        if key.startswith(PROPERTY):
            key = key[len(PROPERTY):]
            if (key == model.SOURCE_ID_PROPERTY
                    or key in conversion.OWN_PROPERTIES
                    or metadata.is_read_only(key)):
                continue
        path = '/' + key.replace('~', '~0').replace('/', '~1')
        if change.new is None and key not in RECORD_FIELDS:
            if key in dest:
                operations.append({'op': 'remove', 'path': path})
        else:
            operations.append({'op': 'replace' if key in dest else 'add',
                               'path': path, 'value': change.new})
    return operations


def shorten(value: object, limit: int = SHORTEN) -> str:
    """A value as the reason shows it: repr, cut to ``limit`` characters."""
    if value is None:
        return '(none)'
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def describe(changes: Iterable[Change]) -> str:
    """``field old -> new`` for each change, for a plan's reason."""
    return ', '.join('%s %s -> %s%s' % (
        c.field, shorten(c.old), shorten(c.new),
        '' if c.syncable else ' (cannot be synced: Glance fixes it once '
        'the data is uploaded)') for c in changes)


def as_dict(changes: Iterable[Change]) -> dict[str, dict[str, object]]:
    """The changes as structured data: field -> {old, new, syncable}."""
    result: dict[str, dict[str, object]] = {}
    for change in changes:
        entry = {'old': change.old, 'new': change.new}
        if not change.syncable:
            entry['syncable'] = False
        result[change.field] = entry
    return result
