# SPDX-License-Identifier: Apache-2.0
"""The stream leaves no hash thread behind, however it ends."""

import pytest

from osc_image_migrate.stream import verified
from tests.unit.fakes.stream import consume
from tests.unit.fakes.stream import hash_threads
from tests.unit.fakes.stream import stream_for


@pytest.mark.parametrize('data', [None, b'1' * 4 + b'2' * 4 + b'X' * 4])
def test_stream_leaves_no_hash_thread_behind(data):
    body = stream_for([b'1' * 4, b'2' * 4, b'3' * 4], data=data,
                      chunk_size=4)
    if data is None:
        consume(body)
    else:
        with pytest.raises(verified.AbortUpload):
            consume(body)
    assert not hash_threads()


def test_an_upload_stopped_early_ends_the_hash_thread():
    """urllib3 may stop iterating the body (server gone): no thread stays."""
    chunks = iter(stream_for([b'a' * 4] * 5, chunk_size=4))
    next(chunks)
    assert hash_threads()
    chunks.close()
    assert not hash_threads()
