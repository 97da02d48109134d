# SPDX-License-Identifier: Apache-2.0
"""Carry out one plan item: record, data, verification, final state.

The order is what keeps data safe: the destination record is created first
(it reserves the ID), the data second, and only once the destination's own
size and hash match the source are visibility, members, protection and
deactivation applied. Nothing here ever deletes a destination image.

Two ways a destination can spoil a record, and what is done instead of
deleting it (which would burn its ID): a record left ``saving`` by an upload
the destination lost (Glance restarted mid-upload; Glance never takes data
into it again) is given up for a new record with a new ID that records the
source ID; a record that went ``active`` with data that differs from the
source (changed on the way in) is deactivated, so that nobody boots it.

The data goes in by direct upload or by glance-direct import (stage the
same verified stream, then import: see upload_method and interop_import);
a record an earlier run left ``uploading`` with a complete stage is
imported, one left ``importing`` is waited for, and either is verified
like any upload. An import the destination converted (e.g. qcow2 to raw)
differs from the source by design: it is accepted only on the evidence
that conversion.py lists, and the row says so.
"""

import dataclasses
import logging
import threading
import time

from osc_image_migrate.cloud import http
from osc_image_migrate.copying import glance_import
from osc_image_migrate.copying import upload_method
from osc_image_migrate.copying import verify
from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import conversion
from osc_image_migrate.planning import drift
from osc_image_migrate.planning import import_state
from osc_image_migrate.planning import metadata
from osc_image_migrate.planning import planner
from osc_image_migrate.stream import transfer
from osc_image_migrate.stream import verified

LOG = logging.getLogger(__name__)

MIGRATED = 'migrated'
METADATA_ONLY = 'metadata-only'
SKIPPED = 'skipped'
FINISHED = 'finished'
UPDATED = 'updated'
KEPT = 'kept'
FAILED = 'failed'
BLOCKED = 'blocked'


# Seconds after a broken upload during which a ``saving`` record may still
# be put back to ``queued`` by Glance; after that its upload is lost.
SAVING_GRACE = 20
POLL_SECONDS = 1
# A running destination import is logged (-v) this often, in seconds.
IMPORT_LOG_SECONDS = 30


def _sized(record):
    return 'size %s, virtual size %s' % (record.get('size'),
                                         record.get('virtual_size'))


@dataclasses.dataclass
class Outcome:
    result: str
    dest_id: str = None
    bytes: int = 0
    detail: str = ''


