# SPDX-License-Identifier: Apache-2.0
"""A TLS peer that closed before the body was sent (cloud/transport.py)."""

import ssl

from keystoneauth1 import session as ks_session
import pytest

from osc_image_migrate.cloud import transport


class ClosedTLSSocket:
    """What an SSLSocket does once the peer has closed the connection."""

    def __init__(self, error):
        self.error = error

    def sendall(self, data):
        raise self.error


@pytest.mark.parametrize('error', [
    ssl.SSLEOFError(8, 'EOF occurred in violation of protocol'),
    ssl.SSLZeroReturnError(6, 'TLS/SSL connection has been closed')])
def test_a_send_to_a_closed_tls_peer_is_a_broken_pipe(error):
    # urllib3 swallows a BrokenPipeError while sending the body and reads
    # the answer the server sent before closing.
    conn = transport.AnswerReadingHTTPSConnection('127.0.0.1', 1)
    conn.sock = ClosedTLSSocket(error)
    with pytest.raises(BrokenPipeError) as raised:
        conn.send(b'body')
    assert raised.value.__cause__ is error


def test_other_send_errors_stay_what_they_are():
    conn = transport.AnswerReadingHTTPSConnection('127.0.0.1', 1)
    conn.sock = ClosedTLSSocket(ssl.SSLError(1, 'bad record mac'))
    with pytest.raises(ssl.SSLError) as raised:
        conn.send(b'body')
    assert not isinstance(raised.value, BrokenPipeError)


def test_a_keystoneauth_session_gets_the_pool_for_https_only():
    session = ks_session.Session()
    transport.read_early_answers(session)
    manager = session.session.get_adapter('https://cloud').poolmanager
    https_pool = manager.connection_from_url('https://cloud:13292')
    http_pool = manager.connection_from_url('http://cloud:9292')
    assert isinstance(https_pool, transport.AnswerReadingHTTPSConnectionPool)
    assert https_pool.ConnectionCls is transport.AnswerReadingHTTPSConnection
    assert not isinstance(http_pool,
                          transport.AnswerReadingHTTPSConnectionPool)
