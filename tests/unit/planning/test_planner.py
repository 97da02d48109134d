# SPDX-License-Identifier: Apache-2.0
"""The plan of each image: its action, destination ID and owner, and why."""

import copy

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from osc_image_migrate.cloud import survey
from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import metadata
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import selection
from tests.unit import fakes
from tests.unit.fakes.scene import copy_in_dest
from tests.unit.fakes.scene import D_ADMIN
from tests.unit.fakes.scene import D_ALT
from tests.unit.fakes.scene import D_DEMO
from tests.unit.fakes.scene import D_RENAMED
from tests.unit.fakes.scene import in_dst
from tests.unit.fakes.scene import in_src
from tests.unit.fakes.scene import plan_all
from tests.unit.fakes.scene import plan_one
from tests.unit.fakes.scene import S_ADMIN
from tests.unit.fakes.scene import S_ALT
from tests.unit.fakes.scene import S_DEMO
from tests.unit.fakes.scene import SRC_PROJECTS
from tests.unit.fakes.scene import tagged_copy


# -- fresh copies

def test_copy_keeps_the_id_when_free():
    image = fakes.image('cirros', S_DEMO, visibility='shared')
    source = in_src([image], {image['id']: [fakes.member(S_ALT)]})
    item = plan_one(source, in_dst())
    assert item.action == planner.COPY
    assert item.dest_id == image['id']
    assert item.reason == 'ID free in destination'
    assert (item.owner, item.owner_name) == (S_DEMO.id, 'demo')
    assert (item.dest_owner, item.dest_owner_name) == (D_DEMO.id, 'demo')
    assert item.members == [{'member_id': D_ALT.id, 'status': 'accepted'}]
    assert item.selected == ['all']
    assert item.source_image == image
    assert item.source_image is not image
    assert item.dest_image is None
    assert (item.size, item.status, item.disk_format,
            item.container_format) == (4, 'active', 'raw', 'bare')


def test_non_admin_free_id_is_hedged():
    image = fakes.image('cirros', S_DEMO)
    dest = in_dst(is_admin=False, project_id=D_DEMO.id,
                  projects_complete=False)
    item = plan_one(in_src([image]), dest)
    assert item.action == planner.COPY
    assert 'as far as a non-admin credential can see' in item.reason


@pytest.mark.parametrize('size', [None, 0])
def test_no_data_is_metadata_only(size):
    image = fakes.image('snapshot', S_DEMO, data=None, size=size)
    item = plan_one(in_src([image]), in_dst())
    assert item.action == planner.METADATA_ONLY
    assert item.dest_id == image['id']


def test_empty_active_image_is_copied():
    item = plan_one(in_src([fakes.image('empty', S_DEMO, data=b'')]), in_dst())
    assert item.action == planner.COPY


@pytest.mark.parametrize('status', planner.UNSUPPORTED_STATUSES + ('odd',))
def test_unsupported_source_status(status):
    item = plan_one(
        in_src([fakes.image('x', S_DEMO, status=status)]), in_dst())
    assert item.action == planner.BLOCKED
    assert item.reason == 'source image is %s' % status


def test_deactivated_is_copied_by_an_admin_only():
    image = fakes.image('x', S_DEMO, status='deactivated')
    assert plan_one(in_src([image]), in_dst()).action == planner.COPY
    item = plan_one(in_src([image], is_admin=False), in_dst())
    assert item.action == planner.BLOCKED
    assert 'only an admin can download' in item.reason


# -- owners and members

def test_owner_needs_same_domain_and_name():
    elsewhere = fakes.project('demo', 'dst', domain='other')
    image = fakes.image('x', S_DEMO)
    dest = fakes.make_inventory([], [D_ADMIN, elsewhere])
    item = plan_one(in_src([image]), dest)
    assert item.action == planner.BLOCKED
    assert item.reason == ('no destination project for owner demo (%s)'
                           % S_DEMO.id)


def test_owner_unknown_in_the_source():
    # Issue 10: the owner was deleted from Keystone; the reason goes on
    # with both ways out.
    item = plan_one(in_src([fakes.image('x', 'f' * 32)]), in_dst())
    assert item.reason.startswith(
        'no destination project for owner %s (not in the project list)'
        % ('f' * 32))
    assert '--map-project %s=<dest project>' % ('f' * 32) in item.reason
    assert '--orphans-to <dest project>' in item.reason


def test_image_without_owner_is_blocked():
    item = plan_one(in_src([fakes.image('x', None)]), in_dst())
    assert item.reason == 'source image has no owner'


