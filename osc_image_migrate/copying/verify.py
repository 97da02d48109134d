# SPDX-License-Identifier: Apache-2.0
"""After an upload: does the destination's record hold the source's data?

Glance activates whatever complete body it received; nothing in its API
lets a client veto that, so bytes changed on the way in (after the
stream's own check) are only found by comparing the records afterwards.
"""

from osc_image_migrate.cloud import http
from osc_image_migrate import model


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
