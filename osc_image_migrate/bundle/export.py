# SPDX-License-Identifier: Apache-2.0
"""One image's data into a bundle: verified, chunk-hashed, resumable.

The source download is the stream's (stream/source.py, read by
stream/download.py's SourceDownload, resumed from the next byte when it
breaks or falls silent), and so is the rule for what the bytes must be
(model.Expected: the record's size and hash; for a record without a hash,
what was read). The bytes go into ``images/<id>.data.part`` in blocks of
layout.BLOCK_SIZE, hashed in threads of their own (stream/hashing.py):
the record's algorithm over the whole file, and sha256 over each chunk of
layout.CHUNK_SIZE, and written by a thread of its own while the next block
is read (the reads and the disk writes overlap). Each whole chunk is
fsynced, then its sha256 appended to ``<part>.sha256``: those are the
chunks a killed export keeps.

A new attempt keeps the part's leading chunks whose sha256 still matches
the list, hashes them again from the disk (the running hash has to cover
them), and asks the source for the rest with a ``Range`` read. Only when
size and hash match the source record is the part renamed to its final
name; on a mismatch it is removed, and the retry starts from zero. A
record without a size is always read from its first byte (where it ends
is unknown, so a ``Range`` from there could not be asked).
"""

import dataclasses
import os
import queue
import threading
from typing import Any
from typing import Callable
from typing import Mapping

from osc_image_migrate.bundle import layout
from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.stream import download
from osc_image_migrate.stream import hashing
from osc_image_migrate.stream import options as stream_options
from osc_image_migrate.stream import source


@dataclasses.dataclass(frozen=True)
class DataFile:
    """An accepted data file: what the manifest records of it.

    ``algo``/``digest``: the source record's hash it was verified
    against (None for a record without one); ``read``: the hashes of the
    bytes read (model.READ_ALGOS), for a record without a hash;
    ``resumed_from``: the byte the last attempt started at.
    """

    size: int
    chunk_size: int
    chunks: tuple[str, ...]
    algo: str | None
    digest: str | None
    read: Mapping[str, str]
    resumed_from: int = 0


def _io_error(what: str, path: str, error: OSError) -> http.CloudError:
    return http.CloudError('bundle: cannot %s %s: %s' % (
        what, path, error.strerror or error), retriable=False)


