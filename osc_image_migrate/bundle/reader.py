# SPDX-License-Identifier: Apache-2.0
"""A bundle read as an inventory: what the planner compares with.

Each metadata document becomes the record a destination cloud would hold
for the image, so the planner decides as it does between two clouds:
nothing there is ``copy``; a document whose data is not accepted yet is a
``queued`` record (``resume``); one with its data is the source record as
exported, whose differences from today's source are drift (``update``,
``finish``) and whose same data is ``skip``. The view records the source
ID (model.SOURCE_ID_PROPERTY), so images deleted from the source since an
export are listed, never deleted; and its size and hashes are those of
the data file (for a record without a hash: what was read,
model.READ_PROPERTIES), which is what "same data" means for it.
"""

import dataclasses
import os
from typing import Any

from osc_image_migrate.bundle import layout
from osc_image_migrate import model
from osc_image_migrate.planning import comparison


@dataclasses.dataclass
class BundleContents:
    """The documents of a bundle and the data it already holds.

    ``documents``: image ID -> metadata document; ``written``: image ID ->
    bytes of data already on disk towards an unfinished image (its part,
    or a data file whose document does not list it yet).
    """

    root: str
    documents: dict[str, dict[str, Any]]
    written: dict[str, int]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def read(root: str) -> BundleContents:
    """Every metadata document of bundle ``root`` (none if it is new)."""
    folder = os.path.join(root, layout.IMAGES)
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        names = []
    except OSError as e:
        raise layout.BundleError('%s: %s' % (folder, e.strerror or e))
    documents, written = {}, {}
    for name in names:
        if not name.endswith('.json') or '.tmp-' in name:
            continue
        document = layout.load(os.path.join(folder, name))
        if not isinstance(document, dict) or not isinstance(
                document.get('image'), dict) or document.get('id') != (
                name[:-len('.json')]):
            raise layout.BundleError(
                '%s: not a metadata document of this bundle format'
                % os.path.join(folder, name))
        image_id = document['id']
        documents[image_id] = document
        if not complete(root, document):
            written[image_id] = max(
                _size(os.path.join(root, layout.part_name(image_id))),
                _size(os.path.join(root, layout.data_name(image_id))))
    return BundleContents(root, documents, written)


def complete(root: str, document: dict[str, Any]) -> bool:
    """The document lists its data, and the data file has that size."""
    data = document.get('data') or {}
    path = os.path.join(root, layout.data_name(document['id']))
    return bool(data) and os.path.exists(path) and (
        _size(path) == data.get('size'))


def view(contents: BundleContents, image_id: str) -> model.Record:
    """The record a destination would hold for this document's image."""
    document = contents.documents[image_id]
    record = dict(document['image'])
    record[model.SOURCE_ID_PROPERTY] = image_id
    data: dict[str, Any] = document.get('data') or {}
    if complete(contents.root, document):
        record.update(size=data['size'], os_hash_algo=data['os_hash_algo'],
                      os_hash_value=data['os_hash_value'],
                      checksum=data['checksum'])
        read = (data.get('verified_against') or {}).get('read')
        if read:
            record.update({
                model.READ_SIZE: str(data['size']),
                model.READ_HASH_ALGO: model.READ_ALGOS[0],
                model.READ_HASH_VALUE: read[model.READ_ALGOS[0]],
                'os_hash_algo': model.READ_ALGOS[0],
                'os_hash_value': read[model.READ_ALGOS[0]],
                'checksum': read.get('md5')})
    elif comparison.has_data(record):
        record['status'] = model.Status.QUEUED
    return record


def inventory(contents: BundleContents,
              source: model.Inventory) -> model.Inventory:
    """The bundle as the planner's destination, beside ``source``.

    The bundle keeps the source's projects (a copy's owner and members
    are the source's own): its projects are the source's.
    """
    members = {
        image_id: [{'member_id': m['member_id'], 'status': m.get('status')}
                   for m in document.get('members') or []]
        for image_id, document in contents.documents.items()}
    return model.Inventory(
        images={image_id: view(contents, image_id)
                for image_id in contents.documents},
        members=members, projects=dict(source.projects),
        project_id=source.project_id, is_admin=True,
        projects_complete=source.projects_complete)
