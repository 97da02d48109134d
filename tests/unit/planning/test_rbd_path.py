# SPDX-License-Identifier: Apache-2.0
"""Which images the rbd path takes, and why not."""

import pytest

from osc_image_migrate import model
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import rbd_path

FSID = '0a7e43c8-d3cc-44b8-b3b2-b4d90f62ba18'
URL = 'rbd://%s/images/abc/snap' % FSID
SETTINGS = rbd_path.CephSettings('/etc/ceph/src.conf', 'glance')


def record(**fields):
    found = {'id': 'abc', 'status': 'active', 'size': 10,
             'os_hash_algo': 'sha512', 'os_hash_value': 'f' * 128,
             'direct_url': URL}
    found.update(fields)
    return found


def item(**fields):
    return planner.PlanItem('abc', source_image=record(**fields))


def clouds(src=SETTINGS, dst=SETTINGS, fsid=FSID, role=True,
           unreachable=None):
    return rbd_path.RbdClouds(
        rbd_path.CephSide('src', src, fsid),
        rbd_path.CephSide('dst', dst, 'other-fsid', unreachable),
        role)


def test_a_url_names_fsid_pool_image_and_snapshot():
    found = rbd_path.parse_location(URL)
    assert found == rbd_path.RbdLocation(FSID, 'images', 'abc', 'snap')
    assert found.spec == 'images/abc@snap'
    assert found.url == URL


@pytest.mark.parametrize('url', [None, 'file:///x', 'rbd://a/b/c',
                                 'rbd://a/b//d', 'rbd://a/b/c/d/e', 3])
def test_other_urls_are_not_rbd_locations(url):
    assert rbd_path.parse_location(url) is None


def test_locations_stand_in_for_a_direct_url():
    found = rbd_path.source_location(record(direct_url=None, locations=[
        {'url': 'file:///a'}, {'url': URL}]))
    assert found.image == 'abc'


def test_an_image_not_in_rbd_is_not_offered():
    assert rbd_path.offer(clouds(), item(direct_url='file:///a')) is None


def test_an_image_in_rbd_is_offered_where_everything_holds():
    assert rbd_path.offer(clouds(), item()) == data_paths.PathOffer(
        data_paths.RBD)


@pytest.mark.parametrize('kwargs, reason', [
    ({'dst': None}, 'no Ceph settings for cloud dst'),
    ({'src': None}, 'no Ceph settings for cloud src'),
    ({'role': False}, 'destination credential lacks the service role'),
    ({'unreachable': 'ceph fsid: timed out'},
     'Ceph of cloud dst: ceph fsid: timed out'),
    ({'fsid': 'elsewhere'}, 'the data is in Ceph cluster %s, not in '
     'cloud src\'s (elsewhere)' % FSID),
])
def test_each_missing_condition_is_the_reason(kwargs, reason):
    assert rbd_path.offer(clouds(**kwargs), item()).refusal == reason


def test_never_into_the_pool_the_source_data_is_in():
    same = rbd_path.RbdClouds(rbd_path.CephSide('src', SETTINGS, FSID),
                              rbd_path.CephSide('dst', SETTINGS, FSID),
                              True)
    assert rbd_path.offer(same, item()).refusal == (
        'both clouds keep their images in pool images of Ceph cluster %s'
        % FSID)
    other_pool = rbd_path.RbdClouds(
        same.src, rbd_path.CephSide('dst', rbd_path.CephSettings(
            '/c', pool='volumes'), FSID), True)
    assert rbd_path.offer(other_pool, item()).refusal is None


def test_a_hashless_record_is_left_to_the_stream():
    offer = rbd_path.offer(clouds(), item(os_hash_value=None,
                                          os_hash_algo=None))
    assert offer.refusal.startswith('hashless record')


def test_settings_come_from_the_clouds_yaml_block():
    assert rbd_path.settings_from(None) is None
    assert rbd_path.settings_from({'rbd_pool': 'x'}) is None
    found = rbd_path.settings_from({'ceph_conf': '/c', 'ceph_user': 'u',
                                    'ceph_keyring': '/k', 'rbd_pool': 'p'})
    assert found == rbd_path.CephSettings('/c', 'u', '/k', 'p')
    assert found.args() == ['--conf', '/c', '--id', 'u', '--keyring', '/k']
    assert rbd_path.settings_from({'ceph_conf': '/c'}).args() == [
        '--conf', '/c', '--id', 'admin']


@pytest.mark.parametrize('block', [['x'], {'ceph_conf': '/c',
                                           'rbd_pool': 3}])
def test_a_block_of_the_wrong_shape_is_a_usage_error(block):
    with pytest.raises(model.UsageError):
        rbd_path.settings_from(block)


def test_a_location_cloud_is_named_in_the_block():
    assert rbd_path.location_cloud(None) is None
    assert rbd_path.location_cloud({'ceph_conf': '/c'}) is None
    assert rbd_path.location_cloud({'location_cloud': 'dst-service'}) == (
        'dst-service')


@pytest.mark.parametrize('name', ['', ' ', 3, ['dst-service']])
def test_a_location_cloud_that_names_no_entry_is_a_usage_error(name):
    with pytest.raises(model.UsageError, match='location_cloud must name'):
        rbd_path.location_cloud({'location_cloud': name})
