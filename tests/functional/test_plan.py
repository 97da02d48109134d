# SPDX-License-Identifier: Apache-2.0
"""``image migrate plan`` on a realistic source, through the real CLI."""

import hashlib
import os
import re
import uuid

import pytest
import yaml

from tests.functional.fixtures.sandbox import ensure_project

MiB = 1024 * 1024


@pytest.fixture(scope='module')
def scene(sandbox):
    """One image of every kind the plan must tell apart."""
    tag = uuid.uuid4().hex[:8]
    demo = sandbox.project_id('src', 'demo')
    alt = sandbox.project_id('src', 'alt_demo')
    lonely = ensure_project(sandbox, 'src', 'only_in_src')
    src = sandbox.clients('src').glance

    def make(kind, data=b'', **fields):
        fields.setdefault('owner', demo)
        fields.setdefault('visibility', 'private')
        return sandbox.create_image(
            name='plan-%s-%s' % (kind, tag),
            data=(data or os.urandom(MiB + len(kind))) if data is not None
            else None, **fields)['id']

    ids = {
        'private': make('private'),
        'public': make('public', owner=alt, visibility='public'),
        'community': make('community', owner=alt, visibility='community'),
        'accepted': make('accepted', owner=alt, visibility='shared'),
        'pending': make('pending', owner=alt, visibility='shared'),
        'hidden': make('hidden', os_hidden=True),
        'queued': make('queued', data=None),
        'deactivated': make('deactivated'),
        'lonely': make('lonely', owner=lonely),
        'kernel': make('kernel', disk_format='aki', container_format='aki'),
        'ramdisk': make('ramdisk', disk_format='ari', container_format='ari'),
        'burned': make('burned'),
    }
    ids['server'] = make('server', kernel_id=ids['kernel'],
                         ramdisk_id=ids['ramdisk'])
    for kind, status in (('accepted', 'accepted'), ('pending', None)):
        src.image_members.create(ids[kind], demo)
        if status:
            src.image_members.update(ids[kind], demo, status)
    src.images.deactivate(ids['deactivated'])

    # Already in the destination: same ID, same bytes, same final state.
    data = os.urandom(2 * MiB)
    ids['present'] = make('present', data=data)
    dst_demo = sandbox.project_id('dst', 'demo')
    sandbox.create_image('dst', data=data, id=ids['present'],
                         name='plan-present-%s' % tag, owner=dst_demo,
                         visibility='private')
    # ID used and deleted in the destination: Glance keeps it burned.
    sandbox.create_image('dst', id=ids['burned'], name='burned-%s' % tag)
    sandbox.clients('dst').glance.images.delete(ids['burned'])
    ids['tag'] = tag
    return ids


def plan(sandbox, *args, **kwargs):
    return sandbox.migrate_json('plan', '--dest-cloud', 'dst', *args,
                                **kwargs)


def test_plan_by_project_decides_each_case(sandbox, scene):
    rows, run = plan(sandbox, '--project', 'demo')
    assert 'Traceback' not in run.stderr
    dst_demo = sandbox.project_id('dst', 'demo')

    private = rows[scene['private']]
    assert private['Action'] == 'copy'
    assert private['Dest ID'] == scene['private']
    assert private['Dest Owner'] == dst_demo
    assert private['Owner'] == sandbox.project_id('src', 'demo')
    assert private['Selected'] == ['project:demo']
    assert private['Size'] == MiB + len('private')

    assert rows[scene['public']]['Selected'] == ['public']
    assert rows[scene['community']]['Selected'] == ['community']
    assert rows[scene['accepted']]['Selected'] == ['member:demo']
    assert rows[scene['pending']]['Selected'] == ['member:demo']
    assert rows[scene['hidden']]['Action'] == 'copy'
    assert rows[scene['queued']]['Action'] == 'metadata-only'
    assert rows[scene['deactivated']]['Action'] == 'copy'
    assert rows[scene['present']]['Action'] == 'skip'
    # A deleted destination ID answers 404: the plan cannot know it is
    # burned without writing, so it plans a copy and says why.
    assert rows[scene['burned']]['Action'] == 'copy'
    assert 'ID free' in rows[scene['burned']]['Reason']
    assert scene['lonely'] not in rows


def test_plan_dependencies_come_first(sandbox, scene):
    rows, run = plan(sandbox, '--image', scene['server'])
    order = list(rows)
    assert set(order) == {scene['server'], scene['kernel'],
                          scene['ramdisk']}
    assert order[-1] == scene['server']
    assert rows[scene['kernel']]['Selected'] == [
        'dependency:%s' % scene['server']]


def test_owner_missing_in_destination_is_blocked(sandbox, scene):
    rows, run = plan(sandbox, '--project', 'only_in_src')
    row = rows[scene['lonely']]
    assert row['Action'] == 'blocked'
    assert 'only_in_src' in row['Reason']
    assert row['Dest Owner'] is None


def test_map_project_gives_a_destination(sandbox, scene):
    rows, run = plan(sandbox, '--project', 'only_in_src',
                     '--map-project', 'only_in_src=alt_demo')
    row = rows[scene['lonely']]
    assert row['Action'] == 'copy'
    assert row['Dest Owner'] == sandbox.project_id('dst', 'alt_demo')


