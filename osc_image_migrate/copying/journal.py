# SPDX-License-Identifier: Apache-2.0
"""What one image's copy has done that outlives a step and an attempt.

The steps of a copy (copying/image_copy.py) write to its journal as things
happen, since a step that fails half-way has done them all the same, and
the next step or the next attempt reads them:

    notes             the row's notes (why a new ID, how the data went in)
    import_request    the request ID of the import this copy started: it
                      names the import's task (see planning/conversion.py),
                      read by verify.check_copy
    upload_broke_at   when this copy's upload into its record broke off
                      (``time.monotonic()``): the record may stay
                      ``saving`` for a moment (record.settled_status)
    data_read         what the stream read of a source record without a
                      hash or size: the reference verify.check_copy
                      verifies the copy against (model.DataRead)
    stream_hint       what may block the stream's upload that this tool
                      cannot look at (an RBD image an interrupted rbd copy
                      left, in a destination without Ceph settings):
                      said with the error if the stream fails
"""

import dataclasses
import time

from osc_image_migrate import model


@dataclasses.dataclass
class CopyJournal:
    """The state one copy's steps share; see the module docstring."""

    notes: list[str] = dataclasses.field(default_factory=list)
    import_request: str | None = None
    upload_broke_at: float | None = None
    data_read: model.DataRead | None = None
    stream_hint: str | None = None

    def note(self, text: str) -> None:
        """A note for the row ('' adds none)."""
        if text:
            self.notes.append(text)

    def import_started(self, request_id: str | None) -> None:
        self.import_request = request_id

    def upload_broke(self) -> None:
        self.upload_broke_at = time.monotonic()

    def stream_read(self, read: model.DataRead) -> None:
        """The stream verified what it read (kept if the upload fails)."""
        self.data_read = read

    def detail(self) -> str:
        """The row's detail: the notes, in the order they were made."""
        return '; '.join(self.notes)
