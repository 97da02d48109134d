# SPDX-License-Identifier: Apache-2.0
"""After an upload: does the destination's record hold the source's data?

Glance activates whatever complete body it received; nothing in its API
lets a client veto that, so bytes changed on the way in (after the
stream's own check) are only found by comparing the records afterwards.

A source record without a hash (Nova's Ceph RBD direct snapshots, images
registered from a location) or without a size has nothing to compare
with: the reference is then what the stream read from the source (its
size, and its hash in the destination's algorithm), and the copy records
it in its own properties (model.READ_PROPERTIES) so that a re-run knows
it as done (model.same_as_read).
"""

from osc_image_migrate.cloud import http
from osc_image_migrate import model


class DataMismatch(http.CloudError):
    """The destination activated data that differs from the source's."""


def verify_destination(dst, dest_id, source_image, read=None):
    """Compare the destination's own record with the source's.

    ``read``: the size and hashes of the bytes the stream read (see
    stream.transfer.VerifiedStream), the reference for a source record
    without a hash or size.
    """
    record = dst.glance.images.get(dest_id)
    if record.get('status') != 'active':
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


def _verify_as_read(dst, dest_id, source_image, record, read):
    """Verify against what was read; record it on the copy."""
    if model.same_as_read(source_image, record):
        return record
    if not read or 'size' not in read:
        raise DataMismatch(
            'the source records no %s and this run did not read the data '
            'the destination holds (an earlier run staged it): nothing to '
            'verify it against' % ' and no '.join(
                model.lacks_reference(source_image)))
    algo, value = model.read_hash(record, read.get('hashes') or {})
    if algo is None:
        # The hashes the stream computed without a source hash always
        # include md5, which Glance records as checksum: only a hash the
        # source did record (its size missing) gets here.
        algo, value = model.data_hash(source_image)
    mine = model.own_hash(record, algo) if algo else None
    if record.get('size') != read['size'] or not value or mine != value:
        raise DataMismatch(
            'destination data differs from what was read from the source '
            '(%s %.12s... vs %.12s..., size %s vs %s read; the source '
            'records no %s): changed on the way in' % (
                algo, mine, value, record.get('size'), read['size'],
                ' and no '.join(model.lacks_reference(source_image))))
    http.patch_image(dst, dest_id, [
        {'op': 'replace' if key in record else 'add', 'path': '/' + key,
         'value': str(val)}
        for key, val in ((model.READ_SIZE, read['size']),
                         (model.READ_HASH_ALGO, algo),
                         (model.READ_HASH_VALUE, value))])
    return dst.glance.images.get(dest_id)


def mark_failed(dst, dest_id, reason):
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
