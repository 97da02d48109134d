# SPDX-License-Identifier: Apache-2.0
"""The first step of a copy: the destination record, before any data.

Creating the record reserves its ID, which a plan run without admin could
only guess was free (Glance answers 404 for a deleted image and for one it
hides): a 409 is where the copy learns that the ID is taken, and whether
the image there already holds the source's data.

A record that a broken upload left ``saving`` is settled here too. Glance
normally puts it back to ``queued`` at once; one still ``saving`` after
SAVING_GRACE was lost by the destination (Glance restarted mid-upload) and
never takes data again. Deleting it would burn its ID, so the copy moves
to a new record with a new ID that records the source ID instead.
Nothing here deletes a destination image.
"""

import dataclasses
import threading
import time
from typing import Any
from typing import cast

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import metadata
from osc_image_migrate.planning import planner

# Seconds after a broken upload during which a ``saving`` record may still
# be put back to ``queued`` by Glance; after that its upload is lost.
SAVING_GRACE = 20


@dataclasses.dataclass(frozen=True)
class Created:
    """What creating the record gave.

    ``dest_id`` is the new record, or None when none was needed: the
    source's ID is taken by ``existing_id``, an image that already holds
    the source's data. ``note`` says why the record has a new ID, if so.
    """

    dest_id: str | None = None
    existing_id: str | None = None
    note: str = ''


def create(dst: sessions.CloudClients, item: planner.PlanItem,
           id_map: dict[str, str], keep_ids: bool = False) -> Created:
    """Create the destination record of plan item ``item``."""
    new_id = item.action == planner.NEW_ID
    # The planner set source_image on every item a copy runs.
    body = metadata.create_body(
        cast(model.Record, item.source_image),
        None if new_id else item.source_id,
        item.dest_owner, id_map, record_source_id=True)
    try:
        return Created(_post(dst, body))
    except http.CloudError as e:
        if e.status != 409:
            raise
    # The ID is taken: in use, or burned by a deletion (Glance answers
    # 404 for those, so the plan could not know).
    existing = _get(dst, item.source_id)
    if existing is not None and comparison.holds_data_of(
            cast(model.Record, item.source_image), existing):
        return Created(existing_id=existing['id'])
    if keep_ids:
        raise http.CloudError(
            'ID %s is taken in the destination (--keep-ids)'
            % item.source_id)
    return Created(create_with_new_id(dst, item, id_map),
                   note='source ID taken in the destination; new ID '
                        'recorded with property %s'
                        % model.SOURCE_ID_PROPERTY)


def create_with_new_id(dst: sessions.CloudClients, item: planner.PlanItem,
                       id_map: dict[str, str]) -> str:
    """A record under a new ID that names its source image."""
    return _post(dst, metadata.create_body(
        cast(model.Record, item.source_image), None, item.dest_owner, id_map,
        record_source_id=True))


def settled_status(dst: sessions.CloudClients, dest_id: str,
                   broke_at: float | None = None,
                   stop: threading.Event | None = None) -> str:
    """The record's status, once Glance has settled a broken upload.

    ``saving`` means an upload is running. ``broke_at`` is when this
    copy's own upload into the record broke off (``time.monotonic()``), or
    None: a ``saving`` record is then another client's upload, left alone.
    After our own upload broke, the status is read until it leaves
    ``saving`` or SAVING_GRACE has passed; ``saving`` is returned only for
    an upload the destination lost (see replace_lost).
    """
    status = dst.glance.images.get(dest_id)['status']
    if status != model.Status.SAVING:
        return status
    if broke_at is None:
        raise http.CloudError(
            'destination image %s is being uploaded by another client '
            '(status saving)' % dest_id)
    while (status == model.Status.SAVING and time.monotonic()
           < broke_at + SAVING_GRACE):
        cancel.pause(stop, cancel.POLL_SECONDS)
        status = dst.glance.images.get(dest_id)['status']
    return status


def replace_lost(dst: sessions.CloudClients, item: planner.PlanItem,
                 id_map: dict[str, str], lost_id: str,
                 keep_ids: bool = False) -> tuple[str, str]:
    """``(new_id, note)``: a new record for a record's lost upload.

    The lost record holds no data and is left where it is (deleting it
    would burn its ID); ``--keep-ids`` forbids the new ID.
    """
    if keep_ids:
        raise http.CloudError(
            'destination image %s is stuck in saving: the destination '
            'lost its upload (e.g. Glance restarted) and cannot take '
            'data into it again; --keep-ids forbids a new ID' % lost_id)
    new_id = create_with_new_id(dst, item, id_map)
    return new_id, (
        'destination image %s was left saving by a lost upload (e.g. '
        'Glance restarted) and can never take data: copied to a new '
        'ID recorded with property %s; %s holds no data and may be '
        'deleted' % (lost_id, model.SOURCE_ID_PROPERTY, lost_id))


def _post(dst: sessions.CloudClients, body: dict[str, Any]) -> str:
    body = {k: v for k, v in body.items() if v is not None}
    try:
        return dst.glance.images.create(**body)['id']
    except http.CloudError as e:
        if e.status is None or e.status == 409:
            raise
        raise http.status_error('destination create', e.status,
                                e.details)


def _get(dst: sessions.CloudClients, image_id: str) -> model.Record | None:
    try:
        return dst.glance.images.get(image_id)
    except http.CloudError as e:
        if e.status != 404:
            raise
        return None
