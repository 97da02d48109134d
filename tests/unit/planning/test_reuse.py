# SPDX-License-Identifier: Apache-2.0
"""Reuse of identical destination images: the matching, and its plan rows."""

from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import reuse
from tests.unit import fakes
from tests.unit.fakes.scene import D_ADMIN
from tests.unit.fakes.scene import D_ALT
from tests.unit.fakes.scene import D_DEMO
from tests.unit.fakes.scene import in_dst
from tests.unit.fakes.scene import in_src
from tests.unit.fakes.scene import plan_all
from tests.unit.fakes.scene import plan_one
from tests.unit.fakes.scene import S_ADMIN
from tests.unit.fakes.scene import S_DEMO
from tests.unit.fakes.scene import tagged_copy

DATA = b'the same cirros bytes'


def public(name, owner=S_ADMIN, data=DATA, **extra):
    extra.setdefault('visibility', 'public')
    return fakes.image(name, owner, data=data, **extra)


def seeded(name='seeded', owner=D_ADMIN, data=DATA, **extra):
    """An image the destination's own tooling uploaded: another ID."""
    return public(name, owner, data, **extra)


# -- matching

def test_identity_needs_size_multihash_and_formats():
    image = public('a')
    assert reuse.identity(image) == (
        len(DATA), 'sha512', image['os_hash_value'], 'raw', 'bare')
    for missing in ('size', 'os_hash_algo', 'os_hash_value', 'disk_format',
                    'container_format'):
        assert reuse.identity(dict(image, **{missing: None})) is None
    # md5 alone (a legacy record) never matches.
    assert reuse.identity(fakes.image('old', S_ADMIN, data=DATA,
                                      os_hash_algo=None,
                                      os_hash_value=None)) is None


def test_candidates_are_active_foreign_images_in_scope():
    images = [seeded('ok'), seeded('queued', data=None),
              seeded('deactivated', status='deactivated'),
              seeded('ours', **{model.SOURCE_ID_PROPERTY: 'x'}),
              seeded('private', visibility='private'),
              seeded('community', visibility='community')]
    found = reuse.Candidates.of(images, reuse.PUBLIC)
    assert [i['name'] for same in found.by_identity.values()
            for i in same] == ['ok', 'community']
    wide = reuse.Candidates.of(images, reuse.VISIBLE)
    assert [i['name'] for same in wide.by_identity.values()
            for i in same] == ['ok', 'private', 'community']


def test_each_field_must_be_equal():
    found = reuse.Candidates.of([seeded()], reuse.PUBLIC)
    assert reuse.find(public('a'), found, D_ADMIN) is not None
    assert reuse.find(public('b', data=DATA + b'x'), found, D_ADMIN) is None
    assert reuse.find(public('c', disk_format='qcow2'), found,
                      D_ADMIN) is None
    assert reuse.find(public('d', container_format='ovf'), found,
                      D_ADMIN) is None
    same_bytes_other_algo = public('e', algo='sha256')
    assert reuse.find(same_bytes_other_algo, found, D_ADMIN) is None


def test_source_scope():
    found = reuse.Candidates.of([seeded()], reuse.VISIBLE)
    private = public('p', visibility='private')
    assert reuse.find(private, found, D_ADMIN) is not None
    narrow = reuse.Candidates.of([seeded()], reuse.PUBLIC)
    assert reuse.find(private, narrow, D_ADMIN) is None
    assert reuse.find(public('c', visibility='community'), narrow,
                      D_ADMIN) is not None
    assert reuse.find(public('x', status='deactivated'), narrow,
                      D_ADMIN) is None


def test_the_choice_is_deterministic():
    old = seeded('old', created_at='2020-01-01T00:00:00Z')
    new = seeded('new', created_at='2024-01-01T00:00:00Z')
    hidden = seeded('hidden', created_at='2019-01-01T00:00:00Z',
                    os_hidden=True)
    demos = seeded('demos', owner=D_DEMO, created_at='2025-01-01T00:00:00Z')
    for images in ([new, old, hidden, demos], [demos, hidden, old, new]):
        found = reuse.Candidates.of(images, reuse.PUBLIC)
        match = reuse.find(public('a'), found, D_ADMIN)
        assert (match.image['name'], match.count) == ('old', 4)
        # The mapped owner's own image comes first.
        assert reuse.find(public('a'), found,
                          D_DEMO).image['name'] == 'demos'
    twins = [seeded('z', image_id='2' * 32), seeded('z', image_id='1' * 32)]
    found = reuse.Candidates.of(twins, reuse.PUBLIC)
    assert reuse.find(public('a'), found, None).dest_id == '1' * 32


# -- plans

def test_reuse_is_off_by_default():
    item = plan_one(in_src([public('cirros')]), in_dst([seeded()]))
    assert item.action == planner.COPY


def test_an_identical_public_image_is_reused():
    image, there = public('cirros'), seeded()
    plan = plan_all(in_src([image]), in_dst([there]),
                    reuse_scope=reuse.PUBLIC)
    (item,) = plan
    assert item.action == planner.REUSE
    assert item.path == '-'
    assert (item.dest_id, item.dest_owner, item.dest_owner_name) == (
        there['id'], D_ADMIN.id, 'admin')
    assert item.reason == (
        'identical data (size, sha512 hash, formats) in destination image '
        '%s (public, owned by admin): reused, nothing written' % there['id'])
    assert item.changes == [] and item.members == []


