# SPDX-License-Identifier: Apache-2.0
"""The secrets the sandbox makes, each in the form its consumer requires.

A secret that its consumer refuses breaks the sandbox only when a draw
happens to contain the wrong character, and only after a library release
tightens its parser: Barbican's key-encryption key was standard base64,
which Fernet decoded until cryptography 51 accepted only the URL-safe
alphabet, and a fresh sandbox then started about one time in fourteen.
So each secret has a maker and a check of the exact form, and the key
kept in a state folder is checked again each time it is read.

- ``password()``: Keystone, Barbican, Cinder and MariaDB passwords. They
  go unquoted into SQLAlchemy URLs (``user:password@host``), oslo.config
  files (which expand ``$name``), clouds.yaml and SQL strings: letters,
  digits and ``-`` only.
- ``fernet_key()``: Barbican's ``simple_crypto`` key-encryption key, which
  ``cryptography.fernet.Fernet`` takes: 32 random bytes in URL-safe
  base64 with its padding (44 characters).

Keystone's own fernet and credential keys are made by ``keystone-manage``
itself, and the TLS keys by ``cryptography`` (see ``tls``): their
consumers make them, so they need no check here.
"""

import base64
import re
import secrets

PASSWORD_PREFIX = 'pw-'
PASSWORD = re.compile(r'pw-[0-9a-f]{24}')
# 32 bytes are 43 base64 characters and one '=' of padding; the last
# character holds 4 bits of data and 2 zero bits, so it is one of 16.
FERNET_KEY = re.compile(r'[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]=')


def password():
    """A new random password: ``pw-`` and 24 hex digits (96 bits)."""
    return PASSWORD_PREFIX + secrets.token_hex(12)


def is_password(text):
    return bool(PASSWORD.fullmatch(text))


def fernet_key():
    """A new Fernet key: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def is_fernet_key(text):
    """Whether Fernet takes ``text`` as a key (URL-safe, 32 bytes)."""
    return bool(FERNET_KEY.fullmatch(text))
