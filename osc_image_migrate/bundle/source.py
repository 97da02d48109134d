# SPDX-License-Identifier: Apache-2.0
"""A bundle read as the source: the inventory, and each image's data.

The import's other half of the seam the clouds use: the manifest and the
metadata documents become the source ``model.Inventory`` (each image's
full source record as exported, the members of shared images, and the
source projects by the names and domains recorded at export), so the
planner, the selection, owner and member mapping, the ID rules and sync
work as between two clouds. A project the source Keystone could not name
at export (deleted: an orphan) is not among the projects, as with a cloud.

The manifest is the index: only the images it lists are read, each
document checked against the sha256 it records (a document changed or
copied half is refused, with ``bundle verify`` as the way to see more).
:meth:`BundleSource.copy_data` streams one data file into a destination
record through the same verified body and upload as a cloud's download
(stream/transfer.py), every chunk checked on the way
(bundle/data_reader.py).
"""

import hashlib
import os
import threading
from typing import Any
from typing import Callable
from typing import Mapping

from osc_image_migrate.bundle import data_reader
from osc_image_migrate.bundle import documents
from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import verify
from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.stream import options as stream_options
from osc_image_migrate.stream import transfer
from osc_image_migrate.stream import verified


def _document(root: str, image_id: str,
              listed: Mapping[str, Any]) -> dict[str, Any]:
    """One metadata document, checked against the manifest."""
    name = listed.get('metadata') or layout.metadata_name(image_id)
    path = os.path.join(root, name)
    try:
        with open(path, 'rb') as f:
            stored = f.read()
    except OSError as e:
        raise layout.BundleError('%s: %s' % (path, e.strerror or e))
    if hashlib.sha256(stored).hexdigest() != listed.get('metadata_sha256'):
        raise layout.BundleError(
            '%s differs from the manifest (see "openstack image migrate '
            'bundle verify %s")' % (name, root))
    document = layout.load(path)
    if (not isinstance(document, dict)
            or document.get('format') != documents.DOCUMENT_FORMAT
            or document.get('id') != image_id
            or not isinstance(document.get('image'), dict)):
        raise layout.BundleError('%s: not a metadata document of this '
                                 'bundle format' % path)
    if document.get('version') != layout.VERSION:
        raise layout.BundleError(
            '%s: bundle format version %s; this version reads %d'
            % (path, document.get('version'), layout.VERSION))
    return document


def _project(ref: Mapping[str, Any]) -> model.Project | None:
    """A project the bundle names (None: the source could not)."""
    if not ref.get('id') or not ref.get('name'):
        return None
    return model.Project(id=ref['id'], name=ref['name'],
                         domain=ref.get('domain') or 'Default')


class BundleSource:
    """Bundle ``root`` as the source of an import; load() reads it."""

    name = 'bundle'

    def __init__(self, root: str) -> None:
        self.root = root
        self.manifest: dict[str, Any] = {}
        self.documents: dict[str, dict[str, Any]] = {}

    def load(self) -> 'BundleSource':
        """Read the manifest and the documents it lists; BundleError."""
        self.manifest = verify.load_manifest(self.root)
        for image_id, listed in sorted(self.manifest['images'].items()):
            layout.metadata_name(image_id)  # a safe file name
            self.documents[image_id] = _document(self.root, image_id,
                                                 listed or {})
        return self

    def data_entry(self, image_id: str) -> dict[str, Any] | None:
        """The manifest's data entry of an image (None: no data file)."""
        listed = self.manifest['images'].get(image_id) or {}
        entry: dict[str, Any] | None = listed.get('data')
        return entry

    def inventory(self) -> model.Inventory:
        """The bundle as the planner's source inventory.

        Every project the bundle names is known (``projects_complete``),
        so an owner it could not name is an orphan, mapped by
        ``--map-project ID=...`` or ``--orphans-to``. The bundle holds the
        data: a deactivated image's is readable (``is_admin``).
        """
        images, members = {}, {}
        projects: dict[str, model.Project] = {}
        for image_id, document in self.documents.items():
            images[image_id] = dict(document['image'])
            refs = [document.get('owner') or {}]
            listed = document.get('members') or []
            if listed or document['image'].get('visibility') == 'shared':
                members[image_id] = [
                    {'member_id': m['member_id'], 'status': m.get('status')}
                    for m in listed]
            refs.extend(listed)
            for ref in refs:
                project = _project(ref)
                if project is not None:
                    projects[project.id] = project
        return model.Inventory(images=images, members=members,
                               projects=projects, is_admin=True,
                               projects_complete=True)

    def missing_data(self, image_id: str) -> str | None:
        """Why an image with data cannot be imported (None: it can).

        Checked at plan time, before a destination record is made: the
        manifest lists the data, and its file is there. Its bytes are
        checked as they stream (copy_data).
        """
        entry = self.data_entry(image_id)
        if entry is None:
            return ('its data is not in the bundle (%s: the export of it '
                    'did not finish): export it again'
                    % layout.data_name(image_id))
        if not os.path.isfile(os.path.join(self.root, entry['file'])):
            return ('%s is missing from the bundle (see "openstack image '
                    'migrate bundle verify %s")' % (entry['file'], self.root))
        return None

    def copy_data(self, dst: sessions.CloudClients,
                  source_image: Mapping[str, Any], dest_id: str, *,
                  options: stream_options.StreamOptions = (
                      transfer.DEFAULT_OPTIONS),
                  target: str = 'file', store: str | None = None,
                  on_bytes: Callable[[int], None] | None = None,
                  on_read: Callable[[model.DataRead], None] | None = None,
                  stop: threading.Event | None = None) -> transfer.Copied:
        """Stream the image's data file, verified, into ``dest_id``.

        The same arguments and result as transfer.copy_data, the bundle
        taking the source cloud's place: the record's size and hash are
        checked by the verified body before the upload's last block goes
        out, and each chunk's sha256 as it is read.
        """
        image_id = source_image['id']
        entry = self.data_entry(image_id)
        if entry is None:
            raise http.CloudError(
                'bundle: ' + (self.missing_data(image_id) or ''),
                retriable=False)
        expected = model.Expected.of(source_image)
        check = format_check.FormatCheck(
            source_image.get('disk_format'),
            source_image.get('container_format')
        ) if options.check_format else None
        response = data_reader.DataFileResponse(self.root, entry)
        try:
            body = verified.VerifiedStream(
                response, expected, options=options, check=check,
                on_bytes=on_bytes,
                on_read=on_read, stop=stop, name=image_id)
            transfer.upload(dst, dest_id, body, expected.size, target,
                            store, options)
            return transfer.Copied(body.sent, body.data_read)
        finally:
            response.close()
