"""Re-runs bring the destination up to date (issue 10), on the sandbox.

Each test migrates images, changes the source in-process (as an operator
would), and checks what ``plan`` says and what ``migrate`` leaves in the
destination: field by field equal, no data copied twice.
"""

import os
import re
import uuid

from glanceclient import exc as glance_exc
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import stateful
from hypothesis import strategies as st
import pytest

from osc_image_migrate import inventory
from tests.functional.test_plan import ensure_project

KiB = 1024
# Fields compared between a source image and its copy.
KEPT = ('name', 'disk_format', 'container_format', 'min_disk', 'min_ram',
        'protected', 'visibility', 'os_hidden', 'status', 'checksum',
        'os_hash_algo', 'os_hash_value', 'size')
# What Glance sets or we bookkeep: not a user property.
NOT_PROPERTIES = set(KEPT) | {
    'id', 'owner', 'tags', 'created_at', 'updated_at', 'virtual_size',
    'file', 'schema', 'self', 'direct_url', 'locations', 'stores',
    inventory.SOURCE_ID_PROPERTY}


def migrate(sandbox, *args, **kwargs):
    return sandbox.migrate_json('--dest-cloud', 'dst', '--no-progress',
                                *args, **kwargs)


def plan(sandbox, *args, **kwargs):
    return sandbox.migrate_json('plan', '--dest-cloud', 'dst', *args,
                                **kwargs)


def image_args(*ids):
    args = []
    for image_id in ids:
        args += ['--image', image_id]
    return args


def properties(image):
    return {k: v for k, v in image.items()
            if k not in NOT_PROPERTIES and not k.startswith('os_glance_')}


def members(sandbox, cloud, image_id):
    return sorted((m['member_id'], m['status']) for m in
                  sandbox.clients(cloud).glance.image_members.list(image_id))


def dest_project(sandbox, source_project_id):
    """The destination project of the same name."""
    name = sandbox.clients('src').identity.get(
        '/projects/%s' % source_project_id).json()['project']['name']
    return sandbox.project_id('dst', name)


def assert_equal_copy(sandbox, source_id, dest_id=None):
    """The copy equals its source, field by field."""
    src = sandbox.image('src', source_id)
    dst = sandbox.image('dst', dest_id or source_id)
    for key in KEPT:
        assert dst.get(key) == src.get(key), key
    assert sorted(dst['tags']) == sorted(src['tags'])
    assert properties(dst) == properties(src)
    assert dst['owner'] == dest_project(sandbox, src['owner'])
    if src['visibility'] == 'shared':
        # Mapped IDs sort in another order than the source's: sort after.
        assert sorted((dest_project(sandbox, m), s) for m, s in members(
            sandbox, 'src', source_id)) == members(sandbox, 'dst', dst['id'])


def data_requests(stderr):
    """(method, port, path) of every image data request logged."""
    return [m.groups() for m in re.finditer(
        r'REQ: curl -g -i -X (\w+) https?://127\.0\.0\.1:(\d+)'
        r'(/v2/images/[^/ ]+/(?:file|stage|import))', stderr)]


