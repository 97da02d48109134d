# SPDX-License-Identifier: Apache-2.0
"""TLS settings are per cloud: the destination's never come from the source.

``verify``, ``cacert``, ``cert`` and ``key`` of the destination cloud's own
clouds.yaml entry reach every client built for it (metadata and data);
the source's settings, insecure ones included, stay with the source.
"""

from openstack.config import loader
import pytest
import yaml

from osc_image_migrate.cloud import sessions

AUTH = {'auth_url': 'https://keystone.example/v3', 'username': 'u',
        'password': 'p', 'project_name': 'p',
        'user_domain_name': 'Default', 'project_domain_name': 'Default'}


@pytest.fixture
def pems(tmp_path):
    names = ('src-ca', 'dst-ca', 'src-cert', 'src-key', 'dst-cert',
             'dst-key')
    paths = {}
    for name in names:
        paths[name] = str(tmp_path / ('%s.pem' % name))
        (tmp_path / ('%s.pem' % name)).write_text('not a real PEM\n')
    return paths


def config_with(tmp_path, **entries):
    path = tmp_path / 'clouds.yaml'
    path.write_text(yaml.safe_dump({'clouds': {
        name: dict(entry, auth=AUTH) for name, entry in entries.items()}}))
    return loader.OpenStackConfig(config_files=[str(path)],
                                  vendor_files=[], load_envvars=False)


def sessions_of(dst):
    """Every session the destination's clients would use."""
    return {dst.session, dst.image.session, dst.identity.session,
            dst.glance.http_client.session}


def test_insecure_source_leaves_the_destination_verifying(tmp_path, pems):
    config = config_with(tmp_path, src={'verify': False},
                         dst={'cacert': pems['dst-ca']})
    dst = sessions.dest_clients(config, 'dst')
    assert sessions_of(dst) == {dst.session}
    assert dst.session.verify == pems['dst-ca']
    assert config.get_one(cloud='src').get_session().verify is False


def test_default_destination_verifies_with_system_cas(tmp_path, pems):
    config = config_with(tmp_path, src={'insecure': True,
                                        'cacert': pems['src-ca']},
                         dst={})
    assert sessions.dest_clients(config, 'dst').session.verify is True


def test_insecure_destination_only(tmp_path, pems):
    config = config_with(tmp_path, src={'cacert': pems['src-ca']},
                         dst={'insecure': True})
    assert sessions.dest_clients(config, 'dst').session.verify is False
    assert config.get_one(cloud='src').get_session().verify == \
        pems['src-ca']


def test_client_certificates_are_per_cloud(tmp_path, pems):
    config = config_with(
        tmp_path,
        src={'cert': pems['src-cert'], 'key': pems['src-key']},
        dst={'cert': pems['dst-cert'], 'key': pems['dst-key']},
        plain={})
    dst = sessions.dest_clients(config, 'dst')
    assert sessions_of(dst) == {dst.session}
    assert dst.session.cert == (pems['dst-cert'], pems['dst-key'])
    assert sessions.dest_clients(config, 'plain').session.cert is None


def test_the_location_cloud_keeps_its_own_tls_settings(tmp_path, pems):
    config = config_with(
        tmp_path,
        dst={'cacert': pems['dst-ca'],
             'image_migrate': {'location_cloud': 'dst-service'}},
        **{'dst-service': {'verify': False}})
    dst = sessions.dest_clients(config, 'dst')
    assert {s.verify for s in sessions_of(dst)} == {pems['dst-ca']}
    assert dst.location.name == 'dst-service'
    assert {s.verify for s in sessions_of(dst.location)} == {False}
    assert dst.location.session is not dst.session
