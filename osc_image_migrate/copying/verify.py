"""After an upload: does the destination's record hold the source's data?

Glance activates whatever complete body it received; nothing in its API
lets a client veto that, so bytes changed on the way in (after the
stream's own check) are only found by comparing the records afterwards.

What is done with such a copy instead of deleting it (which would burn its
ID): it is deactivated, so that nobody boots it. A copy the destination
converted on import (e.g. qcow2 to raw) differs from the source by design:
it is accepted only on the evidence that conversion.py lists, and marked
so (see glance_import.check_conversion).
"""

from osc_image_migrate.cloud import http
from osc_image_migrate.copying import glance_import
from osc_image_migrate import model
from osc_image_migrate.planning import conversion


class DataMismatch(http.CloudError):
    """The destination activated data that differs from the source's."""


def verify_destination(dst, dest_id, source_image):
    """Compare the destination's own record with the source's."""
    record = dst.glance.images.get(dest_id)
    if record.get('status') != 'active':
        raise http.CloudError('destination image is %s after upload'
                              % record.get('status'), retriable=True)
    if not model.same_data(source_image, record):
        algo, theirs, mine = model.compared_hashes(source_image, record)
        raise DataMismatch(
            'destination data differs from the source after upload '
            '(%s %.12s... vs %.12s..., size %s vs %s): changed on the way '
            'in' % (algo, mine, theirs, record.get('size'),
                    source_image.get('size')))
    return record


def check_copy(dst, dest_id, source_image, import_request=None, stop=None):
    """Verify the copy; accept a conversion or deactivate other data.

    Returns the note of an accepted conversion ('' for a copy of the
    source's data). ``import_request`` is the request ID of this copy's
    import, if it started one (see conversion.problems). A copy that
    holds other data is deactivated and reported as a final error.
    """
    try:
        verify_destination(dst, dest_id, source_image)
    except DataMismatch as mismatch:
        try:
            return accept_conversion(dst, dest_id, source_image, mismatch,
                                     import_request, stop)
        except DataMismatch as e:
            raise contain(dst, dest_id, e)
    return ''


def accept_conversion(dst, dest_id, source_image, mismatch,
                      import_request=None, stop=None):
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


def contain(dst, dest_id, error):
    """Deactivate a copy that holds other data; the error that says so.

    Deactivated, not deleted (that would burn its ID): nobody boots it,
    and a re-run copies to a new ID.
    """
    try:
        dst.glance.images.deactivate(dest_id)
        contained = ('deactivated destination image %s so that '
                     'nobody uses it; a re-run copies to a new ID'
                     % dest_id)
    except http.CloudError as failure:
        contained = ('could not deactivate destination image %s '
                     '(HTTP %s): do not use it' % (dest_id, failure.status))
    return http.CloudError('%s; %s' % (error, contained))


def _sized(record):
    return 'size %s, virtual size %s' % (record.get('size'),
                                         record.get('virtual_size'))
