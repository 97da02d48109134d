# SPDX-License-Identifier: Apache-2.0
"""The second step of a copy: the data into the record, once.

The data goes in by direct upload or by glance-direct import (stage the
same verified stream, then import: see upload_method and glance_import).
A record an earlier run left ``uploading`` with a complete stage is
imported, one left ``importing`` is waited for.

What a send does that outlives it is written to the copy's journal
(journal.CopyJournal) as it happens: notes for the row, the import it
started, an upload that broke off, and what the stream read.
"""

import logging
import threading
from typing import Any
from typing import Callable
from typing import cast
from typing import Mapping
from typing import Protocol

from osc_lib import exceptions

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate.copying import glance_import
from osc_image_migrate.copying import journal as copy_journal
from osc_image_migrate.copying import upload_method
from osc_image_migrate.i18n import _
from osc_image_migrate import model
from osc_image_migrate.planning import import_state
from osc_image_migrate.planning import planner
from osc_image_migrate.stream import options as stream_options
from osc_image_migrate.stream import transfer

LOG = logging.getLogger(__name__)

# A running destination import is logged (-v) this often, in seconds.
IMPORT_LOG_SECONDS = 30


class DataSource(Protocol):
    """Where a copy's verified data comes from, if not the source cloud.

    transfer.copy_data's arguments after ``src`` and its result (a
    bundle's data file: bundle/source.py BundleSource).
    """

    def copy_data(self, dst: sessions.CloudClients,
                  source_image: Mapping[str, Any], dest_id: str, *,
                  options: stream_options.StreamOptions,
                  target: str, store: str | None,
                  on_bytes: Callable[[int], None] | None,
                  on_read: Callable[[model.DataRead], None] | None,
                  stop: threading.Event | None) -> transfer.Copied:
        ...


class Send:
    """One attempt at sending ``item``'s data into record ``dest_id``.

    The data is the source cloud's download (``src``), or ``data_source``'s
    when given (then ``src`` may be None).
    """

    def __init__(self, src: sessions.CloudClients | None,
                 dst: sessions.CloudClients, item: planner.PlanItem,
                 dest_id: str, journal: copy_journal.CopyJournal,
                 options: stream_options.StreamOptions = (
                     stream_options.StreamOptions()),
                 on_bytes: Callable[[int], None] | None = None,
                 stop: threading.Event | None = None,
                 data_source: DataSource | None = None) -> None:
        self.src = src
        self.data_source = data_source
        self.dst = dst
        self.item = item
        self.dest_id = dest_id
        self.journal = journal
        self.options = options
        self.on_bytes = on_bytes
        self.stop = stop

    def data(self, chooser: upload_method.Chooser) -> int:
        """Direct upload, or stage + import; returns the bytes sent.

        ``chooser`` (upload_method.Chooser) is the run's method. A 403 on
        the direct upload comes before Glance reads the body and leaves
        the record ``queued``, so the same record can be staged.
        """
        if chooser.current == upload_method.PUT:
            try:
                return self._stream('file')
            except http.CloudError as e:
                if e.status is None:
                    self._unanswered(chooser, e)
                    raise
                if e.status != 403 or not chooser.forbidden():
                    if e.status == 403:
                        raise http.CloudError(
                            '%s (the destination may forbid direct upload '
                            'by policy: --upload-method glance-direct '
                            'imports instead, where offered)' % e,
                            status=403)
                    raise
                self.journal.note('direct upload refused (HTTP 403): '
                                  'glance-direct for the rest of the run')
        # The planner set source_image on every item a copy runs.
        source = cast(model.Record, self.item.source_image)
        glance_import.record_source(self.dst, self.dest_id, source)
        sent = self._stream('stage')
        staged = self.dst.glance.images.get(self.dest_id)
        if not import_state.is_staged(staged, source.get('size')):
            raise http.CloudError(
                'destination stage of %s ended %s with %s bytes, not the '
                'source\'s %s: not imported' % (
                    self.dest_id, staged.get('status'), staged.get('size'),
                    source.get('size')), retriable=True)
        self._import()
        self._wait_import()
        self.journal.note('imported with glance-direct')
        return sent

    def _unanswered(self, chooser: upload_method.Chooser,
                    error: http.CloudError) -> None:
        """Tell ``chooser`` of a direct upload the server ended unanswered.

        Only a break by the server (see upload_method.SERVER_CLOSED) into
        a record still ``queued`` counts. The error is raised all the same:
        the switch, if it comes, applies to the next attempt.
        """
        if error.cause not in upload_method.SERVER_CLOSED or \
                chooser.current != upload_method.PUT:
            return
        try:
            status = self.dst.glance.images.get(self.dest_id).get('status')
            switched = status == model.Status.QUEUED and chooser.unanswered(
                self.dest_id)
        except (http.CloudError, exceptions.CommandError) as e:
            LOG.debug('Image %s: not judging the broken upload: %s',
                      self.dest_id, e)
            return
        if switched:
            self.journal.note(_(
                'direct upload broke off %d times with no answer, the '
                'server closing and the record left queued (as a '
                'destination that forbids direct upload does when a load '
                'balancer loses its HTTP 403): glance-direct for the rest '
                'of the run') % upload_method.UNANSWERED_BREAKS)

    def finish_import(self) -> None:
        """Import a complete stage an earlier run left, or wait for one.

        A record ``uploading`` without the source's size is a stage still
        running (or lost with its server): never imported, since the
        import would take whatever part of it arrived.
        """
        source = cast(model.Record, self.item.source_image)
        record = self.dst.glance.images.get(self.dest_id)
        if import_state.is_dead(record):
            raise glance_import.failure(self.dest_id, record)
        if record['status'] == model.Status.UPLOADING:
            if not import_state.is_staged(record, source.get('size')):
                raise http.CloudError(
                    'destination image %s is being staged by another '
                    'client (status uploading, %s of %s bytes staged)'
                    % (self.dest_id, record.get('size'),
                       source.get('size')))
            glance_import.record_source(self.dst, self.dest_id, source)
            self._import()
            self.journal.note('imported the data an earlier run staged')
        else:
            self.journal.note('waited for the import an earlier run '
                              'started')
        self._wait_import()

    def _stream(self, target: str) -> int:
        """The source's verified stream into the record's ``target``."""
        image = cast(model.Record, self.item.source_image)
        try:
            if self.data_source is not None:
                return self.data_source.copy_data(
                    self.dst, image, self.dest_id, options=self.options,
                    target=target, store=self.item.dest_store,
                    on_bytes=self.on_bytes,
                    on_read=self.journal.stream_read, stop=self.stop).sent
            return transfer.copy_data(
                cast(sessions.CloudClients, self.src), self.dst, image,
                self.dest_id,
                options=self.options, target=target,
                store=self.item.dest_store, on_bytes=self.on_bytes,
                on_read=self.journal.stream_read, stop=self.stop).sent
        except Exception:
            self.journal.upload_broke()
            raise

    def _import(self) -> None:
        self.journal.import_started(glance_import.start(
            self.dst, self.dest_id, self.item.dest_store))

    def _wait_import(self) -> None:
        def report(record: model.Record, seconds: float) -> None:
            if seconds and int(seconds) % IMPORT_LOG_SECONDS == 0:
                LOG.info('Image %s: destination import running for %d s '
                         '(status %s)', self.dest_id, seconds,
                         record.get('status'))

        glance_import.wait(self.dst, self.dest_id, stop=self.stop,
                           on_wait=report)
