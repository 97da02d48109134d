# SPDX-License-Identifier: Apache-2.0
"""A certificate that does not verify is one short line, OpenSSL's reason."""

from keystoneauth1 import exceptions as ks_exc
from osc_lib import exceptions
import pytest

from osc_image_migrate.cloud import answers
from osc_image_migrate.cloud import http

# keystoneauth's words around the reason, as measured through HAProxy.
WRAPPED = (
    "SSL exception connecting to https://127.0.0.1:37010/v3/auth/tokens: "
    "HTTPSConnectionPool(host='127.0.0.1', port=37010): Max retries "
    "exceeded with url: /v3/auth/tokens (Caused by SSLError("
    "SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
    "certificate verify failed: %s (_ssl.c:1006)')))")


@pytest.mark.parametrize('cause', [
    'unable to get local issuer certificate',
    'certificate has expired',
    "Hostname mismatch, certificate is not valid for '127.0.0.1'",
])
def test_tls_failure_is_one_line_with_openssls_reason(cause):
    error = ks_exc.SSLError(WRAPPED % (cause + ('.' if 'mismatch' in cause
                                                else '')))
    with pytest.raises(exceptions.CommandError) as raised:
        with http.translated('destination cloud dst-x'):
            raise error
    line = str(raised.value)
    assert line.startswith('destination cloud dst-x: TLS certificate does '
                           'not verify: %s (' % cause)
    assert '\n' not in line
    for plumbing in ('HTTPSConnectionPool', 'Max retries', '_ssl.c'):
        assert plumbing not in line
    # A certificate does not start to verify on a retry.
    assert not http.from_library(error).retriable


def test_other_connection_errors_stay_retriable():
    error = ks_exc.ConnectFailure('Unable to establish connection')
    assert answers.tls_cause(error) is None
    assert http.from_library(error).retriable
