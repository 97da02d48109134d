# SPDX-License-Identifier: Apache-2.0
"""The source download's connection: what it holds, and closing it."""

import select

import requests


def waiting(response: requests.Response) -> bool:
    """True when the connection has more of the body to read at once.

    Decrypted TLS bytes not read yet, or bytes in the socket's buffer:
    a read then returns without waiting for the source.
    """
    connection = getattr(getattr(response, 'raw', None), 'connection', None)
    sock = getattr(connection, 'sock', None)
    if sock is None:
        return False
    pending = getattr(sock, 'pending', None)
    if pending is not None and pending():
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def close_response(response: requests.Response) -> None:
    close = getattr(response, 'close', None)  # test fakes may have none
    if close is not None:
        close()
