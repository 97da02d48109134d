# SPDX-License-Identifier: Apache-2.0
"""The seam for data paths that do not stream through this host.

A path such as ``glance-download`` or ``rbd`` moves an image's data into
the destination record the copy created, by asking the clouds to move it.
It is an :class:`Offload`; the copy (image_copy.ImageCopy) calls it in
place of the stream for rows whose Path names it, then verifies and
applies the record exactly as after a stream. A path that finds it
cannot take the image after all raises :class:`PathRefused` *before*
anything reached the record's data: the stream then carries the image
into the same record in the same attempt, and the row says why, unless
the operator named the path with ``--data-path`` (:attr:`Offloads.forced`).
A path may leave something behind that the stream's upload would trip
on (the rbd path: an RBD image of the record's name, after a killed
run); :attr:`Offloads.before_stream` clears it before any stream into a
``queued`` record, whatever the row's path.
"""

import dataclasses
import threading
from typing import Callable
from typing import Mapping
from typing import Protocol

from osc_image_migrate.cloud import http
from osc_image_migrate.copying import journal as copy_journal
from osc_image_migrate.planning import planner


class PathRefused(Exception):
    """The path cannot carry this image; the stream still can.

    The message says why, worded for the row (e.g. "the destination
    refused the import: HTTP 403").
    """


class Offload(Protocol):
    """One offloaded data path (see the module docstring)."""

    def send(self, item: planner.PlanItem, dest_id: str,
             journal: copy_journal.CopyJournal,
             stop: threading.Event | None,
             on_bytes: Callable[[int], None] | None = None) -> int:
        """Move ``item``'s data into ``dest_id``; bytes through this host.

        ``on_bytes`` is told of the bytes as they pass through this host
        (the run's progress). Raises PathRefused (see above), or
        http.CloudError on a failure that a retry of the image may mend.
        """
        ...


BeforeStream = Callable[
    [planner.PlanItem, str, copy_journal.CopyJournal], None]


@dataclasses.dataclass(frozen=True)
class Offloads:
    """The offloaded paths of one run, by Path name.

    ``forced``: ``--data-path`` named a path, so a refusal fails the row
    instead of falling back to the stream. ``before_stream``: called with
    the item, the record's ID and the journal before the stream fills a
    ``queued`` record (see the module docstring).
    """

    paths: Mapping[str, Offload] = dataclasses.field(default_factory=dict)
    forced: bool = False
    before_stream: BeforeStream | None = None

    def send(self, item: planner.PlanItem, dest_id: str,
             journal: copy_journal.CopyJournal,
             stop: threading.Event | None,
             on_bytes: Callable[[int], None] | None = None) -> int | None:
        """The bytes the row's path moved, or None: stream it instead."""
        offload = self.paths.get(item.path)
        if offload is not None:
            try:
                return offload.send(item, dest_id, journal, stop,
                                    on_bytes=on_bytes)
            except PathRefused as e:
                if self.forced:
                    raise http.CloudError('%s: %s' % (item.path, e)) from e
                journal.note('stream, not %s: %s' % (item.path, e))
        if self.before_stream is not None:
            self.before_stream(item, dest_id, journal)
        return None
