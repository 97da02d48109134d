# SPDX-License-Identifier: Apache-2.0
"""What a destination record says about its glance-direct import.

Pure functions of an image record, shared by the planner and the copy.
Measured on Glance 33: during a stage the record is ``uploading`` without a
size, and Glance sets the size only once the stage completed; an import
that fails in its store step leaves the record ``importing`` for good with
the failed stores in ``os_glance_failed_import`` (neither a new stage nor a
new import is accepted: 409).
"""

from osc_image_migrate import model

FAILED_IMPORT = 'os_glance_failed_import'


def failed_stores(record: model.Record) -> list[str]:
    """The stores a failed import names (``os_glance_failed_import``)."""
    return [s for s in (record.get(FAILED_IMPORT) or '').split(',') if s]


def is_dead(record: model.Record) -> bool:
    """An import failed and left the record ``importing``: no way back."""
    return record.get('status') == model.Status.IMPORTING and bool(
        failed_stores(record))


def is_staged(record: model.Record, size: int | None) -> bool:
    """A complete stage of ``size`` bytes waits to be imported.

    A stage of ours completes only after the stream was verified (the last
    chunk is held back until then), and a cut stage puts the record back
    to ``queued``; so a complete stage of the right size holds verified
    bytes unless another client staged into the record.
    """
    return (record.get('status') == model.Status.UPLOADING and size is not None
            and record.get('size') == size)
