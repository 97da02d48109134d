# SPDX-License-Identifier: Apache-2.0
"""The documents of a bundle, built from plain data (no file is touched).

``images/<id>.json``, one per image::

    format, version     "osc-image-migrate-bundle-image", layout.VERSION
    id                  the source image ID (the file names use it)
    image               the full source record, as the source Glance
                        answered it when last exported
    owner               {"id", "name", "domain"}: the owner project as the
                        source Keystone names it (name and domain null
                        when it was deleted, or could not be listed)
    members             [{"member_id", "status", "name", "domain"}]
    source              {"cloud", "image_endpoint", "identity_endpoint"}
    data                null (no data yet, or none in the source), or the
                        data file: see data_entry
    exported_at         when first written; updated_at: last written
    drift               [{"at", "changes"}]: what changed in the source
                        between exports (field: {"old", "new"})

``manifest.json``: format, version, source, written_at, and ``images``:
per image ID its name, the metadata document's file and sha256, and its
data entry (null without data).
"""

import datetime
import hashlib
from typing import Any
from typing import Iterable
from typing import Mapping

from osc_image_migrate.bundle import export
from osc_image_migrate.bundle import layout
from osc_image_migrate import model

DOCUMENT_FORMAT = layout.FORMAT + '-image'


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def project_ref(projects: Mapping[str, model.Project],
                project_id: str | None) -> dict[str, Any]:
    """A project as the bundle names it: ID, and name and domain if known."""
    project = projects.get(project_id) if project_id else None
    return {'id': project_id,
            'name': project.name if project else None,
            'domain': project.domain if project else None}


def data_entry(image_id: str, image: model.Record,
               data: export.DataFile) -> dict[str, Any]:
    """What the bundle knows of an accepted data file.

    ``verified_against`` says what the bytes were compared with at
    export: the source record's size and hash, or (a record without a
    hash) nothing but what was read, whose hashes are ``read``.
    """
    against: dict[str, Any] = {'size': image.get('size')}
    if data.digest:
        against.update(os_hash_algo=data.algo, os_hash_value=data.digest)
    else:
        against['read'] = dict(data.read)
    return {
        'file': layout.data_name(image_id),
        'size': data.size,
        'os_hash_algo': image.get('os_hash_algo'),
        'os_hash_value': image.get('os_hash_value'),
        'checksum': image.get('checksum'),
        'chunk_size': data.chunk_size,
        'chunk_sha256': list(data.chunks),
        'verified_against': against,
    }


def metadata_document(image: model.Record, members: Iterable[model.Record],
                      projects: Mapping[str, model.Project],
                      source: Mapping[str, Any],
                      data: dict[str, Any] | None,
                      previous: Mapping[str, Any] | None = None,
                      changes: Mapping[str, Any] | None = None,
                      at: str | None = None) -> dict[str, Any]:
    """An image's metadata document; ``previous`` is the one it replaces.

    ``changes`` (drift.as_dict of the plan's changes): what changed in
    the source since ``previous``, added to its drift history.
    """
    at = at or now()
    previous = previous or {}
    drift = list(previous.get('drift') or [])
    if changes:
        drift.append({'at': at, 'changes': dict(changes)})
    return {
        'format': DOCUMENT_FORMAT,
        'version': layout.VERSION,
        'id': image['id'],
        'image': image,
        'owner': project_ref(projects, image.get('owner')),
        'members': [dict(project_ref(projects, m['member_id']),
                         member_id=m['member_id'], status=m.get('status'))
                    for m in members],
        'source': dict(source),
        'data': data,
        'exported_at': previous.get('exported_at') or at,
        'updated_at': at,
        'drift': drift,
    }


def manifest(source: Mapping[str, Any],
             documents: Mapping[str, tuple[Mapping[str, Any], bytes]],
             at: str | None = None) -> dict[str, Any]:
    """The manifest of a bundle whose documents are ``documents``.

    ``documents`` maps image ID to (document, its bytes as stored).
    """
    return {
        'format': layout.FORMAT,
        'version': layout.VERSION,
        'source': dict(source),
        'written_at': at or now(),
        'chunk_size': layout.CHUNK_SIZE,
        'images': {
            image_id: {
                'name': (document.get('image') or {}).get('name'),
                'metadata': layout.metadata_name(image_id),
                'metadata_sha256': hashlib.sha256(stored).hexdigest(),
                'data': document.get('data'),
            } for image_id, (document, stored) in sorted(documents.items())
        },
    }