@pytest.fixture(scope='module')
def synced(sandbox):
    """Images of every kind, migrated once, then changed in the source."""
    tag = uuid.uuid4().hex[:8]
    demo = sandbox.project_id('src', 'demo')
    alt = sandbox.project_id('src', 'alt_demo')
    admin = sandbox.project_id('src', 'admin')
    src = sandbox.clients('src').glance

    def make(kind, **fields):
        fields.setdefault('owner', demo)
        fields.setdefault('visibility', 'private')
        return sandbox.create_image(name='sync-%s-%s' % (kind, tag),
                                    data=os.urandom(4 * KiB + len(kind)),
                                    **fields)['id']

    ids = {
        'record': make('record', tags=['a', 'b'], os_distro='debian',
                       hw_disk_bus='virtio', dropped='soon'),
        'members': make('members', visibility='shared'),
        'deactivate': make('deactivate'),
        'reactivate': make('reactivate'),
        'visibility': make('visibility', visibility='shared'),
        'owner': make('owner'),
        'protected': make('protected', protected=True, note='old'),
        'newid': make('newid', os_distro='cirros'),
    }
    for member, status in ((alt, 'accepted'), (admin, 'pending')):
        src.image_members.create(ids['members'], member)
        src.image_members.update(ids['members'], member, status)
    src.images.deactivate(ids['reactivate'])
    # An ID burned in the destination: the copy gets a new ID and records
    # the source ID in the tool's property.
    sandbox.create_image('dst', id=ids['newid'], name='burn-%s' % tag)
    sandbox.clients('dst').glance.images.delete(ids['newid'])

    first, run = migrate(sandbox, *image_args(*ids.values()))
    assert run.returncode == 0, run.stderr
    dest_ids = {kind: first[i]['Dest ID'] for kind, i in ids.items()}
    before = {kind: sandbox.image('dst', dest_ids[kind]) for kind in ids}

    # The source changes, in every way a copy keeps.
    src.images.update(ids['record'], name='sync-renamed-%s' % tag,
                      min_ram=512, min_disk=3, os_hidden=True, protected=True,
                      tags=['b', 'c'], os_distro='ubuntu', added='new',
                      remove_props=['dropped'])
    src.image_members.delete(ids['members'], admin)
    src.image_members.update(ids['members'], alt, 'rejected')
    src.image_members.create(ids['members'], demo)
    src.images.deactivate(ids['deactivate'])
    src.images.reactivate(ids['reactivate'])
    src.images.update(ids['visibility'], visibility='community')
    src.images.update(ids['owner'], owner=alt)
    src.images.update(ids['protected'], note='new', min_ram=64)
    src.images.update(ids['newid'], os_distro='alpine', name='sync-nid-%s'
                      % tag)
    # Someone added a property in the destination only.
    sandbox.clients('dst').glance.images.update(dest_ids['record'],
                                                dest_only='mine')

    planned, run = plan(sandbox, '--long', *image_args(*ids.values()))
    assert run.returncode == 0, run.stderr
    result = sandbox.openstack('--debug', 'image', 'migrate', '--dest-cloud',
                               'dst', '--no-progress', '-f', 'json',
                               *image_args(*ids.values()))
    rows, _ = migrate(sandbox, '--dry-run', *image_args(*ids.values()))
    return {'ids': ids, 'dest_ids': dest_ids, 'before': before,
            'plan': planned, 'run': result, 'replan': rows, 'tag': tag}


def test_drift_is_planned_as_update_with_each_field(synced):
    row = synced['plan'][synced['ids']['record']]
    assert row['Action'] == 'update'
    reason = row['Reason']
    for text in ("name 'sync-record-", "-> 'sync-renamed-",
                 'min_ram 0 -> 512', 'min_disk 0 -> 3',
                 'os_hidden False -> True', 'protected False -> True',
                 "tags ['a', 'b'] -> ['b', 'c']",
                 "property:os_distro 'debian' -> 'ubuntu'",
                 "property:dropped 'soon' -> (none)",
                 "property:added (none) -> 'new'",
                 "property:dest_only 'mine' -> (none)"):
        assert text in reason, text
    changes = row['Changes']
    assert changes['min_ram'] == {'old': 0, 'new': 512}
    assert changes['tags'] == {'old': ['a', 'b'], 'new': ['b', 'c']}
    assert changes['property:dropped'] == {'old': 'soon', 'new': None}
    assert inventory.SOURCE_ID_PROPERTY not in str(changes)


