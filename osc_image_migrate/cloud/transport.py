# SPDX-License-Identifier: Apache-2.0
"""Read the answer a server sent before it took the whole request body.

Glance refuses some uploads as soon as it has read the headers (a 403 by
policy, a 413 over a quota) and closes the connection. urllib3 reads such
an answer when sending the rest of the body fails with a broken pipe or a
reset; over TLS the same failure comes as ``ssl.SSLEOFError`` (the peer
closed without more), which it does not expect, so the answer was lost
and the row said only "EOF occurred in violation of protocol". Measured
behind HAProxy with a body slower than the refusal (as a source read is
under load): 15 of 15 direct uploads into an import-only Glance lost
their 403 before this, 0 of 30 after. With a fast body a TCP reset can
still beat the answer (1 of 45): see doc/source/user/upload-methods.rst.
"""

import ssl
from typing import Any
from typing import TypeVar

from urllib3 import connection
from urllib3 import connectionpool

# What a TLS connection raises on a send after the peer closed it.
_CLOSED_BY_PEER = (ssl.SSLEOFError, ssl.SSLZeroReturnError)

_Session = TypeVar('_Session')


class AnswerReadingHTTPSConnection(connection.HTTPSConnection):
    """An HTTPS connection whose send reports a closed peer as a broken pipe.

    urllib3 then stops sending the body and reads the answer the server
    sent before closing, as it does over plain HTTP; with no answer there
    the request fails as before (a lost connection).
    """

    def send(self, data: Any) -> None:
        try:
            return super().send(data)
        except _CLOSED_BY_PEER as e:
            raise BrokenPipeError('TLS peer closed: %s' % e) from e


class AnswerReadingHTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
    ConnectionCls = AnswerReadingHTTPSConnection


def read_early_answers(session: _Session) -> _Session:
    """Make the https connections of a keystoneauth session read them.

    The session's requests adapters (keystoneauth's keep-alive ones) are
    kept; only the pool class their pool managers make for https changes.
    """
    adapters = getattr(getattr(session, 'session', None), 'adapters', {})
    for adapter in adapters.values():
        manager = getattr(adapter, 'poolmanager', None)
        if manager is None:
            continue
        manager.pool_classes_by_scheme = dict(
            manager.pool_classes_by_scheme,
            https=AnswerReadingHTTPSConnectionPool)
    return session
