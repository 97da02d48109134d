# SPDX-License-Identifier: Apache-2.0
"""Copies the destination converted on import: the rules, the plan, a copy."""

import types

import pytest

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.copying import glance_import
from osc_image_migrate.copying import image_copy
from osc_image_migrate.copying import upload_method
from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import conversion
from osc_image_migrate.planning import drift
from osc_image_migrate.planning import metadata
from osc_image_migrate.planning import planner
from osc_image_migrate.stream import transfer
from tests.unit import fakes
from tests.unit.fakes import copying as copy_fakes
from tests.unit.fakes.scene import copy_in_dest
from tests.unit.fakes.scene import in_dst
from tests.unit.fakes.scene import in_src
from tests.unit.fakes.scene import plan_one
from tests.unit.fakes.scene import S_DEMO

RAW_HASH = 'e' * 128


def qcow2(name='disk', data=b'qcow2 data', **extra):
    extra.setdefault('virtual_size', 64)
    return fakes.image(name, S_DEMO, data=data, disk_format='qcow2', **extra)


def converted(image, marked=True, **changes):
    """The copy an accepted conversion of ``image`` to raw leaves."""
    record = copy_in_dest(
        image, disk_format='raw', container_format='bare', size=64,
        virtual_size=64, checksum='c' * 32, os_hash_value=RAW_HASH,
        **conversion.source_values(image))
    record[model.SOURCE_ID_PROPERTY] = image['id']
    if marked:
        record[conversion.CONVERTED] = 'qcow2 -> raw'
    record.update(changes)
    return record


def task(status='success', method='glance-direct', request_id='req-1',
         created_at='2026-12-02T11:46:41', **extra):
    return dict({'id': 't-' + created_at, 'type': 'api_image_import',
                 'status': status, 'request_id': request_id,
                 'created_at': created_at,
                 'input': {'import_req': {'method': {'name': method}}}},
                **extra)


# -- the rules

def test_source_values_are_strings_with_the_multihash_else_md5():
    image = qcow2()
    assert conversion.source_values(image) == {
        conversion.SOURCE_DISK_FORMAT: 'qcow2',
        conversion.SOURCE_SIZE: '10',
        conversion.SOURCE_HASH_ALGO: 'sha512',
        conversion.SOURCE_HASH_VALUE: image['os_hash_value']}
    old = dict(image, os_hash_algo=None, os_hash_value=None)
    values = conversion.source_values(old)
    assert values[conversion.SOURCE_HASH_ALGO] == 'md5'
    assert values[conversion.SOURCE_HASH_VALUE] == image['checksum']


def test_record_patch_adds_or_replaces_only_what_differs():
    image = qcow2()
    assert [op['op'] for op in conversion.record_patch(image, {})] == [
        'add'] * 4
    stale = dict(conversion.source_values(image),
                 **{conversion.SOURCE_SIZE: '9'})
    assert conversion.record_patch(image, stale) == [{
        'op': 'replace', 'path': '/' + conversion.SOURCE_SIZE,
        'value': '10'}]
    assert conversion.record_patch(image, converted(image)) == []


def test_a_checked_conversion_is_accepted():
    image = qcow2()
    record = converted(image, marked=False)
    assert conversion.problems(image, record, [task()], 'req-1') == []
    # An earlier run's import: the latest import task must have succeeded.
    assert conversion.problems(image, record, [
        task('failure', created_at='1'), task(created_at='2')]) == []


@pytest.mark.parametrize('change,tasks,problem', [
    ({'status': 'deactivated'}, [task()], 'status deactivated'),
    ({conversion.SOURCE_HASH_VALUE: 'f' * 128}, [task()],
     'does not record the source'),
    ({conversion.SOURCE_HASH_VALUE: None}, [task()],
     'does not record the source'),
    ({'disk_format': 'qcow2'}, [task()], 'disk_format unchanged'),
    ({'container_format': 'ovf'}, [task()], 'container_format ovf'),
    ({'virtual_size': 32}, [task()],
     'virtual size 32, the source\'s is 64'),
    ({}, [], 'no import task listed'),
    ({}, [task(method='web-download')], 'method web-download'),
    ({}, [task('failure')], 'is failure'),
    ({}, [task(request_id='req-2')], 'not started by this run'),
    ({}, [task(created_at='2'), task('failure', created_at='3')],
     'is failure'),
])
def test_a_conversion_without_its_evidence_is_refused(change, tasks,
                                                      problem):
    image = qcow2()
    record = converted(image, marked=False, **change)
    problems = conversion.problems(image, record, tasks, 'req-1')
    assert any(problem in p for p in problems), problems


