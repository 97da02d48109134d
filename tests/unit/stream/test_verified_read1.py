# SPDX-License-Identifier: Apache-2.0
"""The source is read with ``raw.read1`` when the response offers it."""

import hashlib

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.stream import verified
from tests.unit.fakes.stream import FakeRaw
from tests.unit.fakes.stream import RawResponse


def stream(pieces, chunk_size, **kwargs):
    data = b''.join(pieces)
    raw = FakeRaw(pieces, **kwargs)
    body = verified.VerifiedStream(
        RawResponse(raw), model.Expected(
            len(data), 'sha512', hashlib.sha512(data).hexdigest()),
        chunk_size=chunk_size)
    return body, raw, data


def test_uneven_arrivals_go_out_whole_and_never_above_chunk_size():
    pieces = [b'a' * 3, b'b' * 7, b'c' * 8, b'd' * 1, b'e' * 8, b'f' * 2]
    body, raw, data = stream(pieces, chunk_size=8)
    sent = list(body)
    assert b''.join(sent) == data
    assert all(len(chunk) <= 8 for chunk in sent)
    assert body.sent == len(data)
    # Asked for a whole chunk each time, decoded like iter_content.
    assert set(raw.asked) == {(8, True)}


def test_a_broken_read1_aborts_with_a_retriable_error():
    body, _, _ = stream([b'x' * 8] * 4, chunk_size=8, fail_after=2)
    with pytest.raises(verified.AbortUpload):
        list(body)
    assert isinstance(body.failure, http.CloudError)
    assert body.failure.retriable
    assert 'broke off' in str(body.failure)