def test_each_kind_of_drift_has_its_action(synced):
    ids, rows = synced['ids'], synced['plan']
    assert rows[ids['members']]['Action'] == 'finish'
    assert set(rows[ids['members']]['Changes']) == {'members'}
    assert rows[ids['deactivate']]['Reason'].endswith(
        'still to apply: deactivated')
    assert rows[ids['reactivate']]['Reason'].endswith(
        'still to apply: reactivated')
    assert rows[ids['reactivate']]['Changes']['deactivated'] == {
        'old': True, 'new': False}
    assert rows[ids['visibility']]['Changes']['visibility'] == {
        'old': 'shared', 'new': 'community'}
    assert rows[ids['owner']]['Action'] == 'update'
    assert 'owner' in rows[ids['owner']]['Changes']
    assert rows[ids['protected']]['Action'] == 'update'
    assert rows[ids['newid']]['Action'] == 'update'
    assert rows[ids['newid']]['Dest ID'] == synced['dest_ids']['newid']


def test_migrate_makes_the_destination_equal(sandbox, synced):
    run = synced['run']
    assert run.returncode == 0, run.stderr[-2000:]
    for kind, source_id in synced['ids'].items():
        assert_equal_copy(sandbox, source_id, synced['dest_ids'][kind])


def test_no_data_is_copied_again(sandbox, synced):
    assert data_requests(synced['run'].stderr) == []
    for kind, before in synced['before'].items():
        after = sandbox.image('dst', synced['dest_ids'][kind])
        for key in ('created_at', 'checksum', 'os_hash_value', 'size'):
            assert after[key] == before[key], (kind, key)


def test_second_plan_is_all_skip(synced):
    assert {r['Action'] for r in synced['replan'].values()} == {'skip'}


def test_no_image_created_or_deleted_and_bookkeeping_kept(sandbox, synced):
    newid = synced['ids']['newid']
    copies = [i for i in sandbox.clients('dst').glance.images.list(
        filters={'visibility': 'all'})
        if i.get(inventory.SOURCE_ID_PROPERTY) == newid]
    assert [c['id'] for c in copies] == [synced['dest_ids']['newid']]
    with pytest.raises(glance_exc.HTTPNotFound):
        sandbox.image('dst', newid)
    assert sandbox.image('dst', synced['dest_ids']['protected'])[
        'protected'] is True


def test_detailed_exit_code(sandbox, synced):
    args = image_args(*synced['ids'].values())
    in_sync = plan(sandbox, '--detailed-exit-code', *args, check=False)[1]
    assert in_sync.returncode == 0, in_sync.stderr
    sandbox.clients('src').glance.images.update(synced['ids']['owner'],
                                                min_disk=7)
    rows, changed = plan(sandbox, '--detailed-exit-code', *args,
                         check=False)
    assert changed.returncode == 3, changed.stderr
    assert rows[synced['ids']['owner']]['Action'] == 'update'
    # Without the option the exit status stays 0.
    assert plan(sandbox, *args)[1].returncode == 0
    migrate(sandbox, '--image', synced['ids']['owner'])
    blocked = fresh_image(sandbox, sandbox.project_id('src', 'admin'))
    attention = plan(sandbox, '--detailed-exit-code', '--image', blocked,
                     '--map-project', 'admin=nowhere-%s' % synced['tag'],
                     check=False)[1]
    assert attention.returncode == 4, attention.stderr


def fresh_image(sandbox, owner):
    """A small source image with data."""
    return sandbox.create_image(data=os.urandom(KiB), owner=owner)['id']


def project_in_both(sandbox, prefix):
    """A new project of the same name in both clouds: (name, source ID)."""
    name = '%s-%s' % (prefix, uuid.uuid4().hex[:8])
    ensure_project(sandbox, 'dst', name)
    return name, ensure_project(sandbox, 'src', name)


