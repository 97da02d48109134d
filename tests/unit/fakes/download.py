# SPDX-License-Identifier: Apache-2.0
"""A source download that breaks after some bytes, and its answer."""

from urllib3 import exceptions as urllib3_exc


class FakeRaw:
    """urllib3's HTTPResponse body: ``read1``, broken after some bytes."""

    def __init__(self, data, piece=1024, break_after=None,
                 error=urllib3_exc.ProtocolError):
        self.data = data
        self.piece = piece
        self.break_after = break_after
        self.error = error
        self.read = 0

    def read1(self, amt, decode_content=None):
        if self.break_after is not None and self.read >= self.break_after:
            raise self.error('Connection broken')
        size = min(amt, self.piece)
        if self.break_after is not None:
            size = min(size, self.break_after - self.read)
        piece = self.data[self.read:self.read + size]
        self.read += len(piece)
        return piece


class FakeResponse:
    def __init__(self, raw, status=200, headers=None):
        self.raw = raw
        self.status_code = status
        self.headers = headers or {}
        self.text = ''
        self.closed = False

    def close(self):
        self.closed = True
