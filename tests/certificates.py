# SPDX-License-Identifier: Apache-2.0
"""A throwaway self-signed certificate for 127.0.0.1, for TLS in tests.

Used by the unit tests' HTTPS source (tests/unit/fakes/https_source.py)
and the functional tests' TLS proxy (tests/functional/fixtures/faults.py).
"""

import datetime
import ipaddress
import pathlib

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID


def self_signed(directory, prefix):
    """Write ``<prefix>-cert.pem`` and ``<prefix>-key.pem``; their paths.

    The certificate is its own CA (a client trusts it with ``verify=`` or
    ``--cacert`` the certificate's path) and names 127.0.0.1.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, prefix)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = pathlib.Path(directory) / ('%s-cert.pem' % prefix)
    key_path = pathlib.Path(directory) / ('%s-key.pem' % prefix)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return str(cert_path), str(key_path)
