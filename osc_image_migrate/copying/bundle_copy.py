# SPDX-License-Identifier: Apache-2.0
"""One plan item carried out into a bundle, as the same named steps.

    writer.reserve       the image's metadata document without data: the
                         bundle's record, made before the data
    export.Export        the data: the source's verified stream into the
                         image's data file (step 3, the bundle's path),
                         resumed from its last whole chunk
    writer.accept        the document with its verified data entry, or,
                         on a re-run, with the source's metadata and the
                         drift since the last export

The steps share a copy's journal (journal.CopyJournal): the row's notes,
and what was read of a source record without a hash. An image whose data
is in the bundle is never read again; nothing in a bundle is deleted.
"""

import threading
from typing import Callable

from osc_image_migrate.bundle import export
from osc_image_migrate.bundle import writer as bundle_writer
from osc_image_migrate.cloud import sessions
from osc_image_migrate.copying import image_copy
from osc_image_migrate.copying import journal
from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import planner
from osc_image_migrate.stream import options


class BundleCopy:
    """One image's export into a bundle, resumable across attempts.

    The same interface as image_copy.ImageCopy for the executor:
    ``run(id_map, on_bytes, stop)`` returns an image_copy.Outcome or
    raises http.CloudError; ``dest_id`` is the image's ID in the bundle
    once reserved.
    """

    def __init__(self, src: sessions.CloudClients,
                 writer: bundle_writer.BundleWriter,
                 item: planner.PlanItem,
                 stream_options: options.StreamOptions = (
                     options.StreamOptions())) -> None:
        self.src = src
        self.writer = writer
        self.item = item
        self.stream_options = stream_options
        self.dest_id: str | None = None if item.action in (
            planner.COPY, planner.METADATA_ONLY) else item.dest_id
        self.journal = journal.CopyJournal(notes=list(item.attention))

    def run(self, id_map: dict[str, str],
            on_bytes: Callable[[int], None] | None = None,
            stop: threading.Event | None = None) -> image_copy.Outcome:
        """One attempt; ``id_map`` is unused: a bundle keeps every ID."""
        item = self.item
        if item.action == planner.SKIP:
            return image_copy.Outcome(image_copy.SKIPPED, item.dest_id,
                                      detail=item.reason)
        if item.action == planner.SOURCE_DELETED:
            return image_copy.Outcome(image_copy.KEPT, item.dest_id,
                                      detail=item.reason)
        if self.dest_id is None:
            self.writer.reserve(item)
            self.dest_id = item.source_id
        data = None
        sent = 0
        if item.action in planner.DATA_ACTIONS:
            data = self._export(on_bytes, stop)
            sent = data.size - data.resumed_from
        self.writer.accept(item, data)
        result = {planner.FINISH: image_copy.FINISHED,
                  planner.UPDATE: image_copy.UPDATED,
                  planner.METADATA_ONLY: image_copy.METADATA_ONLY}.get(
                      item.action, image_copy.MIGRATED)
        return image_copy.Outcome(result, self.dest_id, sent,
                                  self.journal.detail())

    def _export(self, on_bytes: Callable[[int], None] | None,
                stop: threading.Event | None) -> export.DataFile:
        # The planner set source_image on every item a copy runs.
        assert self.item.source_image is not None
        data = export.Export(
            self.src, self.writer.root, self.item.source_image,
            options=self.stream_options, on_bytes=on_bytes,
            on_read=self.journal.stream_read, stop=stop).run()
        if data.resumed_from:
            self.journal.note('resumed from byte %d (the last whole chunk '
                              'an earlier run wrote)' % data.resumed_from)
        if comparison.reference_note(self.item.source_image):
            self.journal.note('verified against the bytes read: the source '
                              'records no %s' % ' and no '.join(
                                  model.lacks_reference(
                                      self.item.source_image)))
        return data
