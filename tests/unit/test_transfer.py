"""The verified one-shot body: hold-back, size and hash checks, no replay."""

import hashlib
import threading

import pytest
import requests

from osc_image_migrate import transfer


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
    return transfer.VerifiedStream(FakeResponse(chunks), len(data), algo,
                                   digest, **kwargs)


def consume(body, until=None):
    sent = []
    for chunk in body:
        sent.append(chunk)
        if until is not None and len(sent) == until:
            break
    return sent


def test_good_stream_passes_every_byte():
    chunks = [b'a' * 10, b'b' * 10, b'c' * 5]
    body = stream_for(chunks)
    assert b''.join(consume(body)) == b''.join(chunks)
    assert body.sent == 25


def test_last_chunk_is_held_until_verified():
    """Before the last chunk is out, the whole source was read and hashed."""
    chunks = [b'1' * 4, b'2' * 4, b'3' * 4]
    body = stream_for(chunks, data=b'1' * 4 + b'2' * 4 + b'X' * 4)
    sent = []
    with pytest.raises(transfer._AbortUpload):
        for chunk in body:
            sent.append(chunk)
    assert sent == [b'1' * 4, b'2' * 4]
    assert 'does not match' in str(body.failure)
    assert body.failure.retriable


def test_short_source_is_refused():
    chunks = [b'x' * 8]
    digest = hashlib.md5(b'x' * 8).hexdigest()
    body = transfer.VerifiedStream(FakeResponse(chunks), 9, 'md5', digest)
    with pytest.raises(transfer._AbortUpload):
        consume(body)
    assert 'source sent 8 bytes, its record says 9' in str(body.failure)


def test_body_refuses_second_iteration():
    body = stream_for([b'abc'])
    consume(body)
    with pytest.raises(transfer._AbortUpload):
        iter(body)
    assert 'sent twice' in str(body.failure)


def test_abort_is_not_an_oserror():
    """urllib3 swallows OSError raised from a body; ours must get through."""
    assert not issubclass(transfer._AbortUpload, OSError)


def test_broken_source_aborts_with_retriable_error():
    body = transfer.VerifiedStream(
        FakeResponse([b'a', b'b', b'c'], fail_after=2), 3, None, None)
    with pytest.raises(transfer._AbortUpload):
        consume(body)
    assert body.failure.retriable
    assert 'broke off' in str(body.failure)


def test_stop_event_interrupts():
    stop = threading.Event()
    body = stream_for([b'a', b'b', b'c'], stop=stop)
    iterator = iter(body)
    next(iterator)
    stop.set()
    with pytest.raises(transfer._AbortUpload):
        list(iterator)
    assert isinstance(body.failure, transfer.Interrupted)


def test_expected_digest_prefers_multihash():
    image = {'os_hash_algo': 'sha512', 'os_hash_value': 'f' * 128,
             'checksum': 'a' * 32}
    assert transfer.expected_digest(image) == ('sha512', 'f' * 128)
    assert transfer.expected_digest({'checksum': 'a' * 32}) == (
        'md5', 'a' * 32)
    assert transfer.expected_digest({}) == (None, None)


@pytest.mark.parametrize('status,retriable', [
    (500, True), (503, True), (401, True), (403, False), (409, False),
    (413, False), (415, False), (204, False)])
def test_status_errors_say_whether_to_retry(status, retriable):
    error = transfer.status_error('destination upload', status)
    assert error.retriable is retriable
    assert str(status) in str(error)
