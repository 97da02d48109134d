# SPDX-License-Identifier: Apache-2.0
"""Source responses for the byte stream: chunked, or read with ``read1``."""

import hashlib
import threading

import requests
from urllib3 import exceptions as urllib3_exc

from osc_image_migrate import model
from osc_image_migrate.stream import verified


class FakeResponse:
    """Stands in for a streamed source download."""

    def __init__(self, chunks, fail_after=None):
        self.chunks = chunks
        self.fail_after = fail_after

    def iter_content(self, chunk_size):
        for n, chunk in enumerate(self.chunks):
            if self.fail_after is not None and n >= self.fail_after:
                raise requests.exceptions.ChunkedEncodingError('reset')
            yield chunk


def stream_for(chunks, data=None, algo='sha512', **kwargs):
    data = b''.join(chunks) if data is None else data
    digest = hashlib.new(algo, data).hexdigest()
    return verified.VerifiedStream(
        FakeResponse(chunks), model.Expected(len(data), algo, digest),
        **kwargs)


def consume(body, until=None):
    sent = []
    for chunk in body:
        sent.append(chunk)
        if until is not None and len(sent) == until:
            break
    return sent


class FakeRaw:
    """urllib3's HTTPResponse: read1 returns what has arrived, <= amt."""

    def __init__(self, pieces, fail_after=None):
        self.pieces = list(pieces)
        self.fail_after = fail_after
        self.asked = []

    def read1(self, amt, decode_content=None):
        self.asked.append((amt, decode_content))
        if self.fail_after is not None and len(self.asked) > self.fail_after:
            raise urllib3_exc.ProtocolError('Connection broken')
        if not self.pieces:
            return b''
        piece = self.pieces.pop(0)
        assert len(piece) <= amt
        return piece


class RawResponse:
    """A response that offers ``raw.read1``: iter_content must not run."""

    def __init__(self, raw):
        self.raw = raw

    def iter_content(self, chunk_size):  # pragma: no cover - must not run
        raise AssertionError('read1 was available')


def hash_threads():
    return [t for t in threading.enumerate() if t.name.startswith('hash-')]
