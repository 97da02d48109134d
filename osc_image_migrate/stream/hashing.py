# SPDX-License-Identifier: Apache-2.0
"""A hash computed in its own thread, beside the copy it verifies.

sha512 is most of what a verified copy costs the client (figures in
doc/source/performance.rst). hashlib releases the GIL while it hashes a
large buffer, so in a thread of its own the hash runs on another core
while the stream goes on reading and sending, instead of pausing them;
the stream waits for the digest only before it releases its last piece.
"""

import hashlib
import queue
import threading

# Pieces handed over but not yet hashed, at most: bounds what a hash that
# falls behind can hold in memory (4 pieces of up to 1 MiB: parallel
# copies each hold their own).
BACKLOG = 4
# What may be hashed: bytes, or a view of a buffer never written again.
_Piece = bytes | bytearray | memoryview


class BackgroundHash:
    """``hashlib.new(algo)`` fed by a thread; ``update`` does not wait.

    Pieces must not change after ``update`` (bytes, or a block of the
    stream that is never written again). ``close`` ends the thread;
    ``hexdigest`` closes and returns the digest of every piece given.
    """

    def __init__(self, algo: str) -> None:
        self._hasher = hashlib.new(algo)
        self._pieces: queue.Queue[_Piece | None] = queue.Queue(BACKLOG)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='hash-%s' % algo)
        self._thread.start()

    def _run(self) -> None:
        update, get = self._hasher.update, self._pieces.get
        while (piece := get()) is not None:
            update(piece)

    def update(self, piece: _Piece) -> None:
        self._pieces.put(piece)

    def close(self) -> None:
        if self._thread.is_alive():
            self._pieces.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return self._hasher.hexdigest()
