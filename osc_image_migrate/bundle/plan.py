# SPDX-License-Identifier: Apache-2.0
"""The plan of an export: the source read, the bundle as its destination.

The same selection and the same planner as between two clouds (so the
same rows, actions and re-run semantics), with the bundle read as the
destination inventory (reader.py). A bundle keeps each image's owner and
members as the source has them (mapping them is the import's business),
checks no secret or volume (nothing boots from a bundle), and keeps every
ID: an ID whose data in the bundle differs from the source's is blocked,
never given a new one. Before any byte is written, the plan must fit the
bundle's file system (check_space).
"""

import dataclasses
import os
import shutil
from typing import Any
from typing import Iterable

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import reader
from osc_image_migrate.cloud import plan_file
from osc_image_migrate.cloud import sessions
from osc_image_migrate.cloud import survey
from osc_image_migrate import model
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import secrets
from osc_image_migrate.planning import selection as selection_mod

# What a bundle holds besides data, per image (its metadata document and
# manifest entry) and in all (the manifest's head, temporary copies).
DOCUMENT_RESERVE = 64 * 1024
RESERVE = 1024 * 1024

# Selection options that map to a destination cloud: an export keeps the
# source's records as they are.
_MAPPINGS = (('project_map', '--map-project'), ('orphans_to', '--orphans-to'),
             ('store_map', '--map-store'), ('dest_store', '--dest-store'),
             ('secret_map', '--map-secret'),
             ('drop_signatures', '--drop-signatures'),
             ('reuse_identical', '--reuse-identical'))


def refuse_mappings(selection: selection_mod.Selection) -> None:
    """Mappings apply when a bundle is imported, not when it is written."""
    given = [option for attr, option in _MAPPINGS
             if getattr(selection, attr, None)]
    if given:
        raise model.UsageError(
            '%s: a bundle keeps the source\'s projects, stores, '
            'secrets and data as they are; map them (or reuse identical '
            'data) when the bundle is imported'
            % ', '.join(given))


def _keep_projects(source: model.Inventory, dest: model.Inventory,
                   images: Iterable[model.Record]) -> dict[str, str]:
    """A project map keeping owners and members the source cannot name.

    Projects deleted from the source Keystone, or that the credential
    cannot list, are kept by ID (the import maps them).
    """
    kept: dict[str, str] = {}
    for image in images:
        ids = [image.get('owner')] + [
            m['member_id'] for m in source.members.get(image['id'], [])]
        for project_id in ids:
            if project_id and project_id not in source.projects:
                kept[project_id] = project_id
                dest.projects[project_id] = model.Project(
                    id=project_id, name=project_id)
    return kept


@dataclasses.dataclass
class ExportPlan:
    """An export's plan, with what it was made of."""

    plan: list[planner.PlanItem]
    # None for a plan file's rows (no selection of the whole cloud then).
    resolved: selection_mod.ResolvedSelection | None
    contents: reader.BundleContents
    source: model.Inventory
    # A plan file's rows whose source image is gone (plan_file).
    missing: list[planner.PlanItem] = dataclasses.field(
        default_factory=list)


def compute_plan(src_clients: sessions.CloudClients, root: str,
                 selection: selection_mod.Selection) -> ExportPlan:
    """Read the source and the bundle, and plan the export."""
    refuse_mappings(selection)
    source = survey.read_source(src_clients)
    return plan_resolved(src_clients, source,
                         survey.resolve(selection, source), root)


def recheck_plan(src_clients: sessions.CloudClients, root: str,
                 saved: dict[str, dict[str, Any]],
                 selection: selection_mod.Selection,
                 shard: tuple[int, int] | None = None) -> ExportPlan:
    """A saved export plan's rows (of ``shard``) planned again.

    As for a cloud (plan_file.recheck): what changed since the plan is
    blocked, and the rows of images gone from the source are ``missing``.
    """
    refuse_mappings(selection)
    source = survey.read_source(src_clients)
    made: list[ExportPlan] = []

    def replan(resolved: selection_mod.ResolvedSelection
               ) -> list[planner.PlanItem]:
        made.append(plan_resolved(src_clients, source, resolved, root))
        return made[-1].plan

    plan, missing = plan_file.recheck(saved, source, selection, replan,
                                      shard)
    contents = made[-1].contents if made else _read(root)
    return ExportPlan(plan, None, contents, source, [
        plan_file.missing_item(image_id, saved[image_id])
        for image_id in missing])


