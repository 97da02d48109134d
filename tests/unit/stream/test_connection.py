# SPDX-License-Identifier: Apache-2.0
"""The source connection: whether more of the body waits, and closing it."""

import socket
import types

from osc_image_migrate.stream import connection


def response_on(sock):
    return types.SimpleNamespace(raw=types.SimpleNamespace(
        connection=types.SimpleNamespace(sock=sock)))


def test_bytes_in_the_socket_are_waiting():
    reader, writer = socket.socketpair()
    with reader, writer:
        response = response_on(reader)
        assert not connection.waiting(response)
        writer.sendall(b'more')
        assert connection.waiting(response)


def test_decrypted_tls_bytes_not_read_yet_are_waiting():
    tls = types.SimpleNamespace(pending=lambda: 5)
    assert connection.waiting(response_on(tls))


def test_without_a_socket_nothing_is_waiting():
    assert not connection.waiting(types.SimpleNamespace())
    assert not connection.waiting(response_on(None))
    closed = socket.socket()
    closed.close()
    assert not connection.waiting(response_on(closed))


def test_close_response_closes_what_can_be_closed():
    closed = []
    connection.close_response(types.SimpleNamespace(
        close=lambda: closed.append(True)))
    connection.close_response(types.SimpleNamespace())
    assert closed == [True]