class Export:
    """One attempt at writing ``image``'s data into bundle ``root``.

    ``src``: the source's clients; ``options``: the run's StreamOptions
    (stall timeout, resume waits, rate limit); ``on_bytes(n)``: progress;
    ``on_read(model.DataRead)``: what was read, once verified;
    ``chunk_size`` and ``block_size`` are the unit tests' knobs.
    """

    def __init__(self, src: sessions.CloudClients, root: str,
                 image: model.Record, *,
                 options: stream_options.StreamOptions = (
                     stream_options.StreamOptions()),
                 on_bytes: Callable[[int], None] | None = None,
                 on_read: Callable[[model.DataRead], None] | None = None,
                 stop: threading.Event | None = None,
                 chunk_size: int = layout.CHUNK_SIZE,
                 block_size: int = layout.BLOCK_SIZE) -> None:
        assert chunk_size % block_size == 0
        self.src = src
        self.image = image
        self.image_id = image['id']
        self.expected = model.Expected.of(image)
        self.options = options
        self.on_bytes = on_bytes
        self.on_read = on_read
        self.stop = stop
        self.chunk_size = chunk_size
        self.block_size = block_size
        self.data = os.path.join(root, layout.data_name(self.image_id))
        self.part = os.path.join(root, layout.part_name(self.image_id))
        self.sums_path = os.path.join(root, layout.sums_name(self.image_id))
        self.chunks: list[str] = []
        self.resumed_from = 0

    def run(self) -> DataFile:
        """Write, verify and accept the data file; raise on failure."""
        os.makedirs(os.path.dirname(self.part), exist_ok=True)
        if os.path.exists(self.data):
            # Accepted before the metadata document was written: the
            # chunks are checked and hashed again as a resumed part.
            os.replace(self.data, self.part)
        algo, digest = self.expected.algo, self.expected.digest
        hasher = hashing.BackgroundHash(algo) if digest and algo else None
        readers = {} if digest else {
            a: hashing.BackgroundHash(a) for a in model.READ_ALGOS}
        hashes = ([hasher] if hasher else []) + list(readers.values())
        try:
            offset = self._keep_whole_chunks(hashes)
            total = self._download(offset, hashes)
            read = {a: r.hexdigest() for a, r in readers.items()}
            self._verify(total, hasher)
        finally:
            for h in hashes:
                h.close()
        data_read = model.DataRead(total, read)
        if self.on_read is not None:
            self.on_read(data_read)
        try:
            os.replace(self.part, self.data)
            layout.fsync_dir(os.path.dirname(self.data))
        except OSError as e:
            raise _io_error('accept', self.data, e)
        return DataFile(total, self.chunk_size, tuple(self.chunks), algo,
                        digest, read, self.resumed_from)

    def _keep_whole_chunks(self, hashes: list[hashing.BackgroundHash]
                           ) -> int:
        """The part's leading chunks that match their sums, hashed again.

        Returns the offset to read the source from; the part and its sums
        are cut to the chunks kept.
        """
        listed: list[str] = []
        if self.expected.size is not None:
            try:
                with open(self.sums_path) as f:
                    listed = [line.strip() for line in f if line.strip()]
            except FileNotFoundError:
                pass
            except OSError as e:
                raise _io_error('read', self.sums_path, e)
            # Never more than the record's size holds (it may have
            # changed since): a resume never starts beyond its end.
            size = self.expected.size
            listed = listed[:(size + self.chunk_size - 1) // self.chunk_size]
        kept = offset = 0
        try:
            with open(self.part, 'rb') as f:
                for wanted in listed:
                    # The last chunk may be short: it ends with the data.
                    length = min(self.chunk_size,
                                 (self.expected.size or 0) - offset)
                    if not self._rehash_chunk(f, wanted, length, hashes):
                        break
                    kept += 1
                    offset += length
        except FileNotFoundError:
            pass
        self.chunks = listed[:kept]
        self.resumed_from = offset
        try:
            with open(self.part, 'ab') as f:
                f.truncate(offset)
                os.fsync(f.fileno())
            layout.write_atomic(self.sums_path, ''.join(
                '%s\n' % s for s in self.chunks).encode())
        except OSError as e:
            raise _io_error('write', self.part, e)
        return offset

    def _rehash_chunk(self, f: Any, wanted: str, length: int,
                      hashes: list[hashing.BackgroundHash]) -> bool:
        """Read one whole chunk of the part; feed it if its sum matches.

        The chunk is read twice (once to check its sum, once to feed the
        running hashes) so that a chunk that fails its sum never reaches
        them; the second read comes from the page cache.
        """
        start = f.tell()
        digest, size = layout.chunk_sha256(f, length, self.block_size)
        if size < length or digest != wanted:
            return False
        f.seek(start)
        while size:
            piece = f.read(min(self.block_size, size))
            for h in hashes:
                h.update(piece)
            size -= len(piece)
        return True

    def _download(self, offset: int,
                  hashes: list[hashing.BackgroundHash]) -> int:
        """Read the source from ``offset`` to its end into the part.

        Returns the size of the whole part.
        """
        size = self.expected.size
        if size is not None and offset == size:
            return offset
        reopener = source.Reopener(self.src, self.image_id, self.options)
        response = source.open_source(
            self.src, self.image_id, offset, self.options,
            size_known=size is not None)
        body = download.SourceDownload(
            response, None if size is None else size - offset,
            options=self.options,
            reopen=lambda n: reopener(offset + n), stop=self.stop,
            name=self.image_id, chunk_size=self.block_size)
        try:
            with open(self.part, 'ab') as part, \
                    open(self.sums_path, 'a') as sums:
                writer = _PartWriter(part, sums, self.part, self.chunks)
                try:
                    written = self._write(body, writer, offset, hashes)
                finally:
                    writer.close()
                return written
        finally:
            body.response.close()

    def _write(self, body: download.SourceDownload, writer: '_PartWriter',
               offset: int, hashes: list[hashing.BackgroundHash]) -> int:
        """Read blocks, hash them and hand them to the part's writer.

        The reads and the disk writes overlap: the writer's thread
        writes one block while this one reads the next.
        """
        written = offset
        chunk = hashing.BackgroundHash('sha256')
        in_chunk = 0
        try:
            while True:
                if self.stop is not None and self.stop.is_set():
                    raise cancel.Interrupted()
                block = self._fill(body)
                if block:
                    for h in hashes + [chunk]:
                        h.update(block)
                    writer.write(block)
                    written += len(block)
                    in_chunk += len(block)
                    if self.on_bytes is not None:
                        self.on_bytes(len(block))
                if in_chunk and (in_chunk == self.chunk_size
                                 or len(block) < self.block_size):
                    writer.seal(chunk)
                    chunk, in_chunk = hashing.BackgroundHash('sha256'), 0
                if len(block) < self.block_size:
                    writer.finish()
                    return written
        finally:
            chunk.close()

    def _fill(self, body: download.SourceDownload) -> bytearray:
        """The next block, full unless the source ended; a new buffer.

        A new buffer each time: the hashes and the writer read it in
        their threads.
        """
        block = bytearray(self.block_size)
        view = memoryview(block)
        filled = 0
        while filled < self.block_size:
            n = body.readinto(view[filled:])
            if not n:
                return block[:filled]
            filled += n
        return block

    def _verify(self, total: int,
                hasher: hashing.BackgroundHash | None) -> None:
        """Size and hash against the source record; a mismatch discards.

        The part is removed: its bytes are not the record's, so a retry
        must not resume from them.
        """
        size, digest = self.expected.size, self.expected.digest
        problem = None
        if size is not None and total != size:
            problem = 'source sent %d bytes, its record says %d' % (
                total, size)
        elif hasher is not None and hasher.hexdigest() != digest:
            problem = 'data %s does not match the source record (%s %s...)' % (
                self.expected.algo, hasher.hexdigest()[:12],
                (digest or '')[:12])
        if problem is None:
            return
        for path in (self.part, self.sums_path):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        raise http.CloudError(problem, retriable=True)


class _PartWriter:
    """Writes a part's blocks and seals its chunks, in a thread of its own.

    ``write`` and ``seal`` return at once (at most BACKLOG items wait, so
    memory stays flat); the thread writes the blocks in order, and seals
    a chunk (fsync of the part, then its sha256 listed and fsynced) once
    every block before it is written. A write that fails (a full disk) is
    raised by the next call, and by ``finish``, which waits for them all.
    """

    BACKLOG = 8

    def __init__(self, part: Any, sums: Any, path: str,
                 chunks: list[str]) -> None:
        self.part = part
        self.sums = sums
        self.path = path
        self.chunks = chunks
        self.error: http.CloudError | None = None
        self._items: queue.Queue[Any] = queue.Queue(self.BACKLOG)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='bundle-part-writer')
        self._thread.start()

    def write(self, block: bytearray) -> None:
        self._put(block)

    def seal(self, chunk: hashing.BackgroundHash) -> None:
        self._put(chunk)

    def _put(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self._items.put(item)

    def finish(self) -> None:
        """Wait until every block is written and every chunk sealed."""
        self.close()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        if self._thread.is_alive():
            self._items.put(None)
            self._thread.join()

    def _run(self) -> None:
        while (item := self._items.get()) is not None:
            if self.error is not None:
                # Drained, so that the reader never blocks on a full queue.
                if isinstance(item, hashing.BackgroundHash):
                    item.close()
                continue
            try:
                if isinstance(item, hashing.BackgroundHash):
                    self._seal(item)
                else:
                    self.part.write(item)
            except OSError as e:
                self.error = _io_error('write', self.path, e)
                if isinstance(item, hashing.BackgroundHash):
                    item.close()

    def _seal(self, chunk: hashing.BackgroundHash) -> None:
        """A chunk is on disk: fsync it, then list its sha256."""
        self.part.flush()
        os.fsync(self.part.fileno())
        digest = chunk.hexdigest()
        self.sums.write(digest + '\n')
        self.sums.flush()
        os.fsync(self.sums.fileno())
        self.chunks.append(digest)