def test_another_owner_is_said():
    image, there = public('cirros', owner=S_DEMO), seeded()
    item = plan_one(in_src([image]), in_dst([there]),
                    reuse_scope=reuse.PUBLIC)
    assert item.action == planner.REUSE
    assert item.reason.endswith(
        '; another owner: the source owner maps to demo')
    orphan = public('orphan', owner='d' * 32)
    item = plan_one(in_src([orphan]), in_dst([there]),
                    reuse_scope=reuse.PUBLIC)
    assert item.action == planner.REUSE
    assert item.reason.endswith('; another owner: source owner %s has no '
                                'destination project' % ('d' * 32))
    ownerless = public('ownerless', owner=None)
    item = plan_one(in_src([ownerless]), in_dst([there]),
                    reuse_scope=reuse.PUBLIC)
    assert item.action == planner.REUSE
    assert item.reason.endswith('; another owner: the source image has no '
                                'owner')


def test_several_matches_are_counted():
    image = public('cirros')
    plan = plan_one(in_src([image]),
                    in_dst([seeded('one'), seeded('two', owner=D_ALT)]),
                    reuse_scope=reuse.PUBLIC)
    assert '2 destination images hold this data' in plan.reason


def test_private_images_need_the_wider_scope():
    image = public('mine', owner=S_DEMO, visibility='private')
    there = seeded('theirs', owner=D_DEMO, visibility='private')
    dest = in_dst([there])
    assert plan_one(in_src([image]), dest,
                    reuse_scope=reuse.PUBLIC).action == planner.COPY
    item = plan_one(in_src([image]), dest, reuse_scope=reuse.VISIBLE)
    assert (item.action, item.dest_id) == (planner.REUSE, there['id'])
    assert 'another owner' not in item.reason


def test_our_copies_and_records_keep_their_actions():
    image = public('cirros')
    seeds = [seeded()]
    cases = {
        planner.SKIP: [tagged_copy(image, owner=D_ADMIN)],
        planner.RESUME: [dict(image, status='queued', size=None,
                              os_hash_algo=None, os_hash_value=None,
                              checksum=None, owner=D_ADMIN.id)],
    }
    for action, records in cases.items():
        item = plan_one(in_src([image]), in_dst(seeds + records),
                        reuse_scope=reuse.PUBLIC)
        assert item.action == action, item.reason


def test_an_id_taken_by_other_data_is_reused_not_copied():
    image = public('cirros')
    other = public('other', data=b'other bytes', image_id=image['id'],
                   owner=D_ADMIN)
    there = seeded()
    item = plan_one(in_src([image]), in_dst([other, there]),
                    reuse_scope=reuse.PUBLIC)
    assert (item.action, item.dest_id) == (planner.REUSE, there['id'])


def test_no_write_needs_no_rights():
    """A non-admin cannot copy a public image; it can reuse one."""
    image = public('cirros')
    dest = in_dst([seeded()], is_admin=False, project_id=D_DEMO.id)
    assert plan_one(in_src([image]), dest).action == planner.BLOCKED
    item = plan_one(in_src([image]), dest, reuse_scope=reuse.PUBLIC)
    assert item.action == planner.REUSE


def test_dependants_follow_the_reused_id():
    kernel = public('kernel', disk_format='aki', container_format='aki')
    there = seeded('kernel-there', disk_format='aki', container_format='aki')
    server = public('server', data=b'server', kernel_id=kernel['id'])
    source = in_src([kernel, server])
    plan = plan_all(source, in_dst([there]), reuse_scope=reuse.PUBLIC)
    assert [(i.source_id, i.action) for i in plan] == [
        (kernel['id'], planner.REUSE), (server['id'], planner.COPY)]
    # A re-run: the server's copy refers to the reused kernel; in sync.
    server_copy = tagged_copy(server, owner=D_ADMIN, id=server['id'],
                              kernel_id=there['id'])
    plan = plan_all(source, in_dst([there, server_copy]),
                    reuse_scope=reuse.PUBLIC)
    assert [i.action for i in plan] == [planner.REUSE, planner.SKIP]


def test_a_blocked_dependency_does_not_block_a_reuse():
    kernel = public('kernel', data=b'k', owner='e' * 32)  # unmapped owner
    image = public('cirros', kernel_id=kernel['id'])
    plan = plan_all(in_src([kernel, image]), in_dst([seeded()]),
                    reuse_scope=reuse.PUBLIC)
    assert [i.action for i in plan] == [planner.BLOCKED, planner.REUSE]


def test_matches_lists_only_reused_images():
    image, other = public('cirros'), public('other', data=b'x')
    source = in_src([image, other])
    dest = in_dst([seeded()])
    found = reuse.matches(source, dest, [image['id'], other['id']],
                          dest.images_by_source_id(), reuse.PUBLIC)
    assert list(found) == [image['id']]
    assert found[image['id']].owner == D_ADMIN