def _read(root: str) -> reader.BundleContents:
    """What the bundle at ``root`` holds; a usage error if not a bundle."""
    try:
        return reader.read(root)
    except layout.BundleError as e:
        raise model.UsageError(str(e))


def plan_resolved(src_clients: sessions.CloudClients,
                  source: model.Inventory,
                  resolved: selection_mod.ResolvedSelection,
                  root: str) -> ExportPlan:
    """The export of a resolved selection of ``source`` into ``root``."""
    selected = survey.select(src_clients, source, resolved)
    contents = _read(root)
    dest = reader.inventory(contents, source)
    kept = _keep_projects(source, dest, [
        source.images[i] for i in selected if i in source.images])
    plan = planner.make_plan(
        source, dest, selected, project_map=kept,
        deleted_in=survey.deleted_in(resolved),
        secret_options=secrets.Options(checked=False),
        data_path=data_paths.BUNDLE)
    for item in plan:
        if item.action == planner.NEW_ID:
            item.action, item.dest_id = planner.BLOCKED, item.source_id
            item.reason = (
                'the bundle holds other data under this ID (%s): a bundle '
                'keeps IDs; move %s and its data aside to export it again'
                % (layout.data_name(item.source_id),
                   layout.metadata_name(item.source_id)))
        else:
            in_bundle_words(item, contents)
    return ExportPlan(plan, resolved, contents, source)


def in_bundle_words(item: planner.PlanItem,
                    contents: reader.BundleContents) -> None:
    """The planner's first note, said of a bundle rather than of a cloud.

    The planner speaks of a destination cloud's records and IDs; a bundle
    has files, and every ID is its own (no ID can be burned in it). The
    other notes (no data, no hash to check...) stay as they are.
    """
    if not item.reasons:
        return
    first = item.reasons[0]
    if item.action in (planner.COPY, planner.METADATA_ONLY):
        first = 'not in the bundle yet'
    elif item.action == planner.RESUME:
        written = contents.written.get(item.source_id, 0)
        kept = written - written % layout.CHUNK_SIZE
        first = 'in the bundle without its data (%s): write it%s' % (
            layout.metadata_name(item.source_id),
            ' after the %s an earlier run wrote in whole chunks'
            % _size(kept) if kept else '')
    elif item.dest_id:
        first = first.replace('in the destination as %s' % item.dest_id,
                              'in the bundle')
    item.reasons[0] = first


def space_needed(plan: Iterable[planner.PlanItem],
                 contents: reader.BundleContents) -> tuple[int, int]:
    """``(bytes to write, images whose size is unknown)``.

    The data still to write (a part's whole chunks are kept) and room
    for the documents; an image without a size counts as 0.
    """
    needed, unknown = RESERVE, 0
    for item in plan:
        needed += DOCUMENT_RESERVE
        if item.action not in planner.DATA_ACTIONS:
            continue
        if item.size is None:
            unknown += 1
            continue
        written = contents.written.get(item.source_id, 0)
        kept = written - written % layout.CHUNK_SIZE
        needed += max(0, item.size - kept)
    return needed, unknown


def _existing(path: str) -> str:
    """``path``, or its nearest ancestor that exists."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def _size(n: int) -> str:
    for unit, scale in (('GiB', 2 ** 30), ('MiB', 2 ** 20)):
        if n >= scale:
            return '%.1f %s' % (n / scale, unit)
    return '%d bytes' % n


def check_space(root: str, plan: Iterable[planner.PlanItem],
                contents: reader.BundleContents) -> tuple[int, int]:
    """Raise a usage error when the plan does not fit; else (needed, free).

    Checked before any byte is written: the free space of the file system
    the bundle is (or will be) on.
    """
    needed, unknown = space_needed(plan, contents)
    free = shutil.disk_usage(_existing(root)).free
    if needed > free:
        raise model.UsageError(
            'bundle %s does not fit: %s (%d bytes) to write, %s free on its '
            'file system%s; nothing written' % (
                root, _size(needed), needed, _size(free),
                ' (and %d images of unknown size)' % unknown
                if unknown else ''))
    return needed, free