@pytest.mark.parametrize('ref', [D_RENAMED.id, 'demo-renamed'])
def test_project_map_by_id_or_name(ref):
    image = fakes.image('x', S_DEMO)
    item = plan_one(in_src([image]), in_dst(), project_map={S_DEMO.id: ref})
    assert (item.dest_owner, item.dest_owner_name) == (
        D_RENAMED.id, 'demo-renamed')


def test_project_map_to_nowhere_is_blocked():
    image = fakes.image('x', S_DEMO)
    item = plan_one(in_src([image]), in_dst(), project_map={S_DEMO.id: 'nope'})
    assert item.action == planner.BLOCKED
    assert 'no destination project for owner demo' in item.reason


def test_project_map_to_an_id_the_destination_cannot_list():
    image = fakes.image('x', S_DEMO)
    dest = fakes.make_inventory([], [D_ADMIN], projects_complete=False)
    item = plan_one(in_src([image]), dest, project_map={S_DEMO.id: 'ab' * 16})
    assert item.dest_owner == 'ab' * 16


def test_members_are_mapped_and_unmapped_ones_block():
    lonely = fakes.project('lonely')
    image = fakes.image('x', S_DEMO, visibility='shared')
    members = {image['id']: [fakes.member(S_ALT, 'pending'),
                             fakes.member(lonely),
                             fakes.member('e' * 32)]}
    source = fakes.make_inventory([image], SRC_PROJECTS + [lonely], members)
    item = plan_one(source, in_dst())
    assert item.action == planner.BLOCKED
    # Issue 10: a member deleted from Keystone ('e' * 32) no longer blocks.
    assert item.reason == (
        'no destination project for member lonely (%s)' % lonely.id)
    item = plan_one(source, in_dst(), project_map={
        lonely.id: 'demo', 'e' * 32: D_ADMIN.id})
    assert item.members == [
        {'member_id': D_ALT.id, 'status': 'pending'},
        {'member_id': D_DEMO.id, 'status': 'accepted'},
        {'member_id': D_ADMIN.id, 'status': 'accepted'}]


def test_members_of_non_shared_images_are_ignored():
    image = fakes.image('x', S_DEMO, visibility='private')
    source = in_src([image], {image['id']: [fakes.member('nobody')]})
    item = plan_one(source, in_dst())
    assert (item.action, item.members) == (planner.COPY, [])


# -- destination without admin

def _non_admin_dest(images=(), members=None):
    return fakes.make_inventory(images, [D_DEMO], members, is_admin=False,
                                projects_complete=False)


def test_non_admin_can_create_in_its_own_project_only():
    mine = fakes.image('mine', S_DEMO, visibility='community')
    theirs = fakes.image('theirs', S_ALT)
    plan = plan_all(in_src([mine, theirs]), _non_admin_dest(),
                    project_map={S_ALT.id: D_ALT.id})
    by_name = {item.name: item for item in plan}
    assert by_name['mine'].action == planner.COPY
    assert by_name['theirs'].action == planner.BLOCKED
    assert by_name['theirs'].reason == (
        'needs admin on the destination to create images owned by %s'
        % D_ALT.id)


def test_non_admin_cannot_make_public_or_accept_members():
    public = fakes.image('public', S_DEMO, visibility='public')
    shared = fakes.image('shared', S_DEMO, visibility='shared')
    pending = fakes.image('pending', S_DEMO, visibility='shared')
    members = {shared['id']: [fakes.member(S_ALT)],
               pending['id']: [fakes.member(S_ALT, 'pending')]}
    plan = plan_all(in_src([public, shared, pending], members),
                    _non_admin_dest(), project_map={S_ALT.id: 'ab' * 16})
    by_name = {item.name: item for item in plan}
    assert by_name['public'].reason == (
        'needs admin on the destination to make an image public')
    assert by_name['shared'].reason == (
        'needs admin on the destination to set the member status of %s'
        % ('ab' * 16))
    assert by_name['pending'].action == planner.COPY


def test_non_admin_sees_a_finished_public_copy_as_skip():
    public = fakes.image('public', S_DEMO, visibility='public')
    dest = _non_admin_dest([copy_in_dest(public)])
    assert plan_one(in_src([public]), dest).action == planner.SKIP


# -- what the destination already holds

def test_same_data_and_state_is_skip():
    image = fakes.image('x', S_DEMO, visibility='shared', protected=True)
    members = {image['id']: [fakes.member(S_ALT)]}
    dest = in_dst([copy_in_dest(image)],
                  {image['id']: [fakes.member(D_ALT)]})
    item = plan_one(in_src([image], members), dest)
    assert item.action == planner.SKIP
    assert item.dest_id == image['id']
    assert item.dest_image == dest.images[image['id']]
    assert 'same data' in item.reason


