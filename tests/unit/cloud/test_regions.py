# SPDX-License-Identifier: Apache-2.0
"""Reading whether two clouds are regions of one Keystone."""

import types

from keystoneauth1 import exceptions as ks_exc

from osc_image_migrate.cloud import inventory
from osc_image_migrate.cloud import regions
from tests.unit.fakes import regions as fake


def test_place_reads_keystone_user_region_and_interface():
    place = regions.place(fake.clients())
    assert place == regions.regions.Place(
        'https://keystone.example/v3', 'u1', 'RegionTwo', 'public')


def test_a_cloud_without_region_takes_its_image_endpoints_from_the_catalog():
    clients = fake.clients(region=None)
    clients.image.get_endpoint = lambda: 'https://glance.two/'
    catalog = types.SimpleNamespace(get_endpoints=lambda **kw: {'image': [
        {'url': 'https://glance.one', 'region_id': 'RegionOne'},
        {'url': 'https://glance.two', 'region_id': 'RegionTwo'}]})
    clients.access = lambda: types.SimpleNamespace(
        user_id='u1', service_catalog=catalog)
    assert regions.place(clients).region == 'RegionTwo'


def test_what_cannot_be_read_is_not_a_region():
    clients = fake.clients()

    def fails():
        raise ks_exc.EndpointNotFound('no identity')
    clients.identity.get_endpoint = fails
    assert regions.place(clients) == regions.regions.Place(
        None, None, None, 'public')
    assert regions.glance_download_setting(
        fake.clients('src', region='RegionOne'), clients) is None


def test_regions_of_one_keystone_get_a_setting():
    setting = regions.glance_download_setting(
        fake.clients('src', region='RegionOne'), fake.clients())
    assert setting == regions.glance_download.Setting('RegionOne', 'public',
                                                      offered=True)


def test_a_destination_without_the_method_is_told_in_the_setting():
    setting = regions.glance_download_setting(
        fake.clients('src', region='RegionOne'),
        fake.clients(methods=('glance-direct',)))
    assert setting.offered is False
    assert inventory.import_methods(fake.clients(methods=None)) == ()


def test_the_same_region_or_another_keystone_is_not_in_play():
    assert regions.glance_download_offerer(
        fake.clients('src'), fake.clients()) is None
    assert regions.glance_download_offerer(
        fake.clients('src', identity='https://other/v3', region='RegionOne'),
        fake.clients()) is None
    assert not regions.one_keystone(
        fake.clients('src', user_id='u2'), fake.clients())
    assert regions.one_keystone(fake.clients('src'), fake.clients())