def test_deleted_source_image_is_listed_never_deleted(sandbox):
    name, src_project = project_in_both(sandbox, 'sd')
    tag = name[-8:]
    keep = fresh_image(sandbox, src_project)
    gone = fresh_image(sandbox, src_project)
    # A burned ID: the copy records the source ID.
    sandbox.create_image('dst', id=gone, name='burn-%s' % tag)
    sandbox.clients('dst').glance.images.delete(gone)
    rows, run = migrate(sandbox, '--project', name)
    copy_id = rows[gone]['Dest ID']
    assert copy_id != gone
    sandbox.clients('src').glance.images.delete(gone)

    rows, run = plan(sandbox, '--project', name, '--detailed-exit-code',
                     check=False)
    assert run.returncode == 4
    assert rows[gone]['Action'] == 'source-deleted'
    assert rows[gone]['Dest ID'] == copy_id
    assert 'no longer exists' in rows[gone]['Reason']
    assert rows[keep]['Action'] == 'skip'
    # Named images do not list it: a named image that is gone is an error.
    rows, run = plan(sandbox, '--image', keep)
    assert gone not in rows

    rows, run = migrate(sandbox, '--project', name)
    assert run.returncode == 0, run.stderr
    assert rows[gone]['Result'] == 'kept'
    assert sandbox.image('dst', copy_id)['status'] == 'active'


def test_deleted_source_of_a_same_id_copy_is_listed(sandbox):
    """A copy under the source's own ID is known by the ID it records."""
    name, src_project = project_in_both(sandbox, 'sd-same')
    gone = fresh_image(sandbox, src_project)
    rows, run = migrate(sandbox, '--project', name)
    assert rows[gone]['Dest ID'] == gone
    assert sandbox.image('dst', gone)[inventory.SOURCE_ID_PROPERTY] == gone
    sandbox.clients('src').glance.images.delete(gone)

    rows, run = plan(sandbox, '--project', name, '--detailed-exit-code',
                     check=False)
    assert run.returncode == 4
    assert (rows[gone]['Action'], rows[gone]['Dest ID']) == (
        'source-deleted', gone)
    rows, run = migrate(sandbox, '--project', name)
    assert rows[gone]['Result'] == 'kept'
    assert sandbox.image('dst', gone)['status'] == 'active'


def test_orphans(sandbox):
    tag = uuid.uuid4().hex[:8]
    identity = sandbox.clients('src').identity
    doomed = ensure_project(sandbox, 'src', 'doomed-%s' % tag)
    demo = sandbox.project_id('src', 'demo')
    alt = sandbox.project_id('src', 'alt_demo')
    src = sandbox.clients('src').glance
    orphan = sandbox.create_image(data=os.urandom(KiB), owner=doomed,
                                  visibility='shared')['id']
    src.image_members.create(orphan, alt)
    shared = sandbox.create_image(data=os.urandom(KiB), owner=demo,
                                  visibility='shared')['id']
    for member in (doomed, alt):
        src.image_members.create(shared, member)
    identity.delete('/projects/%s' % doomed)

    rows, run = plan(sandbox, '--image', orphan, '--image', shared)
    reason = rows[orphan]['Reason']
    assert rows[orphan]['Action'] == 'blocked'
    assert '--map-project %s=' % doomed in reason
    assert '--orphans-to' in reason
    assert rows[shared]['Action'] == 'copy'
    assert 'member %s left out' % doomed in rows[shared]['Reason']

    dst_alt = sandbox.project_id('dst', 'alt_demo')
    dst_admin = sandbox.project_id('dst', 'admin')
    rows, run = plan(sandbox, '--image', orphan, '--map-project',
                     '%s=alt_demo' % doomed)
    assert (rows[orphan]['Action'], rows[orphan]['Dest Owner']) == (
        'copy', dst_alt)
    typo = plan(sandbox, '--image', orphan, '--map-project',
                '%s=alt_demo' % ('0' * 32), check=False)[1]
    assert typo.returncode == 2
    assert 'Traceback' not in typo.stderr

    rows, run = migrate(sandbox, '--image', orphan, '--image', shared,
                        '--orphans-to', 'admin')
    assert run.returncode == 0, run.stderr
    assert sandbox.image('dst', orphan)['owner'] == dst_admin
    assert members(sandbox, 'dst', orphan) == [(dst_alt, 'pending')]
    assert members(sandbox, 'dst', shared) == [(dst_alt, 'pending')]
    rows, run = plan(sandbox, '--image', orphan, '--image', shared,
                     '--orphans-to', 'admin', '--detailed-exit-code')
    assert {r['Action'] for r in rows.values()} == {'skip'}