@pytest.mark.parametrize('changes, members, missing', [
    ({'visibility': 'private'}, [fakes.member(D_ALT)],
     'visibility, members'),
    ({'protected': False}, [fakes.member(D_ALT)], 'protected'),
    ({}, [], 'members'),
    ({}, [fakes.member(D_ALT, 'pending')], 'members'),
    ({'os_hidden': True}, [fakes.member(D_ALT)], 'os_hidden'),
])
def test_same_data_other_state_is_finish(changes, members, missing):
    image = fakes.image('x', S_DEMO, visibility='shared', protected=True)
    dest = in_dst([copy_in_dest(image, **changes)], {image['id']: members})
    item = plan_one(
        in_src([image], {image['id']: [fakes.member(S_ALT)]}), dest)
    assert item.action == planner.FINISH
    assert item.reason.endswith('still to apply: %s' % missing)


def test_deactivation_still_to_apply_is_finish():
    image = fakes.image('x', S_DEMO, status='deactivated')
    item = plan_one(in_src([image]), in_dst(
        [copy_in_dest(image, status='active')]))
    assert item.action == planner.FINISH
    assert item.reason.endswith('deactivated')
    item = plan_one(in_src([image]), in_dst([copy_in_dest(image)]))
    assert item.action == planner.SKIP


def test_metadata_only_already_created_is_skip():
    image = fakes.image('snap', S_DEMO, data=None)
    assert plan_one(in_src([image]), in_dst([copy_in_dest(image)])).action == (
        planner.SKIP)


def test_same_data_compared_by_checksum_across_hash_algorithms():
    image = fakes.image('x', S_DEMO, data=b'abc')
    other_algo = fakes.image('x', S_DEMO, data=b'abc', algo='sha256')
    item = plan_one(in_src([image]), in_dst([copy_in_dest(other_algo)]))
    assert item.action == planner.SKIP
    assert model.same_data(image, other_algo)
    assert not model.same_data(image, dict(other_algo, checksum=None))
    assert not model.same_data(image, dict(image, size=5))
    assert not model.same_data(image, dict(image, os_hash_value='0'))


def test_queued_destination_record_is_resumed():
    image = fakes.image('x', S_DEMO)
    queued = copy_in_dest(fakes.image('x', S_DEMO, data=None,
                                      image_id=image['id']))
    item = plan_one(in_src([image]), in_dst([queued]))
    assert item.action == planner.RESUME
    assert item.dest_id == image['id']


# An upload or a stage still running: Glance sets a stage's size only once
# it completed (an ``importing`` record is resumed: see test_import_plan).
@pytest.mark.parametrize('status,fields', [
    ('saving', {}), ('uploading', {'size': None}),
    ('uploading', {'size': 3})])
def test_destination_upload_in_progress_is_blocked(status, fields):
    image = fakes.image('x', S_DEMO)
    item = plan_one(in_src([image]), in_dst([copy_in_dest(image, status=status,
                                                          **fields)]))
    assert item.action == planner.BLOCKED
    assert item.reason.startswith(
        'destination upload in progress or interrupted')


@pytest.mark.parametrize('changes', [
    {'os_hash_value': 'other', 'checksum': 'other'}, {'size': 1},
    {'status': 'killed'}])
def test_id_taken_by_other_data_is_new_id_or_blocked(changes):
    image = fakes.image('x', S_DEMO)
    dest = in_dst([copy_in_dest(image, **changes)])
    item = plan_one(in_src([image]), dest)
    assert item.action == planner.NEW_ID
    assert item.dest_id is None
    assert item.reason.startswith('ID taken in the destination')
    item = plan_one(in_src([image]), dest, keep_ids=True)
    assert item.action == planner.BLOCKED
    assert '--keep-ids' in item.reason


@pytest.mark.parametrize('taken', [False, True])
def test_copy_under_a_new_id_is_found_by_the_source_id(taken):
    image = fakes.image('x', S_DEMO)
    images = [tagged_copy(image)]
    if taken:
        images.append(copy_in_dest(image, checksum='o', os_hash_value='o'))
    item = plan_one(in_src([image]), in_dst(images), keep_ids=True)
    assert item.action == planner.SKIP
    assert item.dest_id == images[0]['id']