def test_marked_copies_are_accepted_unmarked_active_ones_await_a_check():
    image = qcow2()
    assert conversion.accepted(image, converted(image))
    assert conversion.accepted(image, converted(image, status='deactivated'))
    assert not conversion.accepted(image, converted(image, marked=False))
    assert conversion.awaits_check(image, converted(image, marked=False))
    assert not conversion.awaits_check(image, converted(
        image, marked=False, status='deactivated'))
    # The source's data changed since: not a copy of it.
    changed = dict(image, os_hash_value='0' * 128)
    assert not conversion.accepted(changed, converted(image))
    assert not conversion.awaits_check(changed, converted(image, False))
    assert not comparison.holds_data_of(changed, converted(image))


def test_the_import_task_settles_after_the_record_is_active():
    assert not conversion.task_settled([])
    assert not conversion.task_settled([task('processing')])
    assert conversion.task_settled([task('failure')])
    assert conversion.task_settled([task()])


# -- the plan

def test_converted_copy_plans_skip_as_the_same_data():
    image = qcow2()
    item = plan_one(in_src([image]), in_dst([converted(image)]))
    assert item.action == planner.SKIP
    assert item.reason == (
        'already in the destination as %s with the same data; a copy '
        'converted qcow2 -> raw by the destination: the source\'s format, '
        'size and hash it recorded match' % image['id'])
    assert item.changes == []


def test_converted_copy_syncs_metadata_only():
    image = qcow2(os_distro='ubuntu', min_ram=512)
    dest = converted(image, os_distro='debian', min_ram=0)
    item = plan_one(in_src([image]), in_dst([dest]))
    assert item.action == planner.UPDATE
    assert [c.field for c in item.changes] == ['min_ram',
                                               'property:os_distro']
    assert 'differs' not in item.reason
    operations = drift.json_patch(dest, item.changes)
    assert {op['path'] for op in operations} == {'/min_ram', '/os_distro'}


def test_unchecked_conversion_is_resumed_to_be_checked():
    image = qcow2()
    item = plan_one(in_src([image]), in_dst([converted(image, marked=False)]))
    assert item.action == planner.RESUME
    assert 'not checked yet' in item.reason


def test_refused_conversion_is_other_data():
    image = qcow2()
    refused = converted(image, marked=False, status='deactivated')
    item = plan_one(in_src([image]), in_dst([refused]))
    assert item.action == planner.NEW_ID


def test_source_data_changed_since_the_conversion_is_other_data():
    image = qcow2()
    dest = converted(qcow2(image_id=image['id'], data=b'older data'))
    item = plan_one(in_src([image]), in_dst([dest]))
    assert item.action == planner.NEW_ID
    assert 'other data' in item.reason


def test_converted_copy_under_a_new_id_is_found():
    image = qcow2()
    dest = converted(image, id='new-id')
    taken = copy_in_dest(fakes.image('other', S_DEMO, data=b'xyz',
                                     image_id=image['id']))
    item = plan_one(in_src([image]), in_dst([taken, dest]))
    assert (item.action, item.dest_id) == (planner.SKIP, 'new-id')


def test_copies_of_earlier_versions_still_skip():
    image = fakes.image('plain', S_DEMO)
    dest = copy_in_dest(image)
    dest[model.SOURCE_ID_PROPERTY] = image['id']
    item = plan_one(in_src([image]), in_dst([dest]))
    assert item.action == planner.SKIP and item.changes == []


def test_own_properties_are_never_copied_compared_or_removed():
    image = qcow2()
    # A source that is itself a copy: its own properties stay behind.
    source = dict(image, **converted(qcow2('older')))
    source.update(id=image['id'], disk_format='qcow2')
    body = metadata.create_body(source, image['id'], 'o')
    assert not set(body) & set(conversion.OWN_PROPERTIES)
    plain = dict(copy_in_dest(image), **conversion.source_values(image))
    assert drift.record_changes(image, plain, plain['owner']) == []
    changes = [drift.Change('property:' + key, 'x', None)
               for key in conversion.OWN_PROPERTIES]
    assert drift.json_patch(plain, changes) == []


# -- one copy

