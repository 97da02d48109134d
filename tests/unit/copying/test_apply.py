# SPDX-License-Identifier: Apache-2.0
"""The apply step: the source's metadata, members and status."""

import types

import pytest

from osc_image_migrate.copying import apply
from osc_image_migrate.planning import planner
from tests.unit import fakes
from tests.unit.fakes import copying as copy_fakes

SOURCE_OWNER = fakes.project('demo')


class Members:
    """glanceclient's ``image_members``, recording each call."""

    def __init__(self, current=()):
        self.current = {m['member_id']: m['status'] for m in current}
        self.calls = []

    def list(self, image_id):
        return [{'member_id': k, 'status': v}
                for k, v in self.current.items()]

    def create(self, image_id, member_id):
        self.calls.append(('create', member_id))
        self.current[member_id] = 'pending'

    def update(self, image_id, member_id, status):
        self.calls.append(('update', member_id, status))
        self.current[member_id] = status

    def delete(self, image_id, member_id):
        self.calls.append(('delete', member_id))
        del self.current[member_id]


class Images(copy_fakes.FakeImages):

    def reactivate(self, image_id):
        self.records[image_id]['status'] = 'active'


def destination(source, members=(), **record):
    """A destination holding the data of ``source``, as ``record`` says."""
    images = Images()
    images.records['d'] = dict(source, id='d', owner=copy_fakes.OWNER.id,
                               **record)
    glance = types.SimpleNamespace(images=images,
                                   image_members=Members(members))
    api = copy_fakes.FakeImageAPI(images)
    return types.SimpleNamespace(glance=glance, image=api)


def plan_item(source, members=()):
    return planner.PlanItem(
        source_id=source['id'], name=source['name'], action=planner.FINISH,
        dest_id='d', dest_owner=copy_fakes.OWNER.id, source_image=source,
        members=list(members))


def test_an_equal_record_is_left_alone():
    source = fakes.image('x', SOURCE_OWNER)
    dst = destination(source)
    apply.apply(dst, 'd', plan_item(source), {})
    assert dst.image.patches == [] and dst.glance.images.deactivated == []
    assert dst.glance.image_members.calls == []


def test_record_is_patched_once():
    source = fakes.image('x', SOURCE_OWNER, visibility='public',
                         protected=True, hw_disk_bus='scsi')
    dst = destination(source, visibility='private', protected=False,
                      hw_disk_bus='ide')
    apply.apply(dst, 'd', plan_item(source), {})
    assert len(dst.image.patches) == 1
    record = dst.glance.images.records['d']
    assert (record['visibility'], record['protected'],
            record['hw_disk_bus']) == ('public', True, 'scsi')


@pytest.mark.parametrize('source_status,dest_status,after', [
    ('deactivated', 'active', 'deactivated'),
    ('active', 'deactivated', 'active'),
    ('active', 'active', 'active'),
])
def test_status_follows_the_source(source_status, dest_status, after):
    source = fakes.image('x', SOURCE_OWNER, status=source_status)
    dst = destination(source, status=dest_status)
    apply.apply(dst, 'd', plan_item(source), {})
    assert dst.glance.images.records['d']['status'] == after


def test_members_only_for_a_shared_source():
    source = fakes.image('x', SOURCE_OWNER)
    dst = destination(source, members=[fakes.member('stale')])
    apply.apply(dst, 'd', plan_item(source, [fakes.member('p1')]), {})
    assert dst.glance.image_members.calls == []


def test_members_are_added_restatused_and_removed():
    source = fakes.image('x', SOURCE_OWNER, visibility='shared')
    dst = destination(source, members=[
        fakes.member('kept'), fakes.member('changed', 'pending'),
        fakes.member('gone')])
    wanted = [fakes.member('kept'), fakes.member('changed', 'rejected'),
              fakes.member('new', None), fakes.member('accepted-new')]
    apply.apply(dst, 'd', plan_item(source, wanted), {})
    members = dst.glance.image_members
    assert members.calls == [
        ('update', 'changed', 'rejected'),
        ('create', 'new'),
        ('create', 'accepted-new'),
        ('update', 'accepted-new', 'accepted'),
        ('delete', 'gone')]
    assert members.current == {'kept': 'accepted', 'changed': 'rejected',
                               'new': 'pending', 'accepted-new': 'accepted'}
