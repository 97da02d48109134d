# SPDX-License-Identifier: Apache-2.0
"""Clouds shaped as in production, and destinations whose TLS fails.

A sandbox made as a real deployment is (the shared one, by default):
MariaDB as the database, two uWSGI workers per API server, and HAProxy in
front of each cloud terminating TLS with a private CA per cloud (its
catalogs list the ``https://`` endpoints; its clouds.yaml names each
cloud's ``cacert``).
That clouds.yaml also has one destination per way TLS fails:
``dst-wrong-ca`` (the src CA as cacert), ``dst-wrong-host`` (a certificate
for another host name, on its own HAProxy frontend), ``dst-expired`` (an
expired certificate, on its own frontend) and ``dst-insecure``
(``verify: false``). The real ``openstack`` CLI must fail cleanly on the
first three, writing nothing and showing no secret, and work on the last.
"""

import json
import os

import pytest

from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import variants

# keystoneauth logs this warning before a connection error to Keystone,
# for every OSC command (see test_bad_input).
DISCOVERY_WARNING = 'Failed to discover available identity versions'
# The cause OpenSSL gives for each case, as ssl reports it.
CAUSES = {
    'dst-wrong-ca': 'unable to get local issuer certificate',
    'dst-wrong-host': "certificate is not valid for '127.0.0.1'",
    'dst-expired': 'certificate has expired',
}
# A Fernet token as Keystone issues them starts so.
FERNET_PREFIX = 'gAAAAA'


# The production-shaped sandbox's ports (base..base+19).
PORT_BASE = variants.PORT_BASE + 300


PRODUCTION = {'database': 'mariadb', 'tls': True, 'workers': 2}


@pytest.fixture(scope='module')
def https_sandbox(sandbox):
    """The shared sandbox when it is deployed so (the default), else one.

    Building a second sandbox of the default's kind cost minutes of the
    suite for nothing; a lighter main sandbox (sqlite, http) still gets a
    production-shaped one of its own here.
    """
    if sandbox.info['deployment'] == PRODUCTION:
        yield sandbox
        return
    with variants.extra_sandbox('production', PORT_BASE, **PRODUCTION) as box:
        assert box.info['deployment'] == PRODUCTION
        yield box


@pytest.fixture(scope='module')
def image(https_sandbox):
    return fs.Images(https_sandbox).make('a-tls-case', fs.MiB)


def secrets(box):
    return [pw for users in box.info['passwords'].values()
            for pw in users.values()]


def assert_clean_failure(box, result):
    """Exit 1, nothing on stdout, no traceback, token or password."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ''
    for stream in (result.stdout, result.stderr):
        assert 'Traceback' not in stream
        assert FERNET_PREFIX not in stream
        assert 'X-Auth-Token' not in stream
        for password in secrets(box):
            assert password not in stream


def error_lines(result):
    return [line for line in result.stderr.split('\n')
            if line.strip() and not line.startswith(DISCOVERY_WARNING)]


@pytest.mark.parametrize('case', sorted(CAUSES))
def test_plan_fails_cleanly(https_sandbox, image, case):
    box = https_sandbox
    result = box.openstack('image', 'migrate', 'plan', '--dest-cloud', case,
                           '--image', image['id'], '-f', 'json',
                           check=False)
    assert_clean_failure(box, result)
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert case in lines[0]
    assert CAUSES[case] in lines[0]


@pytest.mark.parametrize('case', sorted(CAUSES))
def test_migrate_writes_nothing(https_sandbox, image, case):
    box = https_sandbox
    before = fs.snapshot(box)
    result = box.openstack('image', 'migrate', '--dest-cloud', case,
                           '--no-progress', '--image', image['id'],
                           check=False)
    assert_clean_failure(box, result)
    assert fs.snapshot(box) == before
    assert fs.copies(box, image['id']) == []


def test_verify_false_works(https_sandbox, tmp_path):
    box = https_sandbox
    images = fs.Images(box)
    made = images.make('a-tls-insecure', fs.MiB)
    result = box.openstack('image', 'migrate', 'plan', '--dest-cloud',
                           'dst-insecure', '--image', made['id'], '-f',
                           'json')
    assert [row['Source ID'] for row in json.loads(result.stdout)] == [
        made['id']]
    rows, run = fs.migrate(box, '--image', made['id'], dest='dst-insecure')
    assert run.returncode == 0, run.stderr
    assert rows[made['id']]['Result'] == 'migrated'
    fs.assert_one_good_copy(box, made, images.data[made['id']])


def test_catalogs_and_clouds_yaml_are_https(https_sandbox):
    box = https_sandbox
    for cloud in ('src', 'dst'):
        clients = box.clients(cloud)
        assert clients.image.get_endpoint().startswith('https://127.0.0.1:')
        config = box.config.get_one(cloud=cloud).config
        assert config['cacert'] == box.info['cafiles'][cloud]
        assert os.path.exists(config['cacert'])
    assert box.info['cafiles']['src'] != box.info['cafiles']['dst']


# What the CLI prints: one line, "destination cloud <name>: <cause>",
# without urllib3's plumbing.
PLUMBING = ('HTTPSConnectionPool', 'Max retries exceeded', '_ssl.c',
            'SSLCertVerificationError')


@pytest.mark.parametrize('case', sorted(CAUSES))
def test_tls_error_is_one_plain_line(https_sandbox, image, case):
    result = https_sandbox.openstack(
        'image', 'migrate', 'plan', '--dest-cloud', case, '--image',
        image['id'], '-f', 'json', check=False)
    assert_clean_failure(https_sandbox, result)
    line = error_lines(result)[0]
    assert line.startswith('destination cloud %s: ' % case), line
    assert CAUSES[case] in line
    for word in PLUMBING:
        assert word not in line


@pytest.mark.parametrize('case', sorted(CAUSES))
def test_tls_error_is_all_of_stderr(https_sandbox, image, case):
    result = https_sandbox.openstack(
        'image', 'migrate', 'plan', '--dest-cloud', case, '--image',
        image['id'], '-f', 'json', check=False)
    assert_clean_failure(https_sandbox, result)
    lines = [line for line in result.stderr.split('\n') if line.strip()]
    assert len(lines) == 1, result.stderr
