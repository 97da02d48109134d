# SPDX-License-Identifier: Apache-2.0
"""The rbd copy's refusals and its answers to what Glance says.

The copy itself runs against real Ceph clusters and Glances in the
functional tests (tests/functional/test_rbd_path.py).
"""

from unittest import mock

import pytest

from osc_image_migrate.cloud import ceph_cli
from osc_image_migrate.copying import journal
from osc_image_migrate.copying import offload
from osc_image_migrate.copying import rbd_copy
from osc_image_migrate.copying import verify
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import rbd_path
from tests.unit.fakes import answers

BLOCK = {'image_migrate': {'ceph_conf': '/c', 'ceph_user': 'glance'}}
URL = 'rbd://f1/images/abc/snap'


class Clients(answers.OnceAnswers):
    def __init__(self, name, settings=BLOCK, status=403, statuses=(),
                 roles=(), location=None):
        self.name = name
        self.settings = settings
        self.roles = list(roles)
        self.location = location
        self.image = mock.Mock()
        self.image.post.return_value = mock.Mock(status_code=status)
        self.image.get.return_value = mock.Mock(
            status_code=200, json=lambda: {'tasks': [{'status':
                                                      'failure'}]})
        self.glance = mock.Mock()
        self.glance.images.get.side_effect = [{'status': s}
                                              for s in statuses]

    def access(self):
        return mock.Mock(role_names=self.roles)


def item(**fields):
    record = {'id': 'abc', 'size': 1, 'os_hash_algo': 'sha512',
              'os_hash_value': 'a' * 128, 'direct_url': URL}
    record.update(fields)
    return planner.PlanItem('abc', source_image=record)


def send(copy, it):
    return copy.send(it, 'abc', journal.CopyJournal(), None)


@pytest.mark.parametrize('fields, clouds, reason', [
    ({'direct_url': None}, {}, 'the source data is not in RBD'),
    ({'os_hash_value': None, 'os_hash_algo': None}, {}, 'hashless record'),
    ({}, {'dst': {}}, 'no Ceph settings for cloud dst'),
    ({}, {'src': {}}, 'no Ceph settings for cloud src'),
])
def test_refusals_come_before_anything_is_touched(fields, clouds, reason):
    copy = rbd_copy.RbdCopy(Clients('src', clouds.get('src', BLOCK)),
                            Clients('dst', clouds.get('dst', BLOCK)))
    with mock.patch.object(ceph_cli, 'run') as run:
        with pytest.raises(offload.PathRefused, match=reason):
            send(copy, item(**fields))
    run.assert_not_called()


def test_the_source_pool_is_never_the_target():
    copy = rbd_copy.RbdCopy(Clients('src'), Clients('dst'))
    with mock.patch.object(ceph_cli, 'fsid', return_value='f1'), \
            mock.patch.object(ceph_cli, 'run') as run:
        with pytest.raises(offload.PathRefused, match='both clouds keep'):
            send(copy, item())
    run.assert_not_called()


def test_a_refused_location_removes_the_copy_and_leaves_the_stream():
    copy = rbd_copy.RbdCopy(Clients('src'), Clients('dst', status=403))
    settings = rbd_path.CephSettings('/c', 'glance')
    with mock.patch.object(copy, 'remove_leftover') as remove:
        with pytest.raises(offload.PathRefused, match='HTTP 403'):
            copy.add_location(settings, 'abc', URL, item().source_image)
    remove.assert_called_once_with(settings, 'abc')
    body = copy.dst.image.post.call_args[1]['json']
    assert body['validation_data'] == {'os_hash_algo': 'sha512',
                                       'os_hash_value': 'a' * 128}


def test_glance_refusing_the_hash_names_both_hashes():
    copy = rbd_copy.RbdCopy(Clients('src'), Clients(
        'dst', statuses=['importing', 'queued']))
    settings = rbd_path.CephSettings('/c', 'glance')
    location = rbd_path.parse_location(URL)
    with mock.patch.object(rbd_copy, 'snapshot_hash',
                           return_value='b' * 128), \
            mock.patch('osc_image_migrate.cancel.pause'):
        with pytest.raises(verify.DataMismatch) as caught:
            copy.wait_verified(settings, location, 'abc',
                               item().source_image, None)
    assert 'a' * 128 in str(caught.value)
    assert 'b' * 128 in str(caught.value)
    assert not caught.value.retriable


def test_an_active_record_ends_the_wait():
    copy = rbd_copy.RbdCopy(Clients('src'), Clients(
        'dst', statuses=['importing', 'active']))
    with mock.patch('osc_image_migrate.cancel.pause'):
        copy.wait_verified(None, None, 'abc', item().source_image, None)


def test_the_copy_tells_the_runs_progress_of_every_byte(tmp_path):
    """export-diff | this process | import-diff, with real processes."""
    landed = tmp_path / 'landed'
    diff = b'rbd diff v1\n' + bytes(range(256)) * 1000

    def rbd(settings, *args):
        if args[0] == 'export-diff':
            return ['sh', '-c', 'cat "$0"', str(tmp_path / 'diff')]
        return ['sh', '-c', 'cat > "$0"', str(landed)]
    (tmp_path / 'diff').write_bytes(diff)
    told = []
    copy = rbd_copy.RbdCopy(Clients('src'), Clients('dst'))
    settings = rbd_path.CephSettings(conf='/c', user='glance')
    location = rbd_path.source_location({'direct_url': URL})
    with mock.patch.object(ceph_cli, 'rbd', rbd):
        moved = copy.copy(settings, settings, location, 'images/abc', None,
                          on_bytes=told.append)
    assert moved == sum(told) == len(diff)
    assert landed.read_bytes() == diff


