# SPDX-License-Identifier: Apache-2.0
"""Drift between a copy and its source: the diff and the JSON patch."""

import copy

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from osc_image_migrate import model
from osc_image_migrate.planning import drift
from tests.unit import fakes

SRC = fakes.project('demo')
DST = fakes.project('demo', 'dst')
OTHER = fakes.project('alt', 'dst')


def _pair(**source_fields):
    source = fakes.image('cirros', SRC, tags=['a'], os_distro='debian',
                         **source_fields)
    dest = dict(copy.deepcopy(source), owner=DST.id)
    return source, dest


def _fields(changes):
    return [c.field for c in changes]


def test_identical_copy_has_no_changes():
    source, dest = _pair(kernel_id=fakes.make_id('k'))
    dest[model.SOURCE_ID_PROPERTY] = source['id']
    dest['os_glance_importing_to_stores'] = 'fs'
    dest['stores'] = 'fs'
    assert drift.changes(source, dest, DST.id, [], []) == []


def test_each_record_field_old_to_new():
    source, dest = _pair()
    source.update(name='new', min_ram=512, min_disk=None, protected=True,
                  visibility='community', os_hidden=True, tags=['b', 'a'],
                  os_distro='ubuntu', added='x')
    dest.update(min_disk=2, tags=['a', 'a'], only_here='y')
    changes = drift.record_changes(source, dest, OTHER.id)
    assert [(c.field, c.old, c.new) for c in changes] == [
        ('name', 'cirros', 'new'), ('owner', DST.id, OTHER.id),
        ('min_disk', 2, 0), ('min_ram', 0, 512),
        ('visibility', 'private', 'community'), ('protected', False, True),
        ('os_hidden', False, True), ('tags', ['a'], ['a', 'b']),
        ('property:added', None, 'x'), ('property:only_here', 'y', None),
        ('property:os_distro', 'debian', 'ubuntu')]
    assert all(c.syncable for c in changes)


def test_dependencies_compare_through_the_id_map():
    kernel = fakes.make_id('kernel')
    source, dest = _pair(kernel_id=kernel)
    assert drift.record_changes(source, dest, DST.id) == []
    changes = drift.record_changes(source, dest, DST.id, {kernel: 'copy'})
    assert [(c.field, c.old, c.new) for c in changes] == [
        ('kernel_id', kernel, 'copy')]
    del source['kernel_id']
    assert _fields(drift.record_changes(source, dest, DST.id)) == [
        'kernel_id']


def test_formats_cannot_be_synced_once_data_is_there():
    source, dest = _pair()
    dest['disk_format'] = 'qcow2'
    (change,) = drift.record_changes(source, dest, DST.id)
    assert (change.field, change.syncable) == ('disk_format', False)
    assert drift.json_patch(dest, [change]) == []
    assert 'cannot be synced' in drift.describe([change])
    assert drift.as_dict([change]) == {'disk_format': {
        'old': 'qcow2', 'new': 'raw', 'syncable': False}}
    dest['status'] = 'queued'
    (change,) = drift.record_changes(source, dest, DST.id)
    assert change.syncable


def test_members_and_status():
    source, dest = _pair(visibility='shared', status='deactivated')
    dest['status'] = 'active'
    wanted = [fakes.member(OTHER, 'accepted')]
    now = [fakes.member(OTHER, 'pending'), fakes.member(DST)]
    changes = drift.state_changes(source, dest, wanted, now)
    assert [(c.field, c.old, c.new) for c in changes] == [
        ('members', sorted(['%s:pending' % OTHER.id,
                            '%s:accepted' % DST.id]),
         ['%s:accepted' % OTHER.id]),
        ('deactivated', False, True)]
    dest['status'] = 'deactivated'
    source['status'] = 'active'
    assert _fields(drift.state_changes(source, dest, wanted, wanted)) == [
        'deactivated']


def test_json_patch_replaces_adds_and_removes():
    source, dest = _pair(kernel_id=None)
    source.update(name='new', added='x')
    dest.update(dropped='y', kernel_id='k', ramdisk_id=None)
    dest[model.SOURCE_ID_PROPERTY] = 'other-cloud'
    del dest['os_hidden']
    source['os_hidden'] = True
    changes = drift.changes(source, dest, OTHER.id, [], [])
    assert drift.json_patch(dest, changes) == [
        {'op': 'replace', 'path': '/name', 'value': 'new'},
        {'op': 'replace', 'path': '/owner', 'value': OTHER.id},
        {'op': 'add', 'path': '/os_hidden', 'value': True},
        {'op': 'remove', 'path': '/kernel_id'},
        {'op': 'add', 'path': '/added', 'value': 'x'},
        {'op': 'remove', 'path': '/dropped'}]


def test_json_patch_escapes_keys():
    source, dest = _pair(**{'a/b~c': 'v'})
    del dest['a/b~c']
    (operation,) = drift.json_patch(dest, drift.record_changes(
        source, dest, DST.id))
    assert operation['path'] == '/a~1b~0c'


def test_describe_shortens_values():
    text = drift.describe([drift.Change('property:x', 'a' * 100, None)])
    assert text == "property:x '%s... -> (none)" % ('a' * 36)


_VALUES = st.one_of(st.none(), st.sampled_from(['a', 'b', 'c']))
_KEYS = st.sampled_from(['os_distro', 'hw_disk_bus', 'extra', 'a/b'])


@st.composite
def _image(draw):
    image = fakes.image('img', SRC, visibility=draw(st.sampled_from(
        ['private', 'shared', 'public', 'community'])))
    image.update(name=draw(st.sampled_from(['x', 'y', None])),
                 min_ram=draw(st.integers(0, 3)),
                 min_disk=draw(st.integers(0, 3)),
                 protected=draw(st.booleans()),
                 os_hidden=draw(st.booleans()),
                 tags=draw(st.lists(st.sampled_from('abc'), max_size=3)),
                 status=draw(st.sampled_from(['active', 'deactivated'])))
    for key, value in draw(st.dictionaries(_KEYS, _VALUES)).items():
        if value is not None:
            image[key] = value
    return image


@settings(max_examples=300, deadline=None)
@given(_image(), _image(), st.sampled_from([DST.id, OTHER.id]))
def test_patch_makes_the_record_equal(source, dest, owner):
    dest.update(id=source['id'], owner=DST.id)
    dest[model.SOURCE_ID_PROPERTY] = 'kept'
    before = copy.deepcopy(source)
    fakes.apply_patch(dest, drift.json_patch(
        dest, drift.record_changes(source, dest, owner)))
    assert source == before
    assert drift.record_changes(source, dest, owner) == []
    assert dest[model.SOURCE_ID_PROPERTY] == 'kept'