class ImageCopy:
    """One image's migration, resumable across attempts.

    ``dest_id`` is remembered between attempts, so a retry uploads into the
    record the first attempt created instead of creating another.
    """

    def __init__(self, src, dst, item, keep_ids=False,
                 stream_options=transfer.StreamOptions()):
        self.src = src
        self.dst = dst
        self.item = item
        self.keep_ids = keep_ids
        self.stream_options = stream_options
        self.chooser = stream_options.method or upload_method.Chooser()
        self.dest_id = None if item.action in (
            planner.COPY, planner.METADATA_ONLY, planner.NEW_ID
        ) else item.dest_id
        # What the operator must check (e.g. a volume-backed snapshot's
        # Cinder snapshots) goes into the row's detail.
        self.notes = list(getattr(item, 'attention', None) or [])
        self._existing_id = None
        # The request ID of this run's import call (see conversion.py).
        self._import_request = None
        self._upload_broke_at = None
        # Size and hashes of the bytes the last stream read (verify.py).
        self.read = {}

    def run(self, id_map, on_bytes=None, stop=None):
        """One attempt; raises http.CloudError on failure."""
        item = self.item
        if item.action == planner.SKIP:
            return Outcome(SKIPPED, item.dest_id, detail=item.reason)
        if item.action == planner.SOURCE_DELETED:
            return Outcome(KEPT, item.dest_id, detail=item.reason)
        has_data = item.action != planner.METADATA_ONLY
        if self.dest_id is None:
            self.dest_id = self._create(id_map)
            if self.dest_id is None:
                return Outcome(SKIPPED, self._existing_id,
                               detail='already in the destination')
        sent = 0
        if item.action not in planner.IN_PLACE_ACTIONS and has_data:
            status = self._status(id_map, stop)
            if status == 'queued':
                sent = self._send(on_bytes, stop)
            elif status in ('uploading', 'importing'):
                self._finish_import(stop)
            self._verify(stop)
        self._sync(id_map)
        result = {planner.FINISH: FINISHED, planner.UPDATE: UPDATED,
                  planner.METADATA_ONLY: METADATA_ONLY}.get(
                      item.action, MIGRATED)
        return Outcome(result, self.dest_id, sent, '; '.join(self.notes))

    def _copy(self, on_bytes, stop, target):
        try:
            return transfer.copy_data(
                self.src, self.dst, self.item.source_image, self.dest_id,
                on_bytes=on_bytes, stop=stop, options=self.stream_options,
                target=target, store=self.item.dest_store, read=self.read)
        except Exception:
            self._upload_broke_at = time.monotonic()
            raise

    def _send(self, on_bytes, stop):
        """Direct upload, or stage + import; returns the bytes sent.

        A 403 on the direct upload comes before Glance reads the body and
        leaves the record ``queued``, so the same record can be staged.
        """
        if self.chooser.current == upload_method.PUT:
            try:
                return self._copy(on_bytes, stop, 'file')
            except http.CloudError as e:
                if e.status != 403 or not self.chooser.forbidden():
                    if e.status == 403:
                        raise http.CloudError(
                            '%s (the destination may forbid direct upload '
                            'by policy: --upload-method glance-direct '
                            'imports instead, where offered)' % e,
                            status=403)
                    raise
                self.notes.append('direct upload refused (HTTP 403): '
                                  'glance-direct for the rest of the run')
        source = self.item.source_image
        glance_import.record_source(self.dst, self.dest_id, source)
        sent = self._copy(on_bytes, stop, 'stage')
        staged = self.dst.glance.images.get(self.dest_id)
        if not import_state.is_staged(staged, source.get('size')):
            raise http.CloudError(
                'destination stage of %s ended %s with %s bytes, not the '
                'source\'s %s: not imported' % (
                    self.dest_id, staged.get('status'), staged.get('size'),
                    source.get('size')), retriable=True)
        self._import_request = glance_import.start(
            self.dst, self.dest_id, self.item.dest_store)
        self._wait_import(stop)
        self.notes.append('imported with glance-direct')
        return sent

    def _finish_import(self, stop):
        """Import a complete stage an earlier run left, or wait for one.

        A record ``uploading`` without the source's size is a stage still
        running (or lost with its server): never imported, since the
        import would take whatever part of it arrived.
        """
        record = self.dst.glance.images.get(self.dest_id)
        if import_state.is_dead(record):
            raise glance_import.failure(self.dest_id, record)
        if record['status'] == 'uploading':
            if not import_state.is_staged(record,
                                          self.item.source_image.get('size')):
                raise http.CloudError(
                    'destination image %s is being staged by another '
                    'client (status uploading, %s of %s bytes staged)'
                    % (self.dest_id, record.get('size'),
                       self.item.source_image.get('size')))
            glance_import.record_source(self.dst, self.dest_id,
                                        self.item.source_image)
            self._import_request = glance_import.start(
                self.dst, self.dest_id, self.item.dest_store)
            self.notes.append('imported the data an earlier run staged')
        else:
            self.notes.append('waited for the import an earlier run '
                              'started')
        self._wait_import(stop)

    def _wait_import(self, stop):
        def report(record, seconds):
            if seconds and int(seconds) % IMPORT_LOG_SECONDS == 0:
                LOG.info('Image %s: destination import running for %d s '
                         '(status %s)', self.dest_id, seconds,
                         record.get('status'))

        glance_import.wait(self.dst, self.dest_id, stop=stop,
                           on_wait=report)

    def _status(self, id_map, stop):
        """The record's status, once Glance has settled a broken upload.

        ``saving`` means an upload is running. After our own upload broke
        off, Glance normally puts the record back to ``queued`` at once;
        if it is still ``saving`` after SAVING_GRACE, the destination lost
        the upload (it restarted) and the record can never take data again:
        the copy moves to a new record. Another client's upload is left
        alone.
        """
        status = self.dst.glance.images.get(self.dest_id)['status']
        if status != 'saving':
            return status
        if self._upload_broke_at is None:
            raise http.CloudError(
                'destination image %s is being uploaded by another client '
                '(status saving)' % self.dest_id)
        stop = stop or threading.Event()
        while (status == 'saving' and time.monotonic()
               < self._upload_broke_at + SAVING_GRACE):
            if stop.wait(POLL_SECONDS):
                raise verified.Interrupted('interrupted')
            status = self.dst.glance.images.get(self.dest_id)['status']
        if status != 'saving':
            return status
        lost = self.dest_id
        if self.keep_ids:
            raise http.CloudError(
                'destination image %s is stuck in saving: the destination '
                'lost its upload (e.g. Glance restarted) and cannot take '
                'data into it again; --keep-ids forbids a new ID' % lost)
        self.dest_id = self._create_with_new_id(id_map)
        self._upload_broke_at = None
        self.notes.append(
            'destination image %s was left saving by a lost upload (e.g. '
            'Glance restarted) and can never take data: copied to a new '
            'ID recorded with property %s; %s holds no data and may be '
            'deleted' % (lost, model.SOURCE_ID_PROPERTY, lost))
        return 'queued'

    def _verify(self, stop=None):
        """Compare the records; deactivate a copy that holds other data.

        A copy the destination converted on import holds other data by
        design: it is accepted on the evidence conversion.py lists, and
        marked so; any other difference is deactivated.
        """
        try:
            verify.verify_destination(self.dst, self.dest_id,
                                      self.item.source_image, self.read)
            missing = model.lacks_reference(self.item.source_image)
            if missing:
                self.notes.append(
                    'the source records no %s: verified against the bytes '
                    'read from it' % ' and no '.join(missing))
        except verify.DataMismatch as mismatch:
            e = self._conversion(mismatch, stop)
            if e is None:
                return
            verify.mark_failed(self.dst, self.dest_id, str(e))
            try:
                self.dst.glance.images.deactivate(self.dest_id)
                contained = ('deactivated destination image %s so that '
                             'nobody uses it; %s' % (self.dest_id, (
                                 'a re-run copies to a new ID, once'
                                 if self.dest_id == self.item.source_id
                                 else 're-runs do not copy it again (the '
                                 'plan blocks it)')))
            except http.CloudError as failure:
                contained = ('could not deactivate destination image %s '
                             '(HTTP %s): do not use it'
                             % (self.dest_id, failure.status))
            raise http.CloudError('%s; %s' % (e, contained))

    def _conversion(self, mismatch, stop):
        """None for an accepted conversion, else the mismatch to report."""
        source = self.item.source_image
        record, problems = glance_import.check_conversion(
            self.dst, self.dest_id, source, self._import_request, stop)
        if problems is None:
            return mismatch
        if problems:
            return verify.DataMismatch(
                'destination image is %s (%s), and the evidence of a '
                'conversion of the verified data is missing: %s' % (
                    conversion.label(source, record),
                    _sized(record), '; '.join(problems)))
        glance_import.mark_converted(self.dst, self.dest_id, source, record)
        self.notes.append(conversion.describe(source, record))
        return None

    def _create(self, id_map):
        """Create the destination record; return its ID (None: present)."""
        item = self.item
        new_id = item.action == planner.NEW_ID
        body = metadata.create_body(
            item.source_image, None if new_id else item.source_id,
            item.dest_owner, id_map, record_source_id=True)
        try:
            return self._post(body)
        except http.CloudError as e:
            if e.status != 409:
                raise
        # The ID is taken: in use, or burned by a deletion (Glance answers
        # 404 for those, so the plan could not know).
        existing = self._get(item.source_id)
        if existing is not None and comparison.holds_data_of(
                item.source_image, existing):
            self._existing_id = existing['id']
            return None
        if self.keep_ids:
            raise http.CloudError(
                'ID %s is taken in the destination (--keep-ids)'
                % item.source_id)
        dest_id = self._create_with_new_id(id_map)
        self.notes.append('source ID taken in the destination; new ID '
                          'recorded with property %s'
                          % model.SOURCE_ID_PROPERTY)
        return dest_id

    def _create_with_new_id(self, id_map):
        """A record under a new ID that names its source image."""
        return self._post(metadata.create_body(
            self.item.source_image, None, self.item.dest_owner, id_map,
            record_source_id=True))

    def _post(self, body):
        body = {k: v for k, v in body.items() if v is not None}
        try:
            return self.dst.glance.images.create(**body)['id']
        except http.CloudError as e:
            if e.status is None or e.status == 409:
                raise
            raise http.status_error('destination create', e.status,
                                    e.details)

    def _get(self, image_id):
        try:
            return self.dst.glance.images.get(image_id)
        except http.CloudError as e:
            if e.status != 404:
                raise
            return None

    def _sync(self, id_map):
        """Make the record, members and status equal to the source's.

        One JSON patch for the record (visibility and protection included:
        a new record was created private and unprotected), then members,
        then deactivation or reactivation. Never the data.
        """
        item = self.item
        source = item.source_image
        record = dict(self.dst.glance.images.get(self.dest_id))
        patch = drift.json_patch(record, drift.record_changes(
            source, record, item.dest_owner, id_map))
        if patch:
            http.patch_image(self.dst, self.dest_id, patch)
        if source.get('visibility') == 'shared':
            self._sync_members()
        deactivated = source.get('status') == 'deactivated'
        if deactivated and record.get('status') == 'active':
            self.dst.glance.images.deactivate(self.dest_id)
        elif not deactivated and record.get('status') == 'deactivated':
            self.dst.glance.images.reactivate(self.dest_id)

    def _sync_members(self):
        """Add, re-status and remove members to match the mapped source."""
        members = self.dst.glance.image_members
        current = {m['member_id']: m['status']
                   for m in members.list(self.dest_id)}
        for member in self.item.members:
            member_id = member['member_id']
            status = member['status'] or 'pending'
            if member_id not in current:
                members.create(self.dest_id, member_id)
                current[member_id] = 'pending'
            if current[member_id] != status:
                members.update(self.dest_id, member_id, status)
        wanted = {m['member_id'] for m in self.item.members}
        for member_id in sorted(set(current) - wanted):
            members.delete(self.dest_id, member_id)