def test_a_refusal_with_the_sources_hash_leaves_the_stream():
    """Glance read the copy back and failed it, yet the hashes agree."""
    copy = rbd_copy.RbdCopy(Clients('src'), Clients(
        'dst', statuses=['importing', 'queued']))
    settings = rbd_path.CephSettings('/c', 'glance')
    location = rbd_path.parse_location(URL)
    with mock.patch.object(rbd_copy, 'snapshot_hash',
                           return_value='a' * 128), \
            mock.patch.object(copy, 'remove_leftover') as remove, \
            mock.patch('osc_image_migrate.cancel.pause'):
        with pytest.raises(offload.PathRefused,
                           match='did not take the location images/abc'):
            copy.wait_verified(settings, location, 'abc',
                               item().source_image, None, dst=settings)
    remove.assert_called_once_with(settings, 'abc')


class Rbd:
    """The rbd commands' answers about one leftover RBD image."""

    def __init__(self, exists=True, marked=True):
        self.exists, self.marked = exists, marked
        self.ran = []

    def json(self, settings, *args):
        if not self.exists:
            raise ceph_cli.CephError('rbd snap ls: (2) No such file or '
                                     'directory')
        return [{'name': 'snap', 'protected': 'true'}]

    def run(self, argv, timeout=None):
        if argv[-3:-1] == ['get', 'images/abc'] and not self.marked:
            raise ceph_cli.CephError('rbd image-meta get: failed to get '
                                     'metadata: (2) No such file or '
                                     'directory')
        self.ran.append(ceph_cli._action(argv))
        return ''


def clearing(rbd, records=()):
    copy = rbd_copy.RbdCopy(Clients('src'), Clients('dst'))
    notes = journal.CopyJournal()
    with mock.patch.object(ceph_cli, 'rbd_json', rbd.json), \
            mock.patch.object(ceph_cli, 'run', rbd.run), \
            mock.patch.object(rbd_copy.inventory, 'read_images',
                              return_value={r['id']: r for r in records}):
        copy.before_stream(item(), 'abc', notes)
    return notes.notes


def test_the_stream_first_removes_what_a_killed_rbd_copy_left():
    rbd = Rbd()
    assert clearing(rbd, [{'id': 'abc', 'status': 'queued'}]) == [
        'removed RBD image images/abc, left by an interrupted rbd copy']
    assert rbd.ran == [['image-meta', 'get', 'images/abc'],
                       ['snap', 'unprotect', 'images/abc@snap'],
                       ['snap', 'purge', '--no-progress'],
                       ['rm', '--no-progress', 'images/abc']]


def test_without_a_leftover_the_stream_goes_on_at_once():
    rbd = Rbd(exists=False)
    assert clearing(rbd) == []
    assert rbd.ran == []


@pytest.mark.parametrize('rbd, records, reason', [
    (Rbd(marked=False), (), 'was not made by this tool'),
    (Rbd(), [{'id': 'other', 'direct_url': 'rbd://f2/images/abc/snap'}],
     'is the location of image other'),
])
def test_an_rbd_image_not_ours_to_remove_is_left_and_named(rbd, records,
                                                           reason):
    with pytest.raises(rbd_copy.http.CloudError, match=reason) as caught:
        clearing(rbd, records)
    assert 'images/abc' in str(caught.value)
    assert not caught.value.retriable
    assert not [a for a in rbd.ran if a[0] in ('rm', 'snap')]


@pytest.mark.parametrize('fields, clouds', [
    ({'direct_url': None}, {}),
    ({}, {'dst': {}}),
])
def test_no_rbd_look_where_no_rbd_copy_can_have_been(fields, clouds):
    copy = rbd_copy.RbdCopy(Clients('src'), Clients(
        'dst', clouds.get('dst', BLOCK)))
    with mock.patch.object(ceph_cli, 'run') as run, \
            mock.patch.object(ceph_cli, 'rbd_json') as rbd_json:
        copy.before_stream(item(**fields), 'abc', journal.CopyJournal())
    run.assert_not_called()
    rbd_json.assert_not_called()


def test_without_dest_ceph_settings_a_failed_stream_says_what_may_block():
    notes = journal.CopyJournal()
    copy = rbd_copy.RbdCopy(Clients('src'), Clients('dst', {}))
    copy.before_stream(item(), 'abc', notes)
    assert notes.stream_hint == (
        'if a killed rbd copy left RBD image abc in the destination\'s pool,'
        ' Glance cannot store this upload: give clouds.yaml entry dst its '
        'image_migrate: Ceph settings (ceph_conf, ceph_user, rbd_pool) and '
        'run again to remove it')
    neither = journal.CopyJournal()
    rbd_copy.RbdCopy(Clients('src', {}), Clients('dst', {})).before_stream(
        item(), 'abc', neither)
    assert neither.stream_hint is None


def test_the_location_is_added_with_the_service_users_credential():
    service = Clients('dst-service', {}, status=202, roles=('service',))
    copy = rbd_copy.RbdCopy(Clients('src'), Clients(
        'dst', roles=('admin',), location=service))
    settings = rbd_path.CephSettings('/c', 'glance')
    copy.add_location(settings, 'abc', URL, item().source_image)
    service.image.post.assert_called_once()
    copy.dst.image.post.assert_not_called()
