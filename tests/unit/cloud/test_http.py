# SPDX-License-Identifier: Apache-2.0
"""cloud/http.guard: every glanceclient failure becomes a CloudError."""

import types

from glanceclient import exc as glance_exc
import pytest

from osc_image_migrate.cloud import http


@pytest.mark.parametrize('error,status', [
    (glance_exc.HTTPConflict('taken'), 409),
    (glance_exc.HTTPNotFound('gone'), 404),
    (glance_exc.HTTPServiceUnavailable('busy'), 503),
    (glance_exc.CommunicationError('no route'), None),
])
def test_glanceclient_errors_become_cloud_errors(error, status):
    def request(*args, **kwargs):
        raise error

    glance = http.guard(types.SimpleNamespace(
        http_client=types.SimpleNamespace(request=request)))
    with pytest.raises(http.CloudError) as raised:
        glance.http_client.request('/v2/images', 'POST')
    assert raised.value.status == status
    assert raised.value.__cause__ is error