def test_no_public_and_shared_switch(sandbox, scene):
    rows, run = plan(sandbox, '--project', 'demo', '--no-public-and-shared')
    assert scene['private'] in rows
    for kind in ('public', 'community', 'accepted', 'pending'):
        assert scene[kind] not in rows, kind


def test_cloudferry_filter_file(sandbox, scene, tmp_path):
    path = tmp_path / 'filter.yaml'
    path.write_text(yaml.safe_dump({
        'tenants': {'tenant_id': [sandbox.project_id('src', 'demo')]},
        'images': {
            'exclude_images_list': [scene['hidden']],
            'dont_include_public_and_members_from_other_tenants': True,
        },
    }))
    rows, run = plan(sandbox, '--filter-file', str(path))
    assert scene['private'] in rows
    assert scene['hidden'] not in rows
    assert scene['public'] not in rows


def test_updated_since_in_the_future_selects_nothing(sandbox, scene):
    rows, run = plan(sandbox, '--project', 'demo', '--updated-since',
                     '2999-01-01')
    assert rows == {}


def test_long_adds_fields(sandbox, scene):
    result = sandbox.openstack('image', 'migrate', 'plan', '--dest-cloud',
                               'dst', '--image', scene['server'], '--long',
                               '-f', 'yaml')
    row = [r for r in yaml.safe_load(result.stdout)
           if r['Source ID'] == scene['server']][0]
    assert row['Depends On'] == sorted([scene['kernel'], scene['ramdisk']]) \
        or set(row['Depends On']) == {scene['kernel'], scene['ramdisk']}
    assert row['Disk Format'] == 'raw'
    assert row['Properties']['kernel_id'] == scene['kernel']


def test_plan_writes_nothing(sandbox, scene):
    def fingerprint(cloud):
        images = sandbox.clients(cloud).glance.images.list(
            filters={'visibility': 'all'})
        text = repr(sorted((i['id'], i['status'], i['updated_at'])
                           for i in images))
        return hashlib.sha256(text.encode()).hexdigest()

    before = fingerprint('src'), fingerprint('dst')
    plan(sandbox, '--project', 'demo')
    assert (fingerprint('src'), fingerprint('dst')) == before


@pytest.mark.parametrize('args', [
    ('--image', 'no-such-image'),
    ('--project', 'no-such-project'),
    ('--updated-since', 'yesterday-ish'),
])
def test_selection_naming_nothing_is_exit_2(sandbox, args):
    result = sandbox.openstack('image', 'migrate', 'plan', '--dest-cloud',
                               'dst', *args, check=False)
    assert result.returncode == 2, result.stderr
    assert 'Traceback' not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ''


def test_bad_filter_file_lists_every_problem(sandbox, tmp_path):
    path = tmp_path / 'bad.yaml'
    path.write_text(yaml.safe_dump({
        'tenants': {'tenant_id': 'not-a-list'},
        'images': {'images_list': ['a'], 'exclude_images_list': ['b'],
                   'date': 'not a date'},
        'surprise': 1,
    }))
    result = sandbox.openstack('image', 'migrate', 'plan', '--dest-cloud',
                               'dst', '--filter-file', str(path),
                               check=False)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    for word in ('tenant_id', 'exclude_images_list', 'date', 'surprise'):
        assert word in line


def glance_requests(stderr):
    """(method, path) of every Glance request keystoneauth logged.

    Over HTTPS keystoneauth puts the cloud's TLS options (``--cacert
    "<file>"``, ``--insecure``, ``--cert``, ``--key``) between ``-i`` and
    ``-X``.
    """
    found = []
    for line in stderr.splitlines():
        match = re.search(r'REQ: curl -g -i (?:.*? )?-X (\w+) '
                          r'https?://[^/ ]+(/v2/\S*)', line)
        if match:
            found.append((match.group(1), match.group(2).split('?')[0]))
    return found


def test_plan_requests_are_bounded(sandbox, scene):
    """Pages plus member lists of shared images; no per-image GET."""
    result = sandbox.openstack('--debug', 'image', 'migrate', 'plan',
                               '--dest-cloud', 'dst', '--project', 'demo',
                               '-f', 'json')
    requests = glance_requests(result.stderr)
    assert requests and all(method == 'GET' for method, _ in requests)
    listings = [p for _, p in requests if p == '/v2/images']
    members = [p for _, p in requests if p.endswith('/members')]
    assert len(listings) == 4  # both clouds, both os_hidden values
    assert len(listings) + len(members) == len(requests)
    shared_in_source = {
        i['id'] for i in sandbox.clients('src').glance.images.list(
            filters={'visibility': 'shared'})}
    shared_in_source |= {
        i['id'] for i in sandbox.clients('src').glance.images.list(
            filters={'visibility': 'shared', 'os_hidden': True})}
    member_ids = {p.split('/')[3] for p in members}
    assert scene['accepted'] in member_ids
    # Source member calls only for shared images; none for the others.
    assert not member_ids & {scene['private'], scene['public'],
                             scene['community']}
    assert len(members) <= 2 * len(shared_in_source)


def test_named_images_read_only_their_members(sandbox, scene):
    result = sandbox.openstack('--debug', 'image', 'migrate', 'plan',
                               '--dest-cloud', 'dst', '--image',
                               scene['accepted'], '-f', 'json')
    members = [p for _, p in glance_requests(result.stderr)
               if p.endswith('/members')]
    assert members == ['/v2/images/%s/members' % scene['accepted']]
