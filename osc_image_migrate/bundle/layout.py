# SPDX-License-Identifier: Apache-2.0
"""Where a bundle keeps what, and how a file becomes final.

A bundle is a directory::

    manifest.json           the index: format version, source cloud,
                            per image its files, size, hashes and the
                            sha256 of each chunk of its data
    images/<id>.json        the image's metadata document
    images/<id>.data        the image's data, once complete and verified
    images/<id>.data.part   data being written (never read as data)
    images/<id>.data.part.sha256
                            the sha256 of each whole chunk of the part
                            written so far, one per line
    export.lock             locked (fcntl) by the export writing into the
                            bundle, so that a second one refuses to start

Every file appears under its final name only when complete: written to a
temporary name, fsynced, renamed, and the directory fsynced (the part
file is that temporary name for the data).

CHUNK_SIZE: the data is hashed in chunks of 64 MiB. A killed export
resumes from its last whole chunk, so it loses at most one chunk (well
under a second at the ~100 MiB/s a Glance serves here); a flipped byte is
located to 64 MiB; the list stays small (16 sha256 per GiB: about 1 MB of
manifest for a 1 TiB image); each chunk is one fsync, so the page cache
never holds more than a chunk per copy unwritten; and it is a multiple of
the stream's 1 MiB block (stream/verified.py CHUNK_SIZE), so chunks start
on block boundaries. The size is recorded per image: a reader never
assumes it.
"""

import hashlib
import json
import os
from typing import Any
from typing import BinaryIO

FORMAT = 'osc-image-migrate-bundle'
VERSION = 1
CHUNK_SIZE = 64 * 1024 * 1024
# What one read from the source fills before it is written and hashed.
BLOCK_SIZE = 1024 * 1024
MANIFEST = 'manifest.json'
LOCK = 'export.lock'
IMAGES = 'images'


class BundleError(Exception):
    """A bundle that cannot be read or written; the message says why."""


def _checked(image_id: str) -> str:
    """An image ID that is safe as a file name (Glance's are UUIDs)."""
    if (not image_id or image_id.startswith('.') or '/' in image_id
            or '\0' in image_id):
        raise BundleError('image ID %r cannot name a bundle file'
                          % image_id)
    return image_id


def metadata_name(image_id: str) -> str:
    """The metadata document's path, relative to the bundle."""
    return '%s/%s.json' % (IMAGES, _checked(image_id))


def data_name(image_id: str) -> str:
    """The data file's path, relative to the bundle."""
    return '%s/%s.data' % (IMAGES, _checked(image_id))


def part_name(image_id: str) -> str:
    return data_name(image_id) + '.part'


def sums_name(image_id: str) -> str:
    return part_name(image_id) + '.sha256'


def chunk_sha256(f: BinaryIO, length: int,
                 block_size: int = BLOCK_SIZE) -> tuple[str, int]:
    """The sha256 of the next ``length`` bytes of ``f``, and how many.

    Fewer than ``length`` bytes are read only at the file's end. The
    export's resumption and ``bundle verify`` check chunks with it.
    """
    chunk = hashlib.sha256()
    got = 0
    while got < length:
        piece = f.read(min(block_size, length - got))
        if not piece:
            break
        chunk.update(piece)
        got += len(piece)
    return chunk.hexdigest(), got


def fsync_dir(path: str) -> None:
    """Make the renames inside directory ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str, content: bytes) -> None:
    """``path`` holds ``content``, or what it held before: never half."""
    folder = os.path.dirname(path) or '.'
    temp = '%s.tmp-%d' % (path, os.getpid())
    try:
        with open(temp, 'wb') as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    fsync_dir(folder)


def dump(document: Any) -> bytes:
    """The bytes of a JSON document as a bundle stores it."""
    return (json.dumps(document, indent=1, sort_keys=True) + '\n').encode()


def load(path: str) -> Any:
    """The JSON document at ``path``; None when there is no such file."""
    try:
        with open(path, 'rb') as f:
            return json.loads(f.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise BundleError('%s: %s' % (path, e))
