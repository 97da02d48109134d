# SPDX-License-Identifier: Apache-2.0
"""Carry out one plan item as a short sequence of named steps.

    record.create        create the destination record (it reserves the
                         ID), or find that the ID holds the data already
    record.settled_status / replace_lost
                         settle a record a broken upload left ``saving``,
                         moving the copy to a new record if it was lost
    send.Send            send the data: direct upload or stage + import,
                         or finish an import an earlier run left; or
    offload.Offloads     have the clouds move it (glance-download, rbd)
    verify.check_copy    verify the destination's record; accept a checked
                         conversion, deactivate other data
    apply.apply          the source's metadata, members and status

The order is what keeps data safe: the record first, the data second, and
only once the destination's own size and hash match the source (or a
conversion is accepted) are visibility, members, protection and
deactivation applied. Nothing here ever deletes a destination image.
ImageCopy only runs the steps; what they share lives in its journal
(journal.CopyJournal), which outlives each attempt.
"""

import dataclasses
import threading
from typing import Callable
from typing import cast

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate.copying import apply
from osc_image_migrate.copying import journal
from osc_image_migrate.copying import offload
from osc_image_migrate.copying import record
from osc_image_migrate.copying import send
from osc_image_migrate.copying import upload_method
from osc_image_migrate.copying import verify
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.stream import options

MIGRATED = 'migrated'
METADATA_ONLY = 'metadata-only'
SKIPPED = 'skipped'
FINISHED = 'finished'
UPDATED = 'updated'
KEPT = 'kept'
REUSED = 'reused'
FAILED = 'failed'
BLOCKED = 'blocked'


@dataclasses.dataclass
class Outcome:
    result: str
    dest_id: str | None = None
    bytes: int = 0
    detail: str = ''


class ImageCopy:
    """One image's migration, resumable across attempts.

    What lives across attempts: ``dest_id``, so that a retry uploads into
    the record the first attempt created instead of creating another, and
    the ``journal`` the steps write to (journal.CopyJournal).
    """

    def __init__(self, src: sessions.CloudClients | None,
                 dst: sessions.CloudClients, item: planner.PlanItem,
                 keep_ids: bool = False,
                 stream_options: options.StreamOptions = (
                     options.StreamOptions()),
                 data_source: send.DataSource | None = None,
                 offloads: offload.Offloads = offload.Offloads()) -> None:
        self.src = src
        # Where the data comes from instead of ``src`` (a bundle's files:
        # send.DataSource); the other steps are the same.
        self.data_source = data_source
        self.dst = dst
        self.item = item
        # The paths other than the stream (offload.py), by Path name.
        self.offloads = offloads
        self.keep_ids = keep_ids
        self.stream_options = stream_options
        self.chooser: upload_method.Chooser = (
            stream_options.method or upload_method.Chooser())
        self.dest_id: str | None = None if item.action in (
            planner.COPY, planner.METADATA_ONLY, planner.NEW_ID
        ) else item.dest_id
        # What the operator must check (e.g. a volume-backed snapshot's
        # Cinder snapshots) goes into the row's detail.
        self.journal = journal.CopyJournal(notes=list(item.attention))

    def run(self, id_map: dict[str, str],
            on_bytes: Callable[[int], None] | None = None,
            stop: threading.Event | None = None) -> Outcome:
        """One attempt; raises http.CloudError on failure."""
        item = self.item
        if item.action == planner.SKIP:
            return Outcome(SKIPPED, item.dest_id, detail=item.reason)
        if item.action == planner.SOURCE_DELETED:
            return Outcome(KEPT, item.dest_id, detail=item.reason)
        has_data = item.action != planner.METADATA_ONLY
        if self.dest_id is None:
            created = record.create(self.dst, item, id_map, self.keep_ids)
            if created.dest_id is None:
                return Outcome(SKIPPED, created.existing_id,
                               detail='already in the destination')
            self.dest_id = created.dest_id
            self.journal.note(created.note)
        sent = 0
        if item.action not in planner.IN_PLACE_ACTIONS and has_data:
            status = self._settle_broken_upload(id_map, stop)
            sending = send.Send(self.src, self.dst, item, self.dest_id,
                                journal=self.journal,
                                options=self.stream_options,
                                on_bytes=on_bytes, stop=stop,
                                data_source=self.data_source)
            if status == model.Status.QUEUED:
                moved = self.offloads.send(item, self.dest_id, self.journal,
                                           stop, on_bytes=on_bytes)
                sent = self._stream(sending) if moved is None else moved
            elif status in (model.Status.UPLOADING, model.Status.IMPORTING):
                sending.finish_import()
            self.journal.note(verify.check_copy(
                self.dst, self.dest_id,
                # The planner set source_image on every item a copy runs.
                cast(model.Record, item.source_image),
                self.journal.import_request, stop,
                read=self.journal.data_read))
        apply.apply(self.dst, self.dest_id, item, id_map)
        result = {planner.FINISH: FINISHED, planner.UPDATE: UPDATED,
                  planner.METADATA_ONLY: METADATA_ONLY}.get(
                      item.action, MIGRATED)
        return Outcome(result, self.dest_id, sent, self.journal.detail())

    def _stream(self, sending: send.Send) -> int:
        """The stream's bytes; its failure says what may block it."""
        try:
            return sending.data(self.chooser)
        except http.CloudError as e:
            hint = self.journal.stream_hint
            if not hint:
                raise
            raise http.CloudError('%s; %s' % (e, hint), e.retriable,
                                  e.status, e.cause, e.details) from e

    def _settle_broken_upload(self, id_map: dict[str, str],
                              stop: threading.Event | None) -> str:
        """The record's status, once a broken upload is settled.

        A record our broken upload left ``saving`` for good was lost by
        the destination: the copy moves to a new record (``queued``).
        """
        assert self.dest_id is not None  # run() set it before calling
        status = record.settled_status(self.dst, self.dest_id,
                                       self.journal.upload_broke_at, stop)
        if status != model.Status.SAVING:
            return status
        self.dest_id, note = record.replace_lost(
            self.dst, self.item, id_map, self.dest_id, self.keep_ids)
        self.journal.upload_broke_at = None
        self.journal.note(note)
        return model.Status.QUEUED
