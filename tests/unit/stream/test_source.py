# SPDX-License-Identifier: Apache-2.0
"""The source download: opened, reopened from a byte, its refusals."""

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.stream import download
from osc_image_migrate.stream import options
from osc_image_migrate.stream import source
from tests.unit.fakes.download import FakeResponse


class FakeImage:
    def __init__(self, response):
        self.response = response
        self.calls = []

    def get(self, url, **kwargs):
        self.calls.append((url, kwargs))
        return self.response


class FakeClients:
    def __init__(self, response):
        self.image = FakeImage(response)
        self.renewed = []

    def refresh_token_if_expiring(self, margin):
        self.renewed.append(('refresh', margin))

    def reauthenticate(self):
        self.renewed.append(('reauthenticate',))


def opened(status, content_range=None, offset=4096, size_known=True,
           **settings):
    headers = {'Content-Range': content_range} if content_range else {}
    response = FakeResponse(None, status, headers)
    src = FakeClients(response)
    result = source.open_source(src, 'img', offset,
                                options.StreamOptions(**settings),
                                size_known=size_known)
    return result, src.image.calls[0]


def test_a_resumed_download_asks_for_the_next_byte():
    response, (url, kwargs) = opened(206, 'bytes 4096-16383/16384',
                                     stall_timeout=2.5)
    assert response.status_code == 206
    assert url == '/v2/images/img/file'
    assert kwargs['headers'] == {'Range': 'bytes=4096-'}
    assert kwargs['timeout'] == (2.5, 2.5)
    assert kwargs['allow_reauth'] is False


@pytest.mark.parametrize('status,content_range', [
    (200, None),                         # the source ignored Range
    (206, 'bytes 0-16383/16384'),        # another start
    (206, 'bytes 4095-16383/16384'),
    (206, None),
])
def test_a_resumed_answer_from_elsewhere_is_refused(status, content_range):
    with pytest.raises(download.RangeRefused) as refused:
        opened(status, content_range)
    assert refused.value.retriable
    assert 'asked for its bytes from 4096' in str(refused.value)


def test_a_server_error_on_reopening_may_be_tried_again():
    with pytest.raises(http.CloudError) as failed:
        opened(503)
    assert not isinstance(failed.value, download.RangeRefused)
    assert failed.value.retriable


def test_the_first_download_sends_no_range():
    _, (_, kwargs) = opened(200, offset=0)
    assert kwargs['headers'] is None
    assert kwargs['timeout'] == (http.STALL_TIMEOUT, http.STALL_TIMEOUT)


def test_reopening_renews_tokens_like_an_attempt():
    src = FakeClients(FakeResponse(None, 401))
    reopen = source.Reopener(src, 'img', options.StreamOptions())
    with pytest.raises(http.CloudError):
        reopen(100)
    src.image.response = FakeResponse(None, 206,
                                      {'Content-Range': 'bytes 100-199/200'})
    reopen(100)
    assert src.renewed == [('refresh', 600), ('reauthenticate',)]


def test_a_502_for_a_record_without_size_is_explained_not_retried():
    # Glance sends "Content-Length: None"; HAProxy answers 502 for it.
    with pytest.raises(http.CloudError) as failed:
        opened(502, offset=0, size_known=False)
    assert not failed.value.retriable
    assert failed.value.status == 502
    assert 'Content-Length: None' in str(failed.value)


def test_a_502_for_a_record_with_a_size_may_be_tried_again():
    with pytest.raises(http.CloudError) as failed:
        opened(502, offset=0)
    assert failed.value.retriable
    assert 'Content-Length' not in str(failed.value)
