# SPDX-License-Identifier: Apache-2.0
"""The data upload into the destination (stream/transfer.py)."""

import types

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.stream import transfer


def test_an_upload_the_server_closed_keeps_the_cause_and_no_connection():
    """upload_method tells a server's close from a stall by the cause."""
    seen = {}

    class Image:
        def put(self, url, data=None, headers=None, **switches):
            seen.update(headers)
            raise http.CloudError('lost', retriable=True, cause='SSLError')

    body = types.SimpleNamespace(failure=None, sent=0)
    dst = types.SimpleNamespace(image=Image())
    with pytest.raises(http.CloudError) as raised:
        transfer.upload(dst, 'id', body, 5)
    assert raised.value.cause == 'SSLError' and raised.value.retriable
    assert 'broke off after 0 bytes (SSLError)' in str(raised.value)
    assert seen['Connection'] == 'close'
