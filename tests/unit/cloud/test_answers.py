# SPDX-License-Identifier: Apache-2.0
"""What a cloud's answer says: the reason in its body, OpenSSL's reason."""

import pytest

from osc_image_migrate.cloud import answers
from tests.unit.fakes.glance_pages import GLANCE_400


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


def test_tls_cause_is_opensslls_reason_out_of_the_library_words():
    error = Exception(
        "HTTPSConnectionPool(host='k', port=5000): Max retries exceeded "
        "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: "
        "CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "self-signed certificate in certificate chain (_ssl.c:1006)')))")
    assert answers.tls_cause(error) == (
        'self-signed certificate in certificate chain')
    assert answers.tls_cause(Exception('Connection refused')) is None