def test_queued_copy_under_a_new_id_is_resumed():
    image = fakes.image('x', S_DEMO)
    tagged = tagged_copy(image, status='queued', size=None)
    dest = in_dst([tagged, copy_in_dest(image, checksum='o',
                                        os_hash_value='o')])
    item = plan_one(in_src([image]), dest)
    assert (item.action, item.dest_id) == (planner.RESUME, tagged['id'])


def test_copy_under_a_new_id_with_other_data_is_blocked():
    image = fakes.image('x', S_DEMO)
    tagged = tagged_copy(image, checksum='o', os_hash_value='o')
    item = plan_one(in_src([image]), in_dst([tagged]))
    assert item.action == planner.BLOCKED
    assert 'records this source image but holds other data' in item.reason


# -- dependencies and order

def test_dependencies_come_first_then_name_then_id():
    kernel = fakes.image('zz-kernel', S_ADMIN, visibility='public')
    ramdisk = fakes.image('zz-ramdisk', S_ADMIN, visibility='public')
    boot = fakes.image('aa-boot', S_DEMO, kernel_id=kernel['id'],
                       ramdisk_id=ramdisk['id'])
    twin1 = fakes.image('twin', S_DEMO, image_id='b' * 8)
    twin2 = fakes.image('twin', S_ALT, image_id='a' * 8)
    plain = fakes.image('mm', S_DEMO)
    source = in_src([boot, plain, twin1, twin2, ramdisk, kernel])
    plan = plan_all(source, in_dst())
    assert [item.name for item in plan] == [
        'mm', 'twin', 'twin', 'zz-kernel', 'zz-ramdisk', 'aa-boot']
    assert [item.source_id for item in plan][1:3] == ['a' * 8, 'b' * 8]
    assert plan[-1].depends_on == [kernel['id'], ramdisk['id']]


def test_missing_dependency_is_planned_with_a_note():
    gone = fakes.make_id('gone')
    image = fakes.image('x', S_DEMO, kernel_id=gone)
    item = plan_one(in_src([image]), in_dst())
    assert item.action == planner.COPY
    assert item.depends_on == []
    assert item.reason == ('ID free in destination; kernel_id %s is not in '
                           'the source' % gone)


def test_blocked_dependency_blocks_the_dependant_unless_present():
    kernel = fakes.image('kernel', S_ADMIN, status='killed')
    boot = fakes.image('boot', S_DEMO, kernel_id=kernel['id'])
    done = fakes.image('done', S_DEMO, kernel_id=kernel['id'])
    plan = plan_all(in_src([kernel, boot, done]), in_dst([copy_in_dest(done)]))
    by_name = {item.name: item for item in plan}
    assert by_name['boot'].action == planner.BLOCKED
    assert by_name['boot'].reason == (
        'depends on blocked image %s' % kernel['id'])
    assert by_name['done'].action == planner.SKIP


def test_circular_references_do_not_hang():
    one = fakes.image('one', S_DEMO, image_id='1' * 8, kernel_id='2' * 8)
    two = fakes.image('two', S_DEMO, image_id='2' * 8, kernel_id='1' * 8)
    plan = plan_all(in_src([one, two]), in_dst())
    assert [item.name for item in plan] == ['one', 'two']
    assert all('circular' in item.reason for item in plan)


def test_selected_image_gone_from_the_source():
    item = planner.make_plan(in_src([]), in_dst(), {'gone': ['named']})[0]
    assert (item.action, item.reason) == (
        planner.BLOCKED, 'image is not in the source')


# -- properties

_DATA = [None, b'', b'one', b'two', b'three']


@st.composite
def _clouds(draw, migratable=False):
    """A source and a destination with overlapping, messy contents."""
    statuses = (['active', 'deactivated'] if migratable else
                ['active', 'deactivated', 'killed', 'saving', 'queued'])
    count = draw(st.integers(0, 8))
    ids = [fakes.make_id('img', n) for n in range(count)]
    images, members = [], {}
    for n, image_id in enumerate(ids):
        data = draw(st.sampled_from(_DATA))
        status = 'queued' if data is None else draw(st.sampled_from(statuses))
        visibility = draw(st.sampled_from(
            ['private', 'shared', 'public', 'community']))
        extra = {}
        for key in ('kernel_id', 'ramdisk_id'):
            if n and draw(st.booleans()):
                extra[key] = draw(st.sampled_from(ids[:n]))
        image = fakes.image(
            'img%d' % draw(st.integers(0, 3)),
            draw(st.sampled_from(SRC_PROJECTS)), data=data,
            image_id=image_id, status=status, visibility=visibility,
            protected=draw(st.booleans()), os_hidden=draw(st.booleans()),
            **extra)
        images.append(image)
        if visibility == 'shared':
            members[image_id] = draw(st.lists(st.builds(
                fakes.member, st.sampled_from(SRC_PROJECTS),
                st.sampled_from(['accepted', 'pending', 'rejected'])),
                max_size=2, unique_by=lambda m: m['member_id']))
    source = in_src(images, members)
    dest_images = []
    for image in images:
        state = draw(st.sampled_from(
            ['absent', 'taken', 'queued', 'half-done']))
        if state == 'taken':
            dest_images.append(copy_in_dest(image, checksum='x',
                                            os_hash_value='x', size=9))
        elif state == 'queued' and comparison.has_data(image):
            dest_images.append(copy_in_dest(image, status='queued',
                                            size=None))
        elif state == 'half-done':
            dest_images.append(copy_in_dest(image, visibility='private',
                                            status='active'))
    return source, in_dst(dest_images)


