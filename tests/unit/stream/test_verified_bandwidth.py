# SPDX-License-Identifier: Apache-2.0
"""--limit-rate in the stream: every byte read is paid for, a stop ends it."""

import pytest

from osc_image_migrate import cancel
from osc_image_migrate import model
from osc_image_migrate.stream import options
from osc_image_migrate.stream import verified
from tests.unit.fakes.stream import FakeRaw
from tests.unit.fakes.stream import FakeResponse
from tests.unit.fakes.stream import RawResponse


def test_the_stream_asks_for_every_byte_in_small_pieces():
    """Reads are no larger than the limiter's piece, and each is paid for."""
    taken = []

    class Recorder:
        piece = 300

        def take(self, size, stop=None):
            taken.append(size)
            return True

    pieces = [b'x' * 300] * 10
    raw = FakeRaw(pieces)
    body = verified.VerifiedStream(
        RawResponse(raw), model.Expected(3000, None, None),
        options=options.StreamOptions(limiter=Recorder()))
    assert b''.join(body) == b''.join(pieces)
    assert taken == [300] * 10
    assert {amt for amt, _ in raw.asked} == {300}


def test_a_stopped_stream_is_interrupted():
    class Stopped:
        piece = 1000

        def take(self, size, stop=None):
            return False

    body = verified.VerifiedStream(
        FakeResponse([b'x' * 10]), model.Expected(10, None, None),
        options=options.StreamOptions(limiter=Stopped()))
    with pytest.raises(verified.AbortUpload):
        list(body)
    assert isinstance(body.failure, cancel.Interrupted)
