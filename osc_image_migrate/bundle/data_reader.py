# SPDX-License-Identifier: Apache-2.0
"""A bundle's data file read as a source download, chunk by chunk checked.

The import streams the file through the same verified body as a cloud's
download (stream/verified.py VerifiedStream, which checks the record's
size and hash before the upload's last block goes out). That body reads a
response: :class:`DataFileResponse` is one over the file. Its
``body_reader`` reads the file straight into the stream's blocks (one
copy, from the page cache); with a rate limit the download reads its
``raw`` with ``read1`` instead, as it reads urllib3's, and paces the
pieces (stream/download.py).

On the way, each chunk of the manifest's ``chunk_size`` is hashed with
sha256 and compared with the manifest's list as soon as its last byte is
read, so the row names the chunk that differs, and the upload is aborted
then, before any later byte is read. Checking while streaming, rather
than chunk by chunk before the upload, reads the file once: a disk of
images is read at the speed of the upload, not twice. A file that ends
early is named with the chunk it ends in; one longer than the manifest
says is refused at the manifest's size. What fails raises http.CloudError
(not retriable: reading the same file again gives the same bytes), which
the verified body turns into an aborted upload.
"""

import os
from typing import Any

from osc_image_migrate.cloud import http
from osc_image_migrate.stream import hashing


def _bad_file(message: str) -> http.CloudError:
    return http.CloudError('bundle: %s' % message, retriable=False)


class _ChunkCheckedFile:
    """A data file read chunk by chunk, each chunk's sha256 checked."""

    def __init__(self, path: str, name: str, size: int, chunk_size: int,
                 chunks: list[str]) -> None:
        self.name = name
        self.size = size
        self.chunk_size = chunk_size
        self.chunks = chunks
        try:
            self.file: Any = open(path, 'rb')
        except OSError as e:
            raise _bad_file('cannot read %s: %s' % (name, e.strerror or e))
        self.position = 0
        self.index = 0
        # The running chunk's sha256, made at its first byte: a thread
        # of its own, ended at the chunk's end or by close().
        self.hash: hashing.BackgroundHash | None = None

    def readinto(self, view: memoryview) -> int:
        """Bytes into ``view``, never across a chunk's end; 0 at the end.

        The bytes read are hashed from ``view`` in the chunk's thread:
        the caller must not change them afterwards (the stream's blocks
        are never written again once filled).
        """
        if self.position >= self.size:
            self._check_end()
            return 0
        in_chunk = self.chunk_size - self.position % self.chunk_size
        want = min(in_chunk, self.size - self.position, len(view))
        try:
            n = self.file.readinto(view[:want])
        except OSError as e:
            raise _bad_file('cannot read %s: %s' % (self.name,
                                                    e.strerror or e))
        if not n:
            raise _bad_file('%s ends at byte %d, in chunk %d: truncated '
                            '(the manifest says %d bytes)' % (
                                self.name, self.position, self.index,
                                self.size))
        if self.hash is None:
            self.hash = hashing.BackgroundHash('sha256')
        self.hash.update(view[:n])
        self.position += n
        if (self.position % self.chunk_size == 0
                or self.position == self.size):
            self._check_chunk()
        return n

    def read1(self, n: int = -1, decode_content: bool = True) -> bytes:
        """Up to ``n`` bytes, never across a chunk's end; b'' at the end."""
        want = self.chunk_size if n is None or n < 0 else n
        piece = bytearray(min(want, self.chunk_size))
        got = self.readinto(memoryview(piece))
        return bytes(piece[:got])

    def _check_chunk(self) -> None:
        assert self.hash is not None  # read1 fed it this chunk's bytes
        digest = self.hash.hexdigest()
        self.hash = None
        start = self.index * self.chunk_size
        wanted = (self.chunks[self.index]
                  if self.index < len(self.chunks) else None)
        if digest != wanted:
            raise _bad_file('%s: chunk %d (bytes %d-%d) differs from the '
                            'manifest' % (self.name, self.index, start,
                                          self.position - 1))
        self.index += 1

    def _check_end(self) -> None:
        try:
            extra = self.file.read(1)
        except OSError as e:
            raise _bad_file('cannot read %s: %s' % (self.name,
                                                    e.strerror or e))
        if extra:
            raise _bad_file('%s is longer than the %d bytes the manifest '
                            'says' % (self.name, self.size))

    def close(self) -> None:
        if self.hash is not None:
            self.hash.close()
        self.file.close()


class DataFileResponse:
    """A response-like object over one data file of a bundle.

    ``root``: the bundle; ``entry``: the manifest's data entry of the
    image (``file``, ``size``, ``chunk_size``, ``chunk_sha256``).
    """

    status_code = 200

    def __init__(self, root: str, entry: dict[str, Any]) -> None:
        self.name = entry['file']
        self.headers = {'Content-Length': str(entry['size'])}
        self.raw = _ChunkCheckedFile(
            os.path.join(root, self.name), self.name, entry['size'],
            entry['chunk_size'], list(entry['chunk_sha256']))
        # What stream/download.py reads straight into its blocks.
        self.body_reader = self.raw

    @property
    def position(self) -> int:
        return self.raw.position

    def close(self) -> None:
        self.raw.close()
