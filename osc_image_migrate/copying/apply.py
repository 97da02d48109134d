# SPDX-License-Identifier: Apache-2.0
"""The last step of a copy: the source's metadata, members and status.

Applied only once the data is verified (or when there is none to send):
a new record was created private and unprotected, so that nobody uses it
before then. Never the data.
"""

from typing import cast

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.planning import drift
from osc_image_migrate.planning import planner


def apply(dst: sessions.CloudClients, dest_id: str, item: planner.PlanItem,
          id_map: dict[str, str]) -> None:
    """Make the record, members and status equal to the source's.

    One JSON patch for the record (visibility and protection included),
    then members, then deactivation or reactivation.
    """
    # The planner set source_image on every item a copy runs.
    source = cast(model.Record, item.source_image)
    record = dict(dst.glance.images.get(dest_id))
    patch = drift.json_patch(record, drift.record_changes(
        source, record, item.dest_owner, id_map))
    if patch:
        http.patch_image(dst, dest_id, patch)
    if source.get('visibility') == 'shared':
        sync_members(dst, dest_id, item.members)
    deactivated = source.get('status') == model.Status.DEACTIVATED
    if deactivated and record.get('status') == model.Status.ACTIVE:
        dst.glance.images.deactivate(dest_id)
    elif not deactivated and record.get('status') == model.Status.DEACTIVATED:
        dst.glance.images.reactivate(dest_id)


def sync_members(dst: sessions.CloudClients, dest_id: str,
                 wanted_members: list[model.Record]) -> None:
    """Add, re-status and remove members to match the mapped source's."""
    members = dst.glance.image_members
    current = {m['member_id']: m['status'] for m in members.list(dest_id)}
    for member in wanted_members:
        member_id = member['member_id']
        status = member['status'] or 'pending'
        if member_id not in current:
            members.create(dest_id, member_id)
            current[member_id] = 'pending'
        if current[member_id] != status:
            members.update(dest_id, member_id, status)
    wanted = {m['member_id'] for m in wanted_members}
    for member_id in sorted(set(current) - wanted):
        members.delete(dest_id, member_id)