class SourceEdits(stateful.RuleBasedStateMachine):
    """Random source metadata edits, each sync checked field by field."""

    sandbox = None
    ids = ()

    def __init__(self):
        super().__init__()
        self.src = self.sandbox.clients('src').glance
        self.projects = [self.sandbox.project_id('src', name)
                         for name in ('demo', 'alt_demo', 'admin')]

    images = stateful.Bundle('images')

    @stateful.initialize(target=images)
    def the_images(self):
        return stateful.multiple(*self.ids)

    @stateful.rule(image=images, key=st.sampled_from(['os_distro', 'k2']),
                   value=st.sampled_from(['a', 'b', None]))
    def set_property(self, image, key, value):
        if value is None:
            if key in self.sandbox.image('src', image):
                self.src.images.update(image, remove_props=[key])
        else:
            self.src.images.update(image, **{key: value})

    @stateful.rule(image=images, name=st.sampled_from(['p', 'q']),
                   min_ram=st.integers(0, 2), min_disk=st.integers(0, 2),
                   tags=st.lists(st.sampled_from('abc'), max_size=2),
                   flags=st.tuples(st.booleans(), st.booleans()))
    def set_fields(self, image, name, min_ram, min_disk, tags, flags):
        self.src.images.update(image, name='%s-%s' % (name, image[:8]),
                               min_ram=min_ram, min_disk=min_disk,
                               tags=tags, protected=flags[0],
                               os_hidden=flags[1])

    @stateful.rule(image=images, visibility=st.sampled_from(
        ['private', 'shared', 'community', 'public']))
    def set_visibility(self, image, visibility):
        self.src.images.update(image, visibility=visibility)

    @stateful.rule(image=images, owner=st.integers(0, 1))
    def set_owner(self, image, owner):
        self.src.images.update(image, owner=self.projects[owner])

    @stateful.rule(image=images, member=st.integers(0, 2),
                   status=st.sampled_from(['pending', 'accepted',
                                           'rejected', None]))
    def set_member(self, image, member, status):
        if self.sandbox.image('src', image)['visibility'] != 'shared':
            return
        project = self.projects[member]
        present = dict(members(self.sandbox, 'src', image))
        if status is None:
            if project in present:
                self.src.image_members.delete(image, project)
            return
        if project not in present:
            self.src.image_members.create(image, project)
        self.src.image_members.update(image, project, status)

    @stateful.rule(image=images, deactivated=st.booleans())
    def set_status(self, image, deactivated):
        status = self.sandbox.image('src', image)['status']
        if deactivated and status == 'active':
            self.src.images.deactivate(image)
        elif not deactivated and status == 'deactivated':
            self.src.images.reactivate(image)

    @stateful.rule()
    def sync(self):
        result = self.sandbox.openstack(
            '--debug', 'image', 'migrate', '--dest-cloud', 'dst',
            '--no-progress', '-f', 'json', *image_args(*self.ids))
        assert data_requests(result.stderr) == []
        rows, _ = plan(self.sandbox, *image_args(*self.ids))
        assert {r['Action'] for r in rows.values()} == {'skip'}, rows
        for image in self.ids:
            assert_equal_copy(self.sandbox, image)

    def teardown(self):
        self.sync()


def test_any_edits_then_migrate_give_an_equal_copy(sandbox):
    demo = sandbox.project_id('src', 'demo')
    ids = [sandbox.create_image(data=os.urandom(KiB), owner=demo,
                                visibility='shared')['id']
           for _ in range(2)]
    migrate(sandbox, *image_args(*ids))
    SourceEdits.sandbox, SourceEdits.ids = sandbox, tuple(ids)
    stateful.run_state_machine_as_test(SourceEdits, settings=settings(
        max_examples=4, stateful_step_count=6, deadline=None,
        suppress_health_check=list(HealthCheck)))
