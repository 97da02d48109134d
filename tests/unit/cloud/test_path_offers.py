# SPDX-License-Identifier: Apache-2.0
"""The offloaded paths two clouds allow."""

from osc_image_migrate.cloud import path_offers
from osc_image_migrate.planning import planner
from tests.unit.fakes import regions


def test_no_offloaded_path_is_in_play_between_unrelated_clouds():
    src = regions.clients('src', identity='https://one.example/v3',
                          region='RegionOne')
    dst = regions.clients('dst', identity='https://two.example/v3')
    assert path_offers.offerers(src, dst) == []


def test_glance_download_is_offered_between_regions_of_one_keystone():
    src = regions.clients('src', region='RegionOne')
    found = path_offers.offerers(src, regions.clients())
    item = planner.PlanItem('s', source_image={
        'status': 'active', 'size': 1, 'os_hash_algo': 'sha512',
        'os_hash_value': 'ab'})
    assert [offerer(item).path for offerer in found] == ['glance-download']
