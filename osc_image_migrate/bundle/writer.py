# SPDX-License-Identifier: Apache-2.0
"""The bundle as a destination: its records and its manifest written.

What a destination cloud does for a copy, a bundle does with files:
``reserve`` is the record created before the data (a metadata document
without data), ``accept`` the record once its data is verified (the
document with its data entry), and ``refresh`` the metadata synced on a
re-run (the document rewritten, the drift recorded). Every document is
written whole (layout.write_atomic). The manifest is written from all the
documents at the end of each run (``write_manifest``), so a run killed
before that leaves the previous manifest; the next run writes it again.
"""

import fcntl
import os
import threading
from typing import Any
from typing import Mapping

from osc_image_migrate.bundle import documents
from osc_image_migrate.bundle import export
from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import reader
from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.planning import drift
from osc_image_migrate.planning import planner


def source_description(clients: Any,
                       cloud: str | None = None) -> dict[str, Any]:
    """The source cloud's name and endpoints, as a manifest records them.

    ``clients``: the source's sessions.CloudClients; ``cloud``: its name
    in clouds.yaml (``--os-cloud``), if given. An endpoint that cannot be
    found is recorded as null.
    """
    endpoints: dict[str, Any] = {'cloud': cloud or clients.name}
    for key, adapter in (('image_endpoint', clients.image),
                         ('identity_endpoint', clients.identity)):
        try:
            endpoints[key] = adapter.get_endpoint()
        except Exception:  # noqa: a description, never a failure
            endpoints[key] = None
    return endpoints


class BundleWriter:
    """Writes the documents of bundle ``root`` for one run.

    ``source``: source_description(); ``projects``: the source's projects
    by ID (names and domains for owners and members).
    """

    def __init__(self, root: str, source: Mapping[str, Any],
                 projects: Mapping[str, model.Project]) -> None:
        self.root = root
        self.source = dict(source)
        self.projects = projects
        self._lock = threading.Lock()
        self._lock_fd: int | None = None

    def create(self) -> None:
        """Make the bundle directory (its parent must exist)."""
        try:
            os.makedirs(os.path.join(self.root, layout.IMAGES),
                        exist_ok=True)
        except OSError as e:
            raise layout.BundleError('bundle %s: %s' % (
                self.root, e.strerror or e))

    def lock(self) -> None:
        """Hold the bundle's lock file until unlock() or the process ends.

        Two exports writing one bundle at once would each take the
        other's part file for their own and mix their chunks; the second
        is refused instead. The kernel drops an fcntl lock with its
        process, so a killed export never leaves the bundle locked.
        """
        path = os.path.join(self.root, layout.LOCK)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise layout.BundleError('bundle %s: %s' % (
                self.root, e.strerror or e))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode('ascii', 'replace').strip()
            os.close(fd)
            raise layout.BundleError(
                'bundle %s is being written by another export%s; run this '
                'one when it has ended' % (
                    self.root,
                    ' (process %s)' % holder if holder.isdigit() else ''))
        os.ftruncate(fd, 0)
        os.pwrite(fd, b'%d\n' % os.getpid(), 0)
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _path(self, image_id: str) -> str:
        return os.path.join(self.root, layout.metadata_name(image_id))

    def _write(self, item: planner.PlanItem, data: dict[str, Any] | None,
               previous: Mapping[str, Any] | None,
               changes: Mapping[str, Any] | None = None) -> None:
        # The planner set source_image on every item a copy runs.
        assert item.source_image is not None
        document = documents.metadata_document(
            item.source_image, item.members, self.projects, self.source,
            data, previous, changes)
        path = self._path(item.source_id)
        try:
            layout.write_atomic(path, layout.dump(document))
        except OSError as e:
            raise http.CloudError('bundle: cannot write %s: %s' % (
                path, e.strerror or e), retriable=False)

    def reserve(self, item: planner.PlanItem) -> None:
        """The image's document before its data (data null)."""
        previous = layout.load(self._path(item.source_id))
        self._write(item, previous.get('data') if previous else None,
                    previous)

    def accept(self, item: planner.PlanItem,
               data: export.DataFile | None) -> None:
        """The document with its accepted data (None: keep the old entry).

        The part's chunk list is no longer needed once the document lists
        the chunks.
        """
        previous = layout.load(self._path(item.source_id)) or {}
        assert item.source_image is not None
        entry = (documents.data_entry(item.source_id, item.source_image,
                                      data)
                 if data is not None else previous.get('data'))
        changes = drift.as_dict(item.changes) if item.changes else None
        self._write(item, entry, previous, changes)
        try:
            os.unlink(os.path.join(self.root,
                                   layout.sums_name(item.source_id)))
        except FileNotFoundError:
            pass

    def write_manifest(self) -> None:
        """The manifest of every document the bundle holds now.

        One that cannot be written (a full disk) leaves the previous one,
        which claims nothing the bundle lacks: a BundleError.
        """
        path = os.path.join(self.root, layout.MANIFEST)
        with self._lock:
            contents = reader.read(self.root)
            stored = {}
            try:
                for image_id in contents.documents:
                    with open(self._path(image_id), 'rb') as f:
                        raw = f.read()
                    stored[image_id] = (contents.documents[image_id], raw)
                layout.write_atomic(path, layout.dump(
                    documents.manifest(self.source, stored)))
            except OSError as e:
                raise layout.BundleError(
                    'bundle %s: cannot write %s: %s; the next run writes '
                    'it' % (self.root, layout.MANIFEST, e.strerror or e))
