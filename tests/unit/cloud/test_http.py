# SPDX-License-Identifier: Apache-2.0
"""cloud/http.guard: every glanceclient failure becomes a CloudError."""

import types

from glanceclient import exc as glance_exc
import pytest

from osc_image_migrate.cloud import answers
from osc_image_migrate.cloud import http
from tests.unit.fakes.glance_pages import GLANCE_400


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


@pytest.mark.parametrize('status,retriable', [
    (500, True), (503, True), (401, True), (403, False), (409, False),
    (413, False), (415, False), (204, False)])
def test_status_errors_say_whether_to_retry(status, retriable):
    error = http.status_error('destination upload', status)
    assert error.retriable is retriable
    assert str(status) in str(error)


def test_glances_reason_reaches_the_error_shortened():
    error = http.status_error('destination upload', 400, GLANCE_400)
    assert str(error) == (
        'destination upload: HTTP 400, request refused: Signature '
        'verification failed: Unable to retrieve certificate with ID 1b2c: '
        'Key manager error')
    assert not error.retriable
    long = http.status_error('destination upload', 422, 'x ' * 500)
    assert 'unexpected answer: x x' in str(long)
    assert len(str(long)) < 60 + answers.REASON_LIMIT
    assert str(long).endswith('...')
    assert str(http.status_error('source download', 418)) == (
        'source download: HTTP 418, unexpected answer')


def test_glanceclient_http_errors_become_cloud_errors():
    from glanceclient import exc as glance_exc

    class Glance:
        class http_client:
            @staticmethod
            def request(*args, **kwargs):
                raise glance_exc.HTTPConflict(
                    '409 Conflict: Image ID 1a2b already exists!')

    glance = http.guard(Glance())
    with pytest.raises(http.CloudError) as caught:
        glance.http_client.request('/v2/images', 'POST')
    assert caught.value.status == 409
    assert str(caught.value) == 'HTTP 409 Image ID 1a2b already exists!'
