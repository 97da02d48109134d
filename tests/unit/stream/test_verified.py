# SPDX-License-Identifier: Apache-2.0
"""The verified one-shot body: hold-back, size and hash checks, no replay."""

import hashlib
import threading
import types

import pytest

from osc_image_migrate import cancel
from osc_image_migrate.cloud import answers
from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.stream import transfer
from osc_image_migrate.stream import verified
from tests.unit.fakes.disk_images import qcow2
from tests.unit.fakes.stream import consume
from tests.unit.fakes.stream import FakeResponse
from tests.unit.fakes.stream import stream_for

MiB = 1024 * 1024


def test_good_stream_passes_every_byte():
    chunks = [b'a' * 10, b'b' * 10, b'c' * 5]
    body = stream_for(chunks)
    assert b''.join(consume(body)) == b''.join(chunks)
    assert body.sent == 25


def test_last_chunk_is_held_until_verified():
    """Before the last chunk is out, the whole source was read and hashed."""
    chunks = [b'1' * 4, b'2' * 4, b'3' * 4]
    body = stream_for(chunks, data=b'1' * 4 + b'2' * 4 + b'X' * 4,
                      chunk_size=4)
    sent = []
    with pytest.raises(verified.AbortUpload):
        for chunk in body:
            sent.append(chunk)
    assert sent == [b'1' * 4, b'2' * 4]
    assert 'does not match' in str(body.failure)
    assert body.failure.retriable


def test_short_source_is_refused():
    chunks = [b'x' * 8]
    digest = hashlib.md5(b'x' * 8).hexdigest()
    body = verified.VerifiedStream(
        FakeResponse(chunks), model.Expected(9, 'md5', digest))
    with pytest.raises(verified.AbortUpload):
        consume(body)
    assert 'source sent 8 bytes, its record says 9' in str(body.failure)


def test_body_refuses_second_iteration():
    body = stream_for([b'abc'])
    consume(body)
    with pytest.raises(verified.AbortUpload):
        iter(body)
    assert 'sent twice' in str(body.failure)


def test_abort_is_not_an_oserror():
    """urllib3 swallows OSError raised from a body; ours must get through."""
    assert not issubclass(verified.AbortUpload, OSError)


def test_broken_source_aborts_with_retriable_error():
    body = verified.VerifiedStream(
        FakeResponse([b'a', b'b', b'c'], fail_after=2),
        model.Expected(3, None, None))
    with pytest.raises(verified.AbortUpload):
        consume(body)
    assert body.failure.retriable
    assert 'broke off' in str(body.failure)


def test_stop_event_interrupts():
    stop = threading.Event()
    body = stream_for([b'a', b'b', b'c'], stop=stop, chunk_size=1)
    iterator = iter(body)
    next(iterator)
    stop.set()
    with pytest.raises(verified.AbortUpload):
        list(iterator)
    assert isinstance(body.failure, cancel.Interrupted)


def test_expected_digest_prefers_multihash():
    image = {'os_hash_algo': 'sha512', 'os_hash_value': 'f' * 128,
             'checksum': 'a' * 32}
    assert model.data_hash(image) == ('sha512', 'f' * 128)
    assert model.data_hash({'checksum': 'a' * 32}) == (
        'md5', 'a' * 32)
    assert model.data_hash({}) == (None, None)


@pytest.mark.parametrize('status,retriable', [
    (500, True), (503, True), (401, True), (403, False), (409, False),
    (413, False), (415, False), (204, False)])
def test_status_errors_say_whether_to_retry(status, retriable):
    error = http.status_error('destination upload', status)
    assert error.retriable is retriable
    assert str(status) in str(error)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_small_reads_are_gathered_into_full_pieces():
    chunks = [b'x' * 4] * 10
    body = stream_for(chunks, chunk_size=8, iter_size=4, clock=FakeClock())
    assert consume(body) == [b'x' * 8] * 5


def test_a_slow_source_is_forwarded_without_waiting_for_a_full_piece():
    """A destination must not sit for seconds without data (uWSGI 500s)."""
    clock = FakeClock()

    class SlowResponse(FakeResponse):
        def iter_content(self, chunk_size):
            for chunk in self.chunks:
                clock.now += verified.FLUSH_SECONDS
                yield chunk

    chunks = [b'a' * 3, b'b' * 3, b'c' * 3]
    digest = hashlib.sha512(b''.join(chunks)).hexdigest()
    body = verified.VerifiedStream(
        SlowResponse(chunks), model.Expected(9, 'sha512', digest),
        clock=clock)
    assert consume(body) == chunks


def test_source_is_read_in_small_pieces():
    seen = []

    class Recording(FakeResponse):
        def iter_content(self, chunk_size):
            seen.append(chunk_size)
            return super().iter_content(chunk_size)

    digest = hashlib.md5(b'abc').hexdigest()
    consume(verified.VerifiedStream(Recording([b'abc']),
                                    model.Expected(3, 'md5', digest)))
    assert seen == [verified.ITER_CONTENT_SIZE]
    assert verified.ITER_CONTENT_SIZE < verified.CHUNK_SIZE


def test_format_problem_stops_the_stream_before_the_rest_is_sent():
    """Data that the destination would refuse is cut off at its start."""
    data = qcow2(length=2 * MiB) + b'\0' * (30 * MiB)
    chunks = [data[i:i + MiB] for i in range(0, len(data), MiB)]
    body = stream_for(chunks, check=format_check.FormatCheck('raw', 'bare'))
    sent = []
    with pytest.raises(verified.AbortUpload):
        for chunk in body:
            sent.append(chunk)
    assert sent == []
    assert not body.failure.retriable
    assert str(body.failure).startswith(
        'data is qcow2 but its disk_format is raw')
    assert 'stopped after 1048576 of 33554432 bytes' in str(body.failure)


def test_format_check_passes_matching_data_through():
    chunks = [bytes([n]) * 300 * 1024 for n in range(1, 8)]
    body = stream_for(chunks, check=format_check.FormatCheck('raw', 'bare'))
    assert b''.join(consume(body)) == b''.join(chunks)


GLANCE_400 = '''<html>
 <head>
  <title>400 Bad Request</title>
 </head>
 <body>
  <h1>400 Bad Request</h1>
  Signature verification failed: Unable to retrieve certificate with ID \
1b2c: Key manager error<br /><br />



 </body>
</html>'''


@pytest.mark.parametrize('body,reason', [
    (GLANCE_400, 'Signature verification failed: Unable to retrieve '
                 'certificate with ID 1b2c: Key manager error'),
    ('{"message": "Image status transition from active to saving is not '
     'allowed", "code": "409 Conflict", "title": "Conflict"}',
     'Image status transition from active to saving is not allowed'),
    ('{"error": {"code": 404, "message": "Could not find project: p.", '
     '"title": "Not Found"}}', 'Could not find project: p'),
    ('{"title": "Forbidden"}', 'Forbidden'),
    (b'<html><body>&lt;x&gt; &amp; y</body></html>', '<x> & y'),
    ('<html><head><title>418 Teapot</title></head><body><h1>418 Teapot'
     '</h1></body></html>', None),
    ('500 Internal Server Error', None),
    ('', None), (None, None),
])
def test_the_reason_in_an_answers_body_is_read(body, reason):
    assert answers.body_reason(body) == reason


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
