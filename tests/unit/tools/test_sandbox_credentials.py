# SPDX-License-Identifier: Apache-2.0
"""The sandbox's generated secrets, each in the form its consumer takes."""

import base64
import os
import re
import urllib.parse

from cryptography import fernet

from tests import sandbox_tool

cloudsandbox = sandbox_tool.load()
from cloudsandbox import barbican  # noqa: E402
from cloudsandbox import cinder  # noqa: E402
from cloudsandbox import credentials  # noqa: E402
from cloudsandbox import mariadb  # noqa: E402
from cloudsandbox import state  # noqa: E402
from cloudsandbox import venv  # noqa: E402

DRAWS = 2000


def assert_fernet_key(key):
    """What cryptography 51's Fernet requires: URL-safe base64, 32 bytes.

    Checked on the text itself too: an older cryptography in this venv
    would still decode a standard-base64 key that 51 refuses.
    """
    fernet.Fernet(key)
    raw = base64.urlsafe_b64decode(key)
    assert len(raw) == 32
    assert base64.urlsafe_b64encode(raw).decode() == key
    assert credentials.is_fernet_key(key)


def test_barbican_keys_are_all_taken_by_fernet(tmp_path):
    for n in range(DRAWS // 10):
        folder = tmp_path / str(n)
        folder.mkdir()
        assert_fernet_key(barbican.kek(str(folder)))
    for _ in range(DRAWS):
        assert_fernet_key(credentials.fernet_key())


def test_the_fernet_key_check_refuses_standard_base64():
    assert not credentials.is_fernet_key(
        base64.b64encode(b'\xfb' * 32).decode())  # '+' and '/'
    assert not credentials.is_fernet_key(
        base64.urlsafe_b64encode(b'\x00' * 31).decode())  # 31 bytes
    assert not credentials.is_fernet_key(
        base64.urlsafe_b64encode(b'\x00' * 32).decode().rstrip('='))


def test_a_kept_key_fernet_refuses_is_replaced_a_good_one_kept(tmp_path):
    path = tmp_path / 'kek'
    broken = base64.b64encode(b'\xfb' * 32).decode()  # what old code made
    path.write_text(broken + '\n')
    key = barbican.kek(str(tmp_path))
    assert key != broken
    assert_fernet_key(key)
    assert path.read_text().strip() == key
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
    assert barbican.kek(str(tmp_path)) == key


def assert_password(password):
    """Unquoted in SQLAlchemy URLs, oslo.config, clouds.yaml and SQL."""
    assert credentials.is_password(password)
    assert re.fullmatch(r'[A-Za-z0-9-]{16,}', password)
    assert urllib.parse.quote(password, safe='') == password
    url = mariadb.url('dst-glance', '/m', 'glance', password)
    assert urllib.parse.urlsplit(url).password == password


def test_every_password_of_a_new_sandbox_is_in_its_consumers_form(
        tmp_path, monkeypatch):
    monkeypatch.setenv('OSC_IMAGE_MIGRATE_SANDBOX_TLS', '0')
    box = state.State(str(tmp_path))
    box.settle(port_base=30000)
    passwords = [pw for users in box.passwords.values()
                 for pw in users.values()]
    assert len(passwords) > 10
    for password in passwords:
        assert_password(password)
    for _ in range(DRAWS):
        assert_password(credentials.password())
    assert len({credentials.password() for _ in range(DRAWS)}) == DRAWS


def canonical(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def test_every_server_venv_installs_under_a_complete_constraints_file():
    for label, requirements in ((venv.LABEL, venv.REQUIREMENTS),
                                ('barbican', barbican.REQUIREMENTS),
                                ('cinder', cinder.REQUIREMENTS)):
        path = venv.constraints_file(label)
        pins = {}
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith('#'):
                    name, sep, version = line.partition('==')
                    assert sep and version, (path, line)  # exact pins
                    pins[canonical(name)] = version
        for requirement in requirements:
            name, _, version = requirement.partition('==')
            assert pins[canonical(name)] == version, (path, requirement)
        assert 'cryptography' in pins and 'pbr' in pins, path
        argv = venv.pip_install('/v/bin/python', requirements, label)
        assert argv[argv.index('-c') + 1] == path


def test_a_venv_made_under_other_constraints_is_installed_again(
        tmp_path, monkeypatch):
    (tmp_path / 'c').mkdir()
    (tmp_path / 'c' / 'x.txt').write_text('a==1\n')
    monkeypatch.setattr(venv, 'CONSTRAINTS_DIR', str(tmp_path / 'c'))
    folder = tmp_path / 'venv'
    folder.mkdir()
    assert not venv.stamped(str(folder), 'stamp', ['a==1'], 'x')
    (folder / 'stamp').write_text('a==1\n')  # the stamp of old code
    assert not venv.stamped(str(folder), 'stamp', ['a==1'], 'x')
    (folder / 'stamp').write_text(venv.stamp_text(['a==1'], 'x'))
    assert venv.stamped(str(folder), 'stamp', ['a==1'], 'x')
    (tmp_path / 'c' / 'x.txt').write_text('a==1\nb==2\n')
    assert not venv.stamped(str(folder), 'stamp', ['a==1'], 'x')
