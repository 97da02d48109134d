# SPDX-License-Identifier: Apache-2.0
"""The metadata a copy is created with, and the state it ends in."""

import copy

from hypothesis import given
from hypothesis import strategies as st

from osc_image_migrate import model
from osc_image_migrate.planning import metadata
from tests.unit import fakes

SRC = fakes.project('demo')
KERNEL = fakes.make_id('kernel')
RAMDISK = fakes.make_id('ramdisk')


def _source(**extra):
    return fakes.image('cirros', SRC, visibility='public', protected=True,
                       os_hidden=True, tags=['a', 'b'], min_disk=1,
                       min_ram=64, hw_disk_bus='scsi', os_distro='cirros',
                       direct_url='file:///x', locations=[], stores='fs',
                       os_glance_importing_to_stores='', **extra)


def test_create_body_sends_metadata_not_read_only_fields():
    source = _source()
    body = metadata.create_body(source, 'dest-id', 'dest-owner', {}, False)
    assert body == {
        'id': 'dest-id', 'owner': 'dest-owner', 'visibility': 'private',
        'name': 'cirros', 'disk_format': 'raw', 'container_format': 'bare',
        'min_disk': 1, 'min_ram': 64, 'tags': ['a', 'b'], 'os_hidden': True,
        'hw_disk_bus': 'scsi', 'os_distro': 'cirros',
    }


def test_create_body_rewrites_dependencies_through_id_map():
    source = _source(kernel_id=KERNEL, ramdisk_id=RAMDISK)
    body = metadata.create_body(source, source['id'], 'o',
                                {KERNEL: 'new-kernel'}, False)
    assert body['kernel_id'] == 'new-kernel'
    assert body['ramdisk_id'] == RAMDISK


def test_create_body_omits_null_dependencies_and_values():
    source = _source(kernel_id=None, ramdisk_id='')
    source['name'] = None
    body = metadata.create_body(source, 'i', 'o', None, False)
    assert 'kernel_id' not in body
    assert 'ramdisk_id' not in body
    assert 'name' not in body


def test_create_body_records_source_id_only_for_a_new_id():
    source = _source(**{model.SOURCE_ID_PROPERTY: 'older-cloud-id'})
    same_id = metadata.create_body(source, source['id'], 'o', {}, False)
    assert model.SOURCE_ID_PROPERTY not in same_id
    new_id = metadata.create_body(source, 'other', 'o', {}, True)
    assert new_id[model.SOURCE_ID_PROPERTY] == source['id']


def test_create_body_does_not_mutate_or_share_the_source():
    source = _source()
    before = copy.deepcopy(source)
    body = metadata.create_body(source, 'i', 'o', {}, False)
    body['tags'].append('c')
    assert source == before


def test_is_read_only():
    assert metadata.is_read_only('os_glance_failed_import')
    assert metadata.is_read_only('checksum')
    assert not metadata.is_read_only('hw_qemu_guest_agent')


def test_final_state_of_a_shared_deactivated_image():
    source = fakes.image('x', SRC, visibility='shared', status='deactivated',
                         protected=True)
    members = [fakes.member('p2', 'pending'), fakes.member('p1')]
    assert metadata.final_state(source, members) == {
        'visibility': 'shared', 'protected': True, 'os_hidden': False,
        'members': [{'member_id': 'p1', 'status': 'accepted'},
                    {'member_id': 'p2', 'status': 'pending'}],
        'deactivated': True,
    }


def test_final_state_has_members_only_for_shared_images():
    source = fakes.image('x', SRC, visibility='private')
    state = metadata.final_state(source, [fakes.member('p1')])
    assert state['members'] == []


def test_final_state_differs_names_the_fields():
    source = fakes.image('x', SRC, visibility='shared', protected=True)
    wanted = metadata.final_state(source, [fakes.member('p1')])
    dest = fakes.image('x', 'o', visibility='private')
    assert metadata.final_state_differs(dest, [], wanted) == [
        'visibility', 'protected', 'members']
    dest.update(visibility='shared', protected=True)
    assert metadata.final_state_differs(
        dest, [fakes.member('p1', 'pending')], wanted) == ['members']
    assert metadata.final_state_differs(
        dest, [fakes.member('p1')], wanted) == []


def test_final_state_differs_sees_missing_deactivation():
    source = fakes.image('x', SRC, status='deactivated')
    wanted = metadata.final_state(source, [])
    dest = fakes.image('x', 'o')
    assert metadata.final_state_differs(dest, [], wanted) == ['deactivated']


_values = st.one_of(st.none(), st.booleans(), st.integers(),
                    st.text(max_size=5), st.lists(st.text(max_size=3)))


@given(st.dictionaries(
    st.one_of(st.sampled_from(sorted(metadata.READ_ONLY)),
              st.from_regex(r'(os_glance_)?[a-z_]{1,12}', fullmatch=True)),
    _values), st.booleans())
def test_create_body_never_sends_read_only_fields(record, new_id):
    record['id'] = 'src-id'
    before = copy.deepcopy(record)
    body = metadata.create_body(record, 'dst-id', 'owner', {}, new_id)
    sent_read_only = {k for k in body if metadata.is_read_only(k)}
    assert sent_read_only == {'id', 'owner', 'visibility'}
    assert body['visibility'] == 'private'
    assert 'protected' not in body
    custom = set(body) - set(metadata.CORE) - {'id', 'owner', 'visibility'}
    assert all(isinstance(body[k], str) for k in custom)
    assert record == before
