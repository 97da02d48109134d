# SPDX-License-Identifier: Apache-2.0
"""Two clouds that are regions of one Keystone."""

from osc_image_migrate.planning import regions
from tests.unit import fakes

KEYSTONE = 'https://keystone.example:5000/v3'


def place(region='RegionTwo', identity=KEYSTONE, user_id='u1'):
    return regions.Place(identity, user_id, region)


def test_same_keystone_and_user_in_other_regions():
    assert regions.one_keystone(place('RegionOne'), place())
    assert regions.other_regions(place('RegionOne'), place())


def test_a_trailing_slash_is_the_same_keystone():
    assert regions.one_keystone(place(identity=KEYSTONE + '/'), place())


def test_another_keystone_or_user_is_not_one_keystone():
    assert not regions.one_keystone(
        place(identity='https://other.example/v3'), place())
    assert not regions.one_keystone(place(user_id='u2'), place())
    assert not regions.one_keystone(place(identity=None), place())
    assert not regions.one_keystone(place(user_id=None),
                                    place(user_id=None))


def test_the_same_region_is_the_same_cloud():
    assert regions.one_keystone(place(), place())
    assert not regions.other_regions(place(), place())
    assert not regions.other_regions(place(None), place())


def test_every_project_maps_to_itself_the_operators_map_wins():
    demo = fakes.project('demo')
    alt = fakes.project('alt')
    source = fakes.make_inventory(projects=[demo, alt])
    mapped = regions.identity_map(source, [demo.id, alt.id],
                                  {alt.id: 'elsewhere'})
    assert mapped == {demo.id: demo.id, alt.id: 'elsewhere'}


def test_a_deleted_project_is_left_to_the_orphan_rules():
    demo = fakes.project('demo')
    source = fakes.make_inventory(projects=[demo])
    source.projects_complete = True
    assert regions.identity_map(source, [demo.id, 'gone'], {}) == {
        demo.id: demo.id}
    source.projects_complete = False
    assert regions.identity_map(source, ['gone'], {}) == {'gone': 'gone'}


def test_projects_of_images_are_owners_and_members():
    demo, alt = fakes.project('demo'), fakes.project('alt')
    image = fakes.image('shared', demo)
    other = fakes.image('other', alt)
    source = fakes.make_inventory(
        images=[image, other], projects=[demo, alt],
        members={image['id']: [fakes.member(alt)]})
    assert regions.projects_of(source, [image['id'], 'missing']) == {
        demo.id, alt.id}
