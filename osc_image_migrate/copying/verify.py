# SPDX-License-Identifier: Apache-2.0
"""After an upload: does the destination's record hold the source's data?

Glance activates whatever complete body it received; nothing in its API
lets a client veto that, so bytes changed on the way in (after the
stream's own check) are only found by comparing the records afterwards.

What is done with such a copy instead of deleting it (which would burn its
ID): it is deactivated, so that nobody boots it. A copy the destination
converted on import (e.g. qcow2 to raw) differs from the source by design:
it is accepted only on the evidence that conversion.py lists, and marked
so (see glance_import.check_conversion).

A source record without a hash (Nova's Ceph RBD direct snapshots, images
registered from a location) or without a size has nothing to compare
with: the reference is then what the stream read from the source (its
size, and its hash in the destination's algorithm), and the copy records
it in its own properties (model.READ_PROPERTIES) so that a re-run knows
it as done (model.same_as_read).
"""

import threading

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate.copying import glance_import
from osc_image_migrate import model
from osc_image_migrate.planning import conversion


class DataMismatch(http.CloudError):
    """The destination activated data that differs from the source's."""


def verify_destination(dst: sessions.CloudClients, dest_id: str,
                       source_image: model.Record,
                       read: model.DataRead | None = None) -> model.Record:
    """Compare the destination's own record with the source's.

    ``read``: the size and hashes of the bytes the stream read (the
    journal's ``data_read``), the reference for a source record without a
    hash or size.
    """
    record = dst.glance.images.get(dest_id)
    if record.get('status') != model.Status.ACTIVE:
        raise http.CloudError('destination image is %s after upload'
                              % record.get('status'), retriable=True)
    if model.lacks_reference(source_image):
        return _verify_as_read(dst, dest_id, source_image, record, read)
    if not model.same_data(source_image, record):
        algo, theirs, mine = model.compared_hashes(source_image, record)
        raise DataMismatch(
            'destination data differs from the source after upload '
            '(%s %.12s... vs %.12s..., size %s vs %s): changed on the way '
            'in' % (algo, mine, theirs, record.get('size'),
                    source_image.get('size')))
    return record


def check_copy(dst: sessions.CloudClients, dest_id: str,
               source_image: model.Record,
               import_request: str | None = None,
               stop: threading.Event | None = None,
               read: model.DataRead | None = None) -> str:
    """Verify the copy; accept a conversion or deactivate other data.

    Returns the note for the row: that of an accepted conversion, or what
    a source without a hash or size was verified against ('' for a copy
    of the source's data). ``import_request`` is the request ID of this
    copy's import, if it started one (see conversion.problems); ``read``
    what the stream read (see verify_destination). A copy that holds
    other data is marked, deactivated and reported as a final error.
    """
    try:
        verify_destination(dst, dest_id, source_image, read)
    except DataMismatch as mismatch:
        try:
            return accept_conversion(dst, dest_id, source_image, mismatch,
                                     import_request, stop)
        except DataMismatch as e:
            mark_failed(dst, dest_id, str(e))
            raise contain(dst, dest_id, e,
                          new_id=dest_id != source_image.get('id'))
    missing = model.lacks_reference(source_image)
    if missing:
        return ('the source records no %s: verified against the bytes '
                'read from it' % ' and no '.join(missing))
    return ''


def accept_conversion(dst: sessions.CloudClients, dest_id: str,
                      source_image: model.Record, mismatch: DataMismatch,
                      import_request: str | None = None,
                      stop: threading.Event | None = None) -> str:
    """The note of an accepted conversion; else raise the mismatch.

    A record that shows no conversion at all holds other data:
    ``mismatch`` (what verify_destination found) is raised. One that
    shows a conversion without its evidence is refused with what is
    missing; an accepted one is marked on the record.
    """
    record, problems = glance_import.check_conversion(
        dst, dest_id, source_image, import_request, stop)
    if problems is None:
        raise mismatch
    if problems:
        raise DataMismatch(
            'destination image is %s (%s), and the evidence of a '
            'conversion of the verified data is missing: %s' % (
                conversion.label(source_image, record),
                _sized(record), '; '.join(problems)))
    glance_import.mark_converted(dst, dest_id, source_image, record)
    return conversion.describe(source_image, record)


def contain(dst: sessions.CloudClients, dest_id: str, error: Exception,
            new_id: bool = False) -> http.CloudError:
    """Deactivate a copy that holds other data; the error that says so.

    Deactivated, not deleted (that would burn its ID): nobody boots it.
    A copy under the source's ID is copied again to a new ID, once; a
    copy under a new ID (``new_id``) is not copied again: the plan blocks
    the image (model.CHECK_FAILED), so re-runs never make a row of them.
    """
    try:
        dst.glance.images.deactivate(dest_id)
        contained = ('deactivated destination image %s so that nobody uses '
                     'it; %s' % (dest_id, (
                         're-runs do not copy it again (the plan blocks it)'
                         if new_id else 'a re-run copies to a new ID, once')))
    except http.CloudError as failure:
        contained = ('could not deactivate destination image %s '
                     '(HTTP %s): do not use it' % (dest_id, failure.status))
    return http.CloudError('%s; %s' % (error, contained))


def _sized(record: model.Record) -> str:
    return 'size %s, virtual size %s' % (record.get('size'),
                                         record.get('virtual_size'))


def _verify_as_read(dst: sessions.CloudClients, dest_id: str,
                    source_image: model.Record, record: model.Record,
                    read: model.DataRead | None) -> model.Record:
    """Verify against what was read; record it on the copy."""
    if model.same_as_read(source_image, record):
        return record
    if read is None:
        raise DataMismatch(
            'the source records no %s and this run did not read the data '
            'the destination holds (an earlier run staged it): nothing to '
            'verify it against' % ' and no '.join(
                model.lacks_reference(source_image)))
    algo, value = model.read_hash(record, read.hashes)
    if algo is None:
        # The hashes the stream computed without a source hash always
        # include md5, which Glance records as checksum: only a hash the
        # source did record (its size missing) gets here.
        algo, value = model.data_hash(source_image)
    mine = model.own_hash(record, algo) if algo else None
    if record.get('size') != read.size or not value or mine != value:
        raise DataMismatch(
            'destination data differs from what was read from the source '
            '(%s %.12s... vs %.12s..., size %s vs %s read; the source '
            'records no %s): changed on the way in' % (
                algo, mine, value, record.get('size'), read.size,
                ' and no '.join(model.lacks_reference(source_image))))
    http.patch_image(dst, dest_id, [
        {'op': 'replace' if key in record else 'add', 'path': '/' + key,
         'value': str(val)}
        for key, val in ((model.READ_SIZE, read.size),
                         (model.READ_HASH_ALGO, algo),
                         (model.READ_HASH_VALUE, value))])
    return dst.glance.images.get(dest_id)


def mark_failed(dst: sessions.CloudClients, dest_id: str,
                reason: str) -> bool:
    """Record on a copy that it failed the check (model.CHECK_FAILED).

    Best effort: the deactivation that follows is what keeps it unused.
    """
    try:
        http.patch_image(dst, dest_id, [{
            'op': 'add', 'path': '/' + model.CHECK_FAILED,
            'value': reason[:255]}])
    except http.CloudError:
        return False
    return True
