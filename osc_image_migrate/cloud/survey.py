# SPDX-License-Identifier: Apache-2.0
"""Read both clouds and compute the plan: the glue between the layers.

Reading is here; deciding is in :mod:`selection` and :mod:`planning`, which
are pure functions of what was read.
"""

import logging
import threading
from typing import Any
from typing import cast
from typing import Mapping
from typing import Sequence

from osc_image_migrate.cloud import dependencies
from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import inventory
from osc_image_migrate.cloud import limits as limits_mod
from osc_image_migrate.cloud import path_offers
from osc_image_migrate.cloud import regions as cloud_regions
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import path_choice
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import quotas
from osc_image_migrate.planning import regions
from osc_image_migrate.planning import reuse
from osc_image_migrate.planning import secrets
from osc_image_migrate.planning import selection as selection_mod
from osc_image_migrate.planning import stores

LOG = logging.getLogger(__name__)


def read_source(src_clients: sessions.CloudClients) -> model.Inventory:
    """The source's images and projects; members are read once selected."""
    with http.translated('source cloud'):
        return inventory.read_inventory(src_clients,
                                        members_wanted=lambda image: False)


def resolve(selection: selection_mod.Selection, source: model.Inventory
            ) -> selection_mod.ResolvedSelection:
    try:
        return selection_mod.resolve(selection, source)
    except selection_mod.SelectionError as e:
        raise model.UsageError(str(e))


def select(src_clients: sessions.CloudClients | None,
           source: model.Inventory,
           resolved: selection_mod.ResolvedSelection
           ) -> dict[str, list[str]]:
    """Select images, reading member lists only where they matter.

    Members decide the selection only when projects are selected together
    with the images shared with them; otherwise only the selected shared
    images' members are read (the plan maps them). ``src_clients`` None:
    a source that holds its members already (a bundle), nothing read.
    """
    by_member = bool(resolved.project_ids
                     and resolved.include_public_and_shared)
    if src_clients is None:
        selected = selection_mod.select(source, resolved)
    else:
        selected = _select_reading(src_clients, source, resolved, by_member)
    try:
        selection_mod.check_unlisted(source, resolved)
    except selection_mod.SelectionError as e:
        raise model.UsageError(str(e))
    return selected


def _select_reading(src_clients: sessions.CloudClients,
                    source: model.Inventory,
                    resolved: selection_mod.ResolvedSelection,
                    by_member: bool) -> dict[str, list[str]]:
    with http.translated('source cloud'):
        if by_member:
            source.members.update(
                inventory.read_members(src_clients, source.images))
        selected = selection_mod.select(source, resolved)
        if not by_member:
            source.members.update(inventory.read_members(
                src_clients, source.images,
                lambda image: image['id'] in selected))
    return selected


def read_dest(dst_clients: sessions.CloudClients,
              selected: Mapping[str, list[str]]) -> model.Inventory:
    """Read the destination, with members only of possible copies."""
    return DestinationRead(dst_clients, background=False).inventory(
        selected)


class DestinationRead:
    """The destination's inventory, its listing read beside the source's.

    The two clouds answer at once: with ``background``, the destination's
    login, images and projects are read in a thread of its own while the
    source is read and the selection resolved, which takes a second or
    more off every command's start (figures in doc/source/performance.rst).
    The thread is a daemon: a command that fails on the source does not
    wait for it. Members are read once the selection is known, only those
    of images that may be copies.
    """

    def __init__(self, dst_clients: sessions.CloudClients,
                 background: bool = True) -> None:
        self._clients = dst_clients
        self._listing: model.Inventory | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        if background:
            threading.Thread(target=self._read, daemon=True,
                             name='read-destination').start()
        else:
            self._read()

    def _read(self) -> None:
        try:
            self._listing = inventory.read_listing(self._clients)
        except BaseException as e:  # handed to the caller of inventory()
            self._error = e
        finally:
            self._done.set()

    def inventory(self, selected: Mapping[str, list[str]]
                  ) -> model.Inventory:
        """The inventory, with the members of possible copies."""
        def may_be_copy(image: model.Record) -> bool:
            return (image['id'] in selected
                    or image.get(model.SOURCE_ID_PROPERTY) in selected)

        self._done.wait()
        with http.translated('destination cloud %s' % self._clients.name):
            if self._error is not None:
                raise self._error
            listing = cast(model.Inventory, self._listing)
            listing.members.update(inventory.read_members(
                self._clients, listing.images, may_be_copy))
            return listing


def deleted_in(resolved: selection_mod.ResolvedSelection
               ) -> list[str] | str | None:
    """Whose copies of deleted source images the plan lists (see planning).

    Those of the selected projects, or all with a whole-cloud selection;
    none when images are named (a named image that is gone is an error).
    """
    if resolved.image_ids:
        return None
    return resolved.project_ids or selection_mod.ALL


