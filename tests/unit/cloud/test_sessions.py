# SPDX-License-Identifier: Apache-2.0
"""The one seam that turns a cloud into clients."""

import logging
from unittest import mock

from keystoneauth1 import session as ks_session
from openstack.config import loader
from osc_lib import exceptions
import pytest
import yaml

from osc_image_migrate.cloud import sessions

AUTH = {'auth_url': 'https://keystone.example/v3', 'username': 'u',
        'password': 'p', 'project_name': 'p',
        'user_domain_name': 'Default', 'project_domain_name': 'Default'}


@pytest.fixture
def cloud_config(tmp_path):
    path = tmp_path / 'clouds.yaml'
    path.write_text(yaml.safe_dump({'clouds': {
        'src': {'auth': AUTH, 'region_name': 'One'},
        'dst': {'auth': AUTH, 'region_name': 'Two',
                'interface': 'internal', 'verify': False,
                'image_endpoint_override': 'https://glance.example:9292'},
    }}))
    return loader.OpenStackConfig(config_files=[str(path)],
                                  vendor_files=[], load_envvars=False)


def test_dest_client_honours_region_interface_and_endpoint(cloud_config):
    dst = sessions.dest_clients(cloud_config, 'dst')
    for adapter in (dst.glance.http_client, dst.image):
        assert adapter.region_name == 'Two'
        assert adapter.interface == 'internal'
        assert adapter.endpoint_override == 'https://glance.example:9292'
        assert adapter.session is dst.session
    assert dst.identity.region_name == 'Two'
    assert dst.identity.service_type == 'identity'


def test_dest_client_uses_glance_v2(cloud_config):
    dst = sessions.dest_clients(cloud_config, 'dst')
    assert type(dst.glance).__module__ == 'glanceclient.v2.client'


def test_dest_cloud_loaded_through_cloud_config(cloud_config):
    with mock.patch.object(cloud_config, 'get_one',
                           wraps=cloud_config.get_one) as get_one:
        sessions.dest_clients(cloud_config, 'dst')
    get_one.assert_called_once_with(cloud='dst')


def test_unknown_dest_cloud_is_one_line_error(cloud_config):
    with pytest.raises(exceptions.CommandError) as raised:
        sessions.dest_clients(cloud_config, 'nosuch')
    message = str(raised.value)
    assert 'nosuch' in message and 'not found' in message
    assert '\n' not in message


def test_source_clients_come_from_osc_session():
    session = ks_session.Session()
    manager = mock.Mock(session=session, region_name='One',
                        interface='admin')
    manager.get_endpoint_for_service_type.return_value = 'https://img:1'
    src = sessions.source_clients(manager)
    assert src.session is session
    assert src.glance.http_client.session is session
    assert src.image.endpoint_override == 'https://img:1'
    assert src.image.region_name == 'One'
    assert src.image.interface == 'admin'
    manager.get_endpoint_for_service_type.assert_called_once_with(
        'image', region_name='One', interface='admin')


def test_discovery_warning_is_kept_for_debug_only(caplog):
    logger = logging.getLogger('keystoneauth.identity.generic.base')
    with caplog.at_level(logging.DEBUG):
        with sessions.discovery_warnings_at_debug():
            logger.warning('Failed to discover available identity versions '
                           'when contacting %s.', 'https://k')
            logger.warning('Something else')
    levels = {r.getMessage().split(' ')[0]: r.levelname
              for r in caplog.records}
    assert levels == {'Failed': 'DEBUG', 'Something': 'WARNING'}


def test_identity_is_reached_through_the_auth_url(cloud_config):
    # Not through the catalog of the cloud's region: regions of one
    # Keystone often register it in the first region only.
    from keystoneauth1 import plugin
    dst = sessions.dest_clients(cloud_config, 'dst')
    assert dst.identity.interface is plugin.AUTH_INTERFACE


def location_config(tmp_path, block):
    path = tmp_path / 'clouds.yaml'
    path.write_text(yaml.safe_dump({'clouds': {
        'dst': {'auth': AUTH, 'image_migrate': block},
        'dst-service': {'auth': dict(AUTH, username='svc'),
                        'image_migrate': {'location_cloud': 'dst'}},
    }}))
    return loader.OpenStackConfig(config_files=[str(path)],
                                  vendor_files=[], load_envvars=False)


def test_a_named_location_cloud_gets_clients_of_its_own(tmp_path):
    config = location_config(tmp_path, {'location_cloud': 'dst-service'})
    dst = sessions.dest_clients(config, 'dst')
    assert dst.location.name == 'dst-service'
    assert dst.location.session.auth._username == 'svc'
    # Followed one step only: its own block names no further one.
    assert dst.location.location is None
    assert sessions.dest_clients(
        location_config(tmp_path, {}), 'dst').location is None


def test_an_unknown_location_cloud_is_one_line_error(tmp_path):
    config = location_config(tmp_path, {'location_cloud': 'nosuch'})
    with pytest.raises(exceptions.CommandError) as raised:
        sessions.dest_clients(config, 'dst')
    message = str(raised.value)
    assert message.startswith('Location cloud nosuch (location_cloud of '
                              'destination cloud dst): ')
    assert 'not found' in message and '\n' not in message
