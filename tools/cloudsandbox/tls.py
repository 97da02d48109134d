# SPDX-License-Identifier: Apache-2.0
"""Each cloud's private CA and the certificates HAProxy serves.

Made once per sandbox under ``<state>/tls`` with the ``cryptography``
package of the sandbox's venv (Keystone needs it anyway): for each cloud a
CA (``<cloud>-ca.pem``, what clouds.yaml names as ``cacert``) and a server
certificate for 127.0.0.1 signed by it (``<cloud>.pem``, certificate then
key, as HAProxy reads them); and for the TLS error tests, two more signed
by the dst CA: one for another host name (``dst-wrong-host.pem``) and one
that expired yesterday (``dst-expired.pem``).
"""

import json
import os
import subprocess

from cloudsandbox import common

WRONG_HOST = 'wrong-host.invalid'
# (file name, signing cloud, subject alternative names, days valid from
# and until, relative to now)
CERTIFICATES = [
    ('src', 'src', ['ip:127.0.0.1', 'dns:localhost'], -1, 3650),
    ('dst', 'dst', ['ip:127.0.0.1', 'dns:localhost'], -1, 3650),
    ('dst-wrong-host', 'dst', ['dns:' + WRONG_HOST], -1, 3650),
    ('dst-expired', 'dst', ['ip:127.0.0.1', 'dns:localhost'], -30, -1),
]

# Runs in the venv: writes the CAs and certificates the spec names.
MAKE_CERTIFICATES = """\
import datetime, ipaddress, json, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

spec = json.load(sys.stdin)
folder = spec['folder']
now = datetime.datetime.now(datetime.timezone.utc)
pem = serialization.Encoding.PEM


def key_bytes(key):
    return key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def save(name, data, mode=0o644):
    path = os.path.join(folder, name)
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.replace(path + '.tmp', path)


def build(subject, issuer, public_key, start, end):
    return (x509.CertificateBuilder().subject_name(subject)
            .issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=start))
            .not_valid_after(now + datetime.timedelta(days=end)))


cas = {}
for cloud in spec['clouds']:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(
        NameOID.COMMON_NAME, 'osc-image-migrate sandbox %s CA' % cloud)])
    cert = (build(name, name, key.public_key(), -1, 3650)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    cas[cloud] = (key, cert)
    save(cloud + '-ca.pem', cert.public_bytes(pem))
    save(cloud + '-ca.key', key_bytes(key), 0o600)
for name, cloud, sans, start, end in spec['certificates']:
    ca_key, ca_cert = cas[cloud]
    key = ec.generate_private_key(ec.SECP256R1())
    alt = [x509.IPAddress(ipaddress.ip_address(v[3:])) if v[:3] == 'ip:'
           else x509.DNSName(v[4:]) for v in sans]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            sans[0].split(':', 1)[1])])
    cert = (build(subject, ca_cert.subject, key.public_key(), start, end)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    save(name + '.pem', cert.public_bytes(pem) + key_bytes(key), 0o600)
"""


def served(tls_dir, name):
    """The certificate + key file HAProxy serves for ``name``."""
    return os.path.join(tls_dir, name + '.pem')


def complete(tls_dir):
    names = ['%s-ca.pem' % c for c in common.CLOUDS] + [
        c[0] + '.pem' for c in CERTIFICATES]
    return all(os.path.exists(os.path.join(tls_dir, n)) for n in names)


def ensure(tls_dir, venv, log_file):
    """Make the CAs and certificates unless they are all there."""
    if complete(tls_dir):
        return False
    os.makedirs(tls_dir, mode=0o700, exist_ok=True)
    common.log('making a private CA per cloud and the certificates in %s'
               % tls_dir)
    spec = {'folder': tls_dir, 'clouds': list(common.CLOUDS),
            'certificates': CERTIFICATES}
    with open(log_file, 'ab') as out:
        proc = subprocess.run(
            [os.path.join(venv, 'bin', 'python'), '-c', MAKE_CERTIFICATES],
            input=json.dumps(spec).encode(), stdout=out, stderr=out,
            check=False)
    if proc.returncode != 0:
        raise common.SandboxError('making the certificates failed (exit '
                                  '%d); see %s' % (proc.returncode,
                                                   log_file))
    return True