def plan_selected(src_clients: sessions.CloudClients | None,
                  dst_clients: sessions.CloudClients,
                  source: model.Inventory,
                  resolved: selection_mod.ResolvedSelection,
                  keep_ids: bool,
                  dest_read: DestinationRead | None = None,
                  data_path: str | None = None
                  ) -> list[planner.PlanItem]:
    """The plan for a resolved selection; logs a summary.

    ``dest_read``: the destination's read, if already started;
    ``src_clients`` None: a source read already (see select);
    ``data_path``: the path of every copy's data (planning/data_paths);
    None: each copy's own, chosen by ``resolved.data_path`` among the
    paths the two clouds allow (cloud/path_offers.py).
    """
    selected = select(src_clients, source, resolved)
    if dest_read is None:
        dest = read_dest(dst_clients, selected)
    else:
        dest = dest_read.inventory(selected)
    secret_options = secrets.Options(resolved.secret_map,
                                     resolved.drop_signatures)
    with http.translated('destination cloud %s' % dst_clients.name):
        dependencies.read(dst_clients, dest, [
            source.images[i] for i in selected if i in source.images],
            secret_options)
    project_map = resolved.project_map
    if src_clients is not None and cloud_regions.one_keystone(src_clients,
                                                              dst_clients):
        # One Keystone: every project is its own counterpart.
        project_map = regions.identity_map(
            source, regions.projects_of(source, selected), project_map)
    plan = planner.make_plan(source, dest, selected,
                             project_map=project_map,
                             keep_ids=keep_ids,
                             orphans_to=resolved.orphans_to,
                             deleted_in=deleted_in(resolved),
                             secret_options=secret_options,
                             data_path=data_path or data_paths.STREAM,
                             reuse_scope=reuse_scope(resolved))
    if data_path is None:
        path_choice.choose_paths(
            plan, resolved.data_path,
            path_offers.offerers(src_clients, dst_clients)
            if src_clients is not None else [])
    if resolved.dest_store or resolved.store_map:
        _choose_stores(dst_clients, plan, resolved)
    _check_quotas(dst_clients, dest, plan)
    totals = summary(plan)
    LOG.info('Plan: %d images, %s; %d bytes to copy',
             len(plan),
             ', '.join('%s %d' % kv for kv in sorted(
                 totals['actions'].items())) or 'nothing to do',
             totals['bytes'])
    return plan


def reuse_scope(resolved: selection_mod.ResolvedSelection) -> str | None:
    """The scope of --reuse-identical (planning/reuse.py); None when off."""
    if not resolved.reuse_identical:
        return None
    return resolved.reuse_scope or reuse.PUBLIC


def summary(plan: Sequence[planner.PlanItem]) -> dict[str, Any]:
    """Counts of the actions present, images in all, and bytes to copy."""
    actions: dict[str, int] = {}
    for item in plan:
        actions[item.action] = actions.get(item.action, 0) + 1
    return {'actions': actions, 'images': len(plan),
            'bytes': sum(item.size or 0 for item in plan
                         if item.action in planner.DATA_ACTIONS)}


def read_limits(dst_clients: sessions.CloudClients
                ) -> limits_mod.Limits | None:
    """The destination's unified limits of images, None if not in use.

    Read once per command: the plan's quota check and the run's upload
    slots ask the same.
    """
    def ask() -> limits_mod.Limits | None:
        with http.translated('destination cloud %s' % dst_clients.name):
            return limits_mod.read(dst_clients)

    return dst_clients.once('image limits', ask)


def upload_slots(dst_clients: sessions.CloudClients) -> dict[str, int]:
    """Uploads per destination project that may run at once (quotas)."""
    limits = read_limits(dst_clients)
    if limits is None:
        return {}
    with http.translated('destination cloud %s' % dst_clients.name):
        caller = dst_clients.access().project_id
    # A project-scoped token (the commands' credentials) has a project ID.
    return quotas.upload_slots(limits, cast(str, caller))


def _check_quotas(dst_clients: sessions.CloudClients, dest: model.Inventory,
                  plan: list[planner.PlanItem]) -> None:
    """Note on the plan what will not fit the destination's quotas.

    One warning per project and resource on stderr; the affected rows
    say it in their reason (and ``quota``).
    """
    if not any(item.action in planner.DATA_ACTIONS + quotas.CREATES
               for item in plan):
        return
    # Read from a project-scoped token (see inventory): never None.
    shortfalls = quotas.check(
        plan, dest.images, read_limits(dst_clients),
        cast(str, dest.project_id),
        {p.id: p.name for p in dest.projects.values()})
    quotas.annotate(plan, shortfalls)
    caller = dest.projects.get(cast(str, dest.project_id))
    for shortfall in shortfalls:
        LOG.warning('Destination quota: %s', shortfall.warning(
            caller.name if caller else cast(str, dest.project_id)))


def _choose_stores(dst_clients: sessions.CloudClients,
                   plan: list[planner.PlanItem],
                   resolved: selection_mod.ResolvedSelection) -> None:
    """Each copy's destination store; unknown stores are usage errors."""
    with http.translated('destination cloud %s' % dst_clients.name):
        available = inventory.read_stores(dst_clients)
    problems = stores.check(available, resolved.dest_store,
                            resolved.store_map)
    if problems:
        raise model.UsageError('; '.join(problems))
    for item in plan:
        if item.source_image is not None:
            item.dest_store = stores.target(
                item.source_image, resolved.dest_store, resolved.store_map)


def compute_plan(src_clients: sessions.CloudClients,
                 dst_clients: sessions.CloudClients,
                 selection: selection_mod.Selection, keep_ids: bool = False
                 ) -> tuple[list[planner.PlanItem],
                            selection_mod.ResolvedSelection]:
    """Read both clouds and return ``(plan, resolved selection)``.

    Selection problems raise :class:`model.UsageError` listing them all.
    """
    dest_read = DestinationRead(dst_clients)
    source = read_source(src_clients)
    resolved = resolve(selection, source)
    return plan_selected(src_clients, dst_clients, source, resolved,
                         keep_ids, dest_read), resolved
