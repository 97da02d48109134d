# SPDX-License-Identifier: Apache-2.0
"""A bundle checked against its manifest, chunk by chunk, with no cloud.

Every image the manifest lists: its metadata document against the sha256
the manifest records, and its data file against the recorded size and the
sha256 of each chunk, so a copied bundle (a disk shipped, a directory
synced) can be trusted before it is imported. A document the manifest
does not list is reported too: the manifest is written at the end of an
export, so a killed export leaves one unlisted until the next run.
"""

import dataclasses
import hashlib
import os
from typing import Any

from osc_image_migrate.bundle import layout

OK = 'ok'
FAILED = 'failed'
# Differing chunks named in a row, at most (then a count).
SHOWN_CHUNKS = 5


@dataclasses.dataclass(frozen=True)
class Check:
    """One image's verdict: a row of ``bundle verify``."""

    image_id: str
    name: str | None
    size: int | None
    result: str
    detail: str = ''


def load_manifest(root: str) -> dict[str, Any]:
    """The bundle's manifest; layout.BundleError if it is not one."""
    path = os.path.join(root, layout.MANIFEST)
    if not os.path.isdir(root):
        raise layout.BundleError('%s is not a directory' % root)
    manifest = layout.load(path)
    if manifest is None:
        raise layout.BundleError('%s: no manifest (%s): not a bundle, or '
                                 'an export that never finished a run'
                                 % (root, layout.MANIFEST))
    if (not isinstance(manifest, dict)
            or manifest.get('format') != layout.FORMAT
            or not isinstance(manifest.get('images'), dict)):
        raise layout.BundleError('%s: not a manifest of this bundle format'
                                 % path)
    if manifest.get('version') != layout.VERSION:
        raise layout.BundleError(
            '%s: bundle format version %s; this version reads %d'
            % (path, manifest.get('version'), layout.VERSION))
    return manifest


def _sha256(path: str) -> str | None:
    try:
        with open(path, 'rb') as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None


def check_data(root: str, data: dict[str, Any],
               block_size: int = layout.BLOCK_SIZE) -> list[str]:
    """What is wrong with one data file (empty: nothing)."""
    name = data['file']
    path = os.path.join(root, name)
    chunk_size = data['chunk_size']
    listed = data['chunk_sha256']
    try:
        f = open(path, 'rb')
    except FileNotFoundError:
        return ['%s is missing' % name]
    differ, short = [], None
    with f:
        for index, wanted in enumerate(listed):
            digest, got = layout.chunk_sha256(f, chunk_size, block_size)
            start = index * chunk_size
            if got < min(chunk_size, data['size'] - start):
                short = '%s ends at byte %d, in chunk %d: truncated' % (
                    name, start + got, index)
                break
            if digest != wanted:
                differ.append('%d (bytes %d-%d)' % (index, start,
                                                    start + got - 1))
        extra = f.read(1)
    problems = []
    if differ:
        shown = ', '.join(differ[:SHOWN_CHUNKS])
        if len(differ) > SHOWN_CHUNKS:
            shown += ' and %d more' % (len(differ) - SHOWN_CHUNKS)
        problems.append('%s: chunk %s differs' % (name, shown))
    if short:
        problems.append(short)
    size = os.path.getsize(path)
    if size != data['size'] and not short:
        problems.append('%s holds %d bytes, the manifest says %d%s' % (
            name, size, data['size'], ' (longer)' if extra else ''))
    return problems


def verify(root: str, block_size: int = layout.BLOCK_SIZE) -> list[Check]:
    """One Check per image of the manifest, and per unlisted document."""
    manifest = load_manifest(root)
    checks = []
    for image_id, entry in sorted(manifest['images'].items()):
        problems = []
        metadata = entry.get('metadata') or layout.metadata_name(image_id)
        found = _sha256(os.path.join(root, metadata))
        if found is None:
            problems.append('%s is missing' % metadata)
        elif found != entry.get('metadata_sha256'):
            problems.append('%s differs from the manifest' % metadata)
        data = entry.get('data')
        if data:
            problems += check_data(root, data, block_size)
        checks.append(Check(image_id, entry.get('name'),
                            data.get('size') if data else None,
                            FAILED if problems else OK,
                            '; '.join(problems)))
    folder = os.path.join(root, layout.IMAGES)
    names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    for name in names:
        image_id = name[:-len('.json')]
        if (name.endswith('.json') and '.tmp-' not in name
                and image_id not in manifest['images']):
            checks.append(Check(
                image_id, None, None, FAILED,
                '%s/%s is not in the manifest (an export stopped before '
                'writing it: run the export again)' % (layout.IMAGES, name)))
    return checks