def _importing_copy(monkeypatch, outcome):
    """A glance-direct copy whose import leaves ``outcome`` (a record)."""
    copy, images, source = copy_fakes.make_copy()
    source.update(disk_format='qcow2', virtual_size=64)
    copy.chooser = upload_method.Chooser(upload_method.GLANCE_DIRECT)
    api = copy.dst.image
    monkeypatch.setattr(cancel, 'POLL_SECONDS', 0.01)
    monkeypatch.setattr(glance_import, 'TASK_SETTLE_SECONDS', 0.5)

    def copy_data(src, dst, source_image, dest_id, target='file', **kw):
        assert target == 'stage'
        # Recorded before the data went in.
        assert images.records[dest_id][conversion.SOURCE_SIZE] == str(
            len(copy_fakes.DATA))
        images.records[dest_id].update(status='uploading',
                                       size=len(copy_fakes.DATA))
        return transfer.Copied(len(copy_fakes.DATA), None)

    def start(dst, dest_id, store=None):
        images.records[dest_id].update(outcome)
        # The record is active a moment before the task says success.
        answers = [[task('processing')], [task()]]
        api.tasks[dest_id] = lambda: answers.pop(0) if len(answers) > 1 \
            else answers[0]
        return 'req-1'

    monkeypatch.setattr(transfer, 'copy_data', copy_data)
    monkeypatch.setattr(glance_import, 'start', start)
    return copy, images, source, api


def test_accepted_conversion_is_marked_and_named_in_the_row(monkeypatch):
    copy, images, source, api = _importing_copy(monkeypatch, {
        'status': 'active', 'disk_format': 'raw', 'size': 64,
        'virtual_size': 64, 'checksum': 'c' * 32, 'os_hash_algo': 'sha512',
        'os_hash_value': RAW_HASH})
    outcome = copy.run({})
    assert outcome.result == image_copy.MIGRATED
    assert outcome.detail == ('imported with glance-direct; converted '
                              'qcow2 -> raw by the destination')
    record = images.records[source['id']]
    assert record[conversion.CONVERTED] == 'qcow2 -> raw'
    assert images.deactivated == []


def test_refused_conversion_is_deactivated(monkeypatch):
    copy, images, source, api = _importing_copy(monkeypatch, {
        'status': 'active', 'disk_format': 'raw', 'size': 32,
        'virtual_size': 32, 'checksum': 'c' * 32, 'os_hash_algo': 'sha512',
        'os_hash_value': RAW_HASH})
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    message = str(raised.value)
    assert 'qcow2 -> raw (size 32, virtual size 32)' in message
    assert 'virtual size 32, the source\'s is 64' in message
    assert 'deactivated destination image' in message
    assert images.deactivated == [source['id']]
    assert conversion.CONVERTED not in images.records[source['id']]


def test_other_data_in_the_same_format_is_no_conversion(monkeypatch):
    copy, images, source, api = _importing_copy(monkeypatch, {
        'status': 'active', 'size': 10, 'checksum': 'c' * 32,
        'os_hash_algo': 'sha512', 'os_hash_value': RAW_HASH})
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    assert 'changed on the way in' in str(raised.value)
    assert 'conversion' not in str(raised.value)
    assert images.deactivated == [source['id']]


def test_incomplete_stage_is_never_imported(monkeypatch):
    copy, images, source, api = _importing_copy(monkeypatch, {})

    def short_stage(src, dst, source_image, dest_id, **kw):
        images.records[dest_id].update(status='uploading', size=3)
        return transfer.Copied(3, None)

    monkeypatch.setattr(transfer, 'copy_data', short_stage)
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    assert 'with 3 bytes, not the source\'s 10: not imported' in str(
        raised.value)
    assert raised.value.retriable
    assert api.tasks == {}


def test_task_list_server_error_is_retried_not_refused(monkeypatch):
    copy, images, source, api = _importing_copy(monkeypatch, {
        'status': 'active', 'disk_format': 'raw', 'size': 64,
        'virtual_size': 64, 'checksum': 'c' * 32, 'os_hash_algo': 'sha512',
        'os_hash_value': RAW_HASH})
    answer = api.get
    api.get = lambda url, **kw: types.SimpleNamespace(status_code=503)
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    assert raised.value.retriable and 'task list: HTTP 503' in str(
        raised.value)
    assert images.deactivated == []
    api.get = answer
    outcome = copy.run({})
    assert outcome.result == image_copy.MIGRATED
    assert 'converted qcow2 -> raw' in outcome.detail
