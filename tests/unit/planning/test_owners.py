# SPDX-License-Identifier: Apache-2.0
"""Which destination project owns, and which ones share, each copy."""

import pytest

from osc_image_migrate.planning import owners
from tests.unit import fakes
from tests.unit.fakes.scene import D_ALT
from tests.unit.fakes.scene import D_DEMO
from tests.unit.fakes.scene import GONE
from tests.unit.fakes.scene import in_dst
from tests.unit.fakes.scene import in_src
from tests.unit.fakes.scene import S_ALT
from tests.unit.fakes.scene import S_DEMO


def test_the_project_of_the_same_domain_and_name_owns_the_copy():
    image = fakes.image('x', S_DEMO)
    owner, members, notes = owners.owner_and_members(
        in_src([image]), in_dst(), image, {})
    assert (owner, members, notes) == (D_DEMO, [], [])


def test_members_are_mapped_and_deleted_ones_left_out_with_a_note():
    image = fakes.image('x', S_DEMO, visibility='shared')
    source = in_src([image], {image['id']: [
        fakes.member(S_ALT, 'pending'), fakes.member(GONE)]})
    owner, members, notes = owners.owner_and_members(source, in_dst(),
                                                     image, {})
    assert owner == D_DEMO
    assert members == [{'member_id': D_ALT.id, 'status': 'pending'}]
    assert notes == ['member %s left out: the project was deleted from '
                     'the source' % GONE]


def test_a_project_map_wins_by_id_or_name():
    image = fakes.image('x', S_DEMO)
    owner, _, _ = owners.owner_and_members(
        in_src([image]), in_dst(), image, {S_DEMO.id: 'alt'})
    assert owner == D_ALT


def test_an_orphan_needs_a_map_or_orphans_to():
    image = fakes.image('x', GONE)
    with pytest.raises(owners.Unmapped) as raised:
        owners.owner_and_members(in_src([image]), in_dst(), image, {})
    assert '--orphans-to <dest project>' in str(raised.value)
    owner, _, _ = owners.owner_and_members(in_src([image]), in_dst(),
                                           image, {}, orphans_to='alt')
    assert owner == D_ALT


def test_an_owner_without_a_destination_project_is_unmapped():
    lonely = fakes.project('lonely')
    image = fakes.image('x', lonely)
    source = fakes.make_inventory([image], [lonely])
    with pytest.raises(owners.Unmapped) as raised:
        owners.owner_and_members(source, in_dst(), image, {})
    assert str(raised.value) == (
        'no destination project for owner lonely (%s)' % lonely.id)
    with pytest.raises(owners.Unmapped, match='has no owner'):
        owners.owner_and_members(source, in_dst(), dict(image, owner=None),
                                 {})


def test_an_id_the_destination_cannot_list_is_taken_as_given():
    dest = fakes.make_inventory([], [D_DEMO], projects_complete=False)
    ref = 'f' * 32
    assert owners.dest_project(dest, ref).id == ref
    assert owners.dest_project(in_dst(), ref) is None
    assert owners.dest_project(dest, 'demo') == D_DEMO
