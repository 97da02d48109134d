# SPDX-License-Identifier: Apache-2.0
"""The stream of a source record without a hash or size (issue 17)."""

import hashlib

import pytest
import requests

from osc_image_migrate import model
from osc_image_migrate.stream import verified
from tests.unit.fakes.legacy import DATA
from tests.unit.fakes.stream import FakeResponse


@pytest.mark.parametrize('size', [True, False])
def test_stream_without_a_source_hash_records_what_it_read(size):
    chunks = [DATA[i:i + 999] for i in range(0, len(DATA), 999)]
    told = []
    body = verified.VerifiedStream(
        FakeResponse(chunks),
        model.Expected(len(DATA) if size else None, None, None),
        chunk_size=4096, on_read=told.append)
    assert b''.join(body) == DATA
    read = model.DataRead(len(DATA), {
        'sha512': hashlib.sha512(DATA).hexdigest(),
        'md5': hashlib.md5(DATA).hexdigest()})
    assert told == [read]
    assert body.data_read == read
    # urllib3 takes a body with ``read`` for a file: it must have none.
    assert not hasattr(body, 'read')


def test_a_sizeless_body_is_sent_chunked_not_as_nothing():
    body = verified.VerifiedStream(FakeResponse([DATA]),
                                   model.Expected(None, None, None))
    # requests.Session.request sends ``data or {}``.
    assert bool(body)
    prepared = requests.Request('PUT', 'http://glance/',
                                data=body or {}).prepare()
    assert prepared.body is body
    assert prepared.headers['Transfer-Encoding'] == 'chunked'
    assert 'Content-Length' not in prepared.headers


def test_a_source_hash_is_checked_and_nothing_else_is_computed():
    told = []
    body = verified.VerifiedStream(
        FakeResponse([DATA]),
        model.Expected(None, 'md5', hashlib.md5(DATA).hexdigest()),
        on_read=told.append)
    assert b''.join(body) == DATA
    assert told == [model.DataRead(len(DATA), {})]
