# SPDX-License-Identifier: Apache-2.0
"""How a destination image compares with a source image, from data alone.

The planner finds the destination image that stands for a source image
(same ID, or one that records the source ID) and asks this module what it
holds: the same data (a copy, possibly converted by the destination), data
still to come (a record to resume), a record in another client's hands, or
other data.
"""

from osc_image_migrate import model
from osc_image_migrate.planning import conversion
from osc_image_migrate.planning import import_state

IN_PROGRESS_STATUSES = model.Status.IN_PROGRESS

PRESENT = 'present'      # holds the source's data
RESUMABLE = 'resumable'  # the data can still go in, or be checked
BUSY = 'busy'            # an upload or stage in progress (or lost)
OTHER = 'other'          # holds other data
DEAD = 'dead'            # a failed import left it importing for good

RESUME_REASONS = {
    model.Status.QUEUED: 'destination record %s is queued: upload into it',
    model.Status.UPLOADING: 'destination record %s holds a complete stage '
                            'of this image (uploading): import it',
    model.Status.IMPORTING: 'destination record %s is importing: wait for '
                            'the import',
    model.Status.ACTIVE: 'destination record %s holds this image\'s data as '
                         'imported and converted by the destination, not '
                         'checked yet (the run that imported it stopped): '
                         'check the conversion, then finish',
}


def has_data(image: model.Record) -> bool:
    """False for a record without data (e.g. a volume-backed snapshot)."""
    return not (image.get('status') == model.Status.QUEUED
                and not image.get('size'))


def holds_data_of(image: model.Record, candidate: model.Record) -> bool:
    """``candidate`` holds ``image``'s data: the same, or converted.

    A converted copy counts once its conversion was checked and marked
    (see :mod:`conversion`); its recorded source values are compared with
    ``image``, so a source whose data changed since is other data.
    """
    return (model.same_data(image, candidate)
            or model.same_as_read(image, candidate)
            or conversion.accepted(image, candidate))


def failed_check(candidate: model.Record | None) -> bool:
    """The copy failed the post-upload check (it was deactivated)."""
    return bool(candidate is not None
                and candidate.get(model.CHECK_FAILED))


def verdict(image: model.Record, candidate: model.Record) -> str:
    """One of the verdicts above for ``candidate`` standing for ``image``."""
    status = candidate.get('status')
    if import_state.is_dead(candidate):
        return DEAD
    if has_data(image) and (status == model.Status.IMPORTING
                            or import_state.is_staged(candidate,
                                                      image.get('size'))):
        return RESUMABLE
    if status in IN_PROGRESS_STATUSES:
        return BUSY
    if not has_data(image):
        return PRESENT if not has_data(candidate) else OTHER
    if status == model.Status.QUEUED:
        return RESUMABLE
    if status in model.Status.HOLDS_DATA and holds_data_of(image,
                                                           candidate):
        return PRESENT
    if conversion.awaits_check(image, candidate):
        return RESUMABLE
    return OTHER


def reference_note(image: model.Record) -> str | None:
    """What the plan says of a source record without a hash or size."""
    missing = model.lacks_reference(image)
    if not missing:
        return None
    note = 'the source records no %s' % ' and no '.join(missing)
    if 'size' in missing:
        note += ' (streamed to its end)'
    return note + (': verified against the size and hash of the bytes '
                   'read from it, not against the source\'s record')