def _selected(source, draw_ids):
    resolved = selection.ResolvedSelection(image_ids=draw_ids)
    return selection.select(source, resolved)


@settings(max_examples=200, deadline=None)
@given(_clouds(), st.data(), st.booleans())
def test_plan_invariants(clouds, data, keep_ids):
    source, dest = clouds
    named = data.draw(st.lists(st.sampled_from(sorted(source.images)),
                               unique=True) if source.images else st.just([]))
    selected = _selected(source, named) if named else {
        i: ['all'] for i in source.images}
    before = copy.deepcopy((source, dest, selected))
    plan = planner.make_plan(source, dest, selected, keep_ids=keep_ids)
    assert (source, dest, selected) == before
    ids = [item.source_id for item in plan]
    assert sorted(ids) == sorted(selected)
    position = {image_id: n for n, image_id in enumerate(ids)}
    for item in plan:
        assert item.action in planner.ACTIONS
        assert item.reason
        for dep in item.depends_on:
            assert position[dep] < position[item.source_id]
    assert survey.summary(plan)['images'] == len(plan)


@settings(max_examples=200, deadline=None)
@given(_clouds(migratable=True))
def test_replan_after_full_migration_is_all_skip(clouds):
    source, dest = clouds
    plan = plan_all(source, dest)
    assert planner.BLOCKED not in {item.action for item in plan}
    after = fakes.migrate(plan, dest)
    replan = plan_all(source, after)
    assert [(i.source_id, i.action, i.reason) for i in replan
            if i.action != planner.SKIP] == []
    new_ids = {item.source_id for item in plan
               if item.action == planner.NEW_ID}
    for item in replan:
        assert (item.dest_id == item.source_id) == (
            item.source_id not in new_ids)


def test_migrated_copy_keeps_its_dependencies_new_ids():
    kernel = fakes.image('kernel', S_ADMIN)
    boot = fakes.image('boot', S_DEMO, kernel_id=kernel['id'])
    dest = in_dst([copy_in_dest(kernel, checksum='x', os_hash_value='x')])
    plan = plan_all(in_src([kernel, boot]), dest)
    assert [i.action for i in plan] == [planner.NEW_ID, planner.COPY]
    after = fakes.migrate(plan, dest)
    new_kernel = after.images_by_source_id()[kernel['id']]
    assert after.images[boot['id']]['kernel_id'] == new_kernel['id']
    wanted = metadata.final_state(boot, [])
    assert metadata.final_state_differs(after.images[boot['id']], [],
                                        wanted) == []


def test_a_rows_reasons_are_notes_joined_only_for_the_row():
    item = planner.PlanItem('img', reasons=['ID free in destination'])
    item.reasons.append('')
    item.reasons.append('quota: 1 image over')
    assert item.reason == 'ID free in destination; quota: 1 image over'
    item.reason = 'source image is killed'  # a new reason replaces all
    assert item.reasons == ['source image is killed']
    item.reason = ''
    assert item.reasons == [] and item.reason == ''


@pytest.mark.parametrize('left,action,words', [
    ({'status': 'uploading', 'checksum': None, 'os_hash_value': None},
     planner.RESUME, ('complete stage', 'import it')),
    ({'status': 'importing', 'os_glance_failed_import': ''},
     planner.RESUME, ('wait for the import',)),
    ({'status': 'importing', 'os_glance_failed_import': 'fs'},
     planner.BLOCKED, ('failed its import (stores fs)',
                       'delete it and run again')),
])
def test_plan_of_what_an_import_left(left, action, words):
    image = fakes.image('x', S_DEMO)
    item = plan_one(in_src([image]), in_dst([copy_in_dest(image, **left)]))
    assert item.action == action
    for text in words:
        assert text in item.reason
