# SPDX-License-Identifier: Apache-2.0
"""Planning of re-runs (issue 10): drift, orphans, deleted source images."""

from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import selection
from osc_image_migrate.v1 import rows
from tests.unit import fakes
from tests.unit.fakes.scene import copy_in_dest
from tests.unit.fakes.scene import D_ADMIN
from tests.unit.fakes.scene import D_ALT
from tests.unit.fakes.scene import D_DEMO
from tests.unit.fakes.scene import GONE
from tests.unit.fakes.scene import in_dst
from tests.unit.fakes.scene import in_src
from tests.unit.fakes.scene import plan_all
from tests.unit.fakes.scene import plan_one
from tests.unit.fakes.scene import S_ALT
from tests.unit.fakes.scene import S_DEMO


# -- drift

def test_changed_metadata_is_update_naming_each_field():
    image = fakes.image('x', S_DEMO, min_ram=512, os_distro='ubuntu',
                        tags=['b'])
    dest = in_dst([copy_in_dest(image, min_ram=0, os_distro='debian',
                                tags=['a'], name='old', extra='y')])
    item = plan_one(in_src([image]), dest)
    assert item.action == planner.UPDATE
    assert item.reason == (
        'same data in the destination as %s; changed in the source: '
        "name 'old' -> 'x', min_ram 0 -> 512, tags ['a'] -> ['b'], "
        "property:extra 'y' -> (none), property:os_distro 'debian' -> "
        "'ubuntu'" % image['id'])
    assert [c.field for c in item.changes] == [
        'name', 'min_ram', 'tags', 'property:extra', 'property:os_distro']


def test_owner_changed_in_the_source_is_update():
    image = fakes.image('x', S_ALT)
    item = plan_one(in_src([image]), in_dst(
        [copy_in_dest(image, owner=D_DEMO)]))
    assert item.action == planner.UPDATE
    assert item.changes[0].new == D_ALT.id


def test_reactivated_in_the_source_is_finish_named_reactivated():
    image = fakes.image('x', S_DEMO)
    dest = in_dst([copy_in_dest(image, status='deactivated')])
    item = plan_one(in_src([image]), dest)
    assert item.action == planner.FINISH
    assert item.reason.endswith(
        'deactivated True -> False; still to apply: reactivated')


def test_fixed_field_difference_is_reported_not_synced():
    image = fakes.image('x', S_DEMO)
    dest = in_dst([copy_in_dest(image, disk_format='qcow2')])
    item = plan_one(in_src([image]), dest)
    assert item.action == planner.SKIP
    assert 'differs: disk_format' in item.reason
    assert 'cannot be synced' in item.reason
    assert rows.plan_exit_status([item]) == (
        rows.EXIT_ATTENTION)


def test_finished_copy_follows_a_dependency_that_gets_a_new_id():
    kernel = fakes.image('kernel', S_DEMO)
    boot = fakes.image('boot', S_DEMO, kernel_id=kernel['id'])
    dest = in_dst([copy_in_dest(kernel, checksum='o', os_hash_value='o'),
                   copy_in_dest(boot)])
    plan = plan_all(in_src([kernel, boot]), dest)
    assert [i.action for i in plan] == [planner.NEW_ID, planner.UPDATE]
    assert plan[1].changes[0].field == 'kernel_id'


def test_non_admin_cannot_change_the_owner():
    image = fakes.image('x', S_DEMO)
    dest = fakes.make_inventory(
        [copy_in_dest(image, owner=D_ALT)], [D_ALT, D_DEMO],
        is_admin=False)
    item = plan_one(in_src([image]), dest)
    assert item.action == planner.BLOCKED
    assert 'needs admin' in item.reason


# -- orphans

def test_orphan_goes_to_orphans_to():
    image = fakes.image('x', GONE)
    item = plan_one(in_src([image]), in_dst(), orphans_to='admin')
    assert (item.action, item.dest_owner) == (planner.COPY, D_ADMIN.id)
    item = plan_one(in_src([image]), in_dst(), orphans_to='nowhere')
    assert item.action == planner.BLOCKED
    assert "'nowhere' (--orphans-to)" in item.reason


def test_orphan_mapped_by_id_wins_over_orphans_to():
    image = fakes.image('x', GONE)
    item = plan_one(in_src([image]), in_dst(), orphans_to='admin',
                    project_map={GONE: 'alt'})
    assert item.dest_owner == D_ALT.id


def test_orphans_to_does_not_take_existing_unmapped_owners():
    lonely = fakes.project('lonely')
    image = fakes.image('x', lonely)
    source = fakes.make_inventory([image], [lonely])
    item = plan_one(source, in_dst(), orphans_to='admin')
    assert item.action == planner.BLOCKED
    assert '--orphans-to' not in item.reason


def test_deleted_member_is_left_out_with_a_note():
    image = fakes.image('x', S_DEMO, visibility='shared')
    members = {image['id']: [fakes.member(GONE), fakes.member(S_ALT)]}
    item = plan_one(in_src([image], members), in_dst())
    assert item.action == planner.COPY
    assert item.members == [{'member_id': D_ALT.id, 'status': 'accepted'}]
    assert item.reason.endswith(
        'member %s left out: the project was deleted from the source'
        % GONE)


def test_unlisted_projects_are_not_orphans():
    image = fakes.image('x', GONE)
    item = plan_one(in_src([image], projects_complete=False), in_dst(),
                    orphans_to='admin')
    assert item.action == planner.BLOCKED


# -- destination copies whose source image is gone

def _tagged(source_id, owner=D_DEMO):
    record = fakes.image('old', owner, image_id=fakes.make_id(source_id))
    record[model.SOURCE_ID_PROPERTY] = source_id
    return record


def test_source_deleted_copies_are_listed_for_covered_projects():
    here = fakes.image('here', S_DEMO)
    dest = in_dst([_tagged('gone-1'), _tagged('gone-2', D_ALT),
                   _tagged(here['id']), fakes.image('native', D_DEMO)])
    source = in_src([here])
    plan = planner.make_plan(source, dest, {}, deleted_in=[S_DEMO.id])
    assert [(i.source_id, i.action, i.dest_id) for i in plan] == [
        ('gone-1', planner.SOURCE_DELETED, fakes.make_id('gone-1'))]
    assert 'never deletes' in plan[0].reason
    everything = planner.make_plan(source, dest, {},
                                   deleted_in=selection.ALL)
    assert [i.source_id for i in everything] == ['gone-1', 'gone-2']
    assert planner.make_plan(source, dest, {}) == []
    assert rows.plan_exit_status(plan) == (
        rows.EXIT_ATTENTION)


def test_same_id_copy_of_a_deleted_source_is_listed():
    """Every copy records its source ID, one under that very ID too."""
    same = fakes.image('same', D_DEMO)
    same[model.SOURCE_ID_PROPERTY] = same['id']
    plan = planner.make_plan(in_src([]), in_dst([same]), {},
                             deleted_in=[S_DEMO.id])
    assert [(i.source_id, i.action, i.dest_id) for i in plan] == [
        (same['id'], planner.SOURCE_DELETED, same['id'])]


def test_a_copy_under_a_new_id_wins_over_the_same_id_record():
    """The new-ID copy exists because the same ID could not hold the data."""
    source = fakes.image('x', S_DEMO)
    bad = fakes.image('x', D_DEMO, image_id=source['id'], status='deactivated')
    good = _tagged(source['id'])
    bad[model.SOURCE_ID_PROPERTY] = source['id']
    for order in ([bad, good], [good, bad]):
        assert in_dst(order).images_by_source_id() == {source['id']: good}
