# SPDX-License-Identifier: Apache-2.0
"""Upload method: direct upload, glance-direct import and the fall-back."""

import hashlib
import types

import pytest

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.copying import glance_import
from osc_image_migrate.copying import image_copy
from osc_image_migrate.copying import upload_method
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.stream import transfer
from tests.unit.fakes import copying as copy_fakes

DATA = copy_fakes.DATA


# -- the method of a run

def test_auto_switches_once_when_glance_direct_is_offered():
    calls = []

    def offered():
        calls.append(1)
        return ('glance-direct', 'web-download')

    chooser = upload_method.Chooser(upload_method.AUTO, offered)
    assert chooser.current == upload_method.PUT
    assert chooser.forbidden()
    assert chooser.forbidden()
    assert chooser.current == upload_method.GLANCE_DIRECT
    assert calls == [1]


def test_auto_keeps_put_when_glance_direct_is_not_offered():
    chooser = upload_method.Chooser(upload_method.AUTO,
                                    lambda: ('web-download',))
    assert not chooser.forbidden()
    assert chooser.current == upload_method.PUT


def test_put_never_switches_and_glance_direct_starts_staged():
    put = upload_method.Chooser(upload_method.PUT, lambda: ('glance-direct',))
    assert not put.forbidden() and put.current == upload_method.PUT
    direct = upload_method.Chooser(upload_method.GLANCE_DIRECT)
    assert direct.current == upload_method.GLANCE_DIRECT


def test_glance_direct_not_offered_is_a_usage_error():
    with pytest.raises(model.UsageError) as raised:
        upload_method.check_offered(upload_method.GLANCE_DIRECT,
                                    ('web-download',))
    assert 'offers: web-download' in str(raised.value)
    upload_method.check_offered(upload_method.AUTO, ())
    upload_method.check_offered(upload_method.GLANCE_DIRECT,
                                ('glance-direct',))


def _dst_answering(status, body):
    response = types.SimpleNamespace(status_code=status, json=lambda: body)
    image = types.SimpleNamespace(get=lambda url, raise_exc: response)
    return types.SimpleNamespace(name='dst', image=image)


@pytest.mark.parametrize('status,body,expected', [
    (200, {'import-methods': {'value': ['glance-direct', 'copy-image']}},
     ('glance-direct', 'copy-image')),
    (404, None, ()),
    (200, {'import-methods': 'glance-direct'}, ()),
    (200, [], ()),
])
def test_offered_methods(status, body, expected):
    assert upload_method.offered(_dst_answering(status, body)) == expected


@pytest.mark.parametrize('requested,reason', [
    ('put', 'r; upload: put'),
    ('glance-direct', 'r; upload: glance-direct'),
    ('auto', 'r'),
])
def test_plan_notes_the_method_of_data_copies_only(requested, reason):
    plan = [planner.PlanItem('a', action=planner.COPY, reasons=['r']),
            planner.PlanItem('b', action=planner.SKIP, reasons=['r'])]
    upload_method.annotate(plan, requested)
    assert [i.reason for i in plan] == [reason, 'r']


# -- one copy

def _stored(dst, dest_id, status='active'):
    record = dst.glance.images.records[dest_id]
    record.update(status=status, size=len(DATA),
                  checksum=hashlib.md5(DATA).hexdigest(),
                  os_hash_algo='sha512',
                  os_hash_value=hashlib.sha512(DATA).hexdigest())


def _fake_destination(monkeypatch, forbid_put=True):
    """copy_data that PUT (403 if forbidden) or stages; a quick import."""
    calls = []

    def copy_data(src, dst, source_image, dest_id, target='file', **kw):
        calls.append(target)
        if target == 'file' and forbid_put:
            raise http.status_error('destination upload', 403)
        _stored(dst, dest_id, 'active' if target == 'file' else 'uploading')
        return transfer.Copied(len(DATA), None)

    def start(dst, dest_id, store=None):
        calls.append('import')
        dst.glance.images.records[dest_id]['status'] = 'active'

    monkeypatch.setattr(transfer, 'copy_data', copy_data)
    monkeypatch.setattr(glance_import, 'start', start)
    return calls


def _copy_with(chooser):
    copy, images, source = copy_fakes.make_copy()
    copy.chooser = chooser
    return copy, images, source


def test_auto_falls_back_to_glance_direct_and_remembers(monkeypatch):
    calls = _fake_destination(monkeypatch)
    chooser = upload_method.Chooser(upload_method.AUTO,
                                    lambda: ('glance-direct',))
    copy, images, source = _copy_with(chooser)
    outcome = copy.run({})
    assert outcome.result == image_copy.MIGRATED
    assert calls == ['file', 'stage', 'import']
    assert 'refused (HTTP 403)' in outcome.detail
    assert 'imported with glance-direct' in outcome.detail
    second, _, _ = _copy_with(chooser)
    outcome = second.run({})
    assert outcome.result == image_copy.MIGRATED
    assert calls[3:] == ['stage', 'import']
    assert outcome.detail == 'imported with glance-direct'


def test_put_forbidden_fails_with_the_way_out(monkeypatch):
    calls = _fake_destination(monkeypatch)
    copy, images, source = _copy_with(upload_method.Chooser(
        upload_method.PUT, lambda: ('glance-direct',)))
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    assert calls == ['file']
    assert not raised.value.retriable
    assert '--upload-method glance-direct' in str(raised.value)
    assert images.records[source['id']]['status'] == 'queued'


def _left_by_an_earlier_run(status):
    """A copy whose record holds the data, left ``status``."""
    copy, images, source = _copy_with(upload_method.Chooser(
        upload_method.GLANCE_DIRECT))
    images.create(id=source['id'])
    _stored(copy.dst, source['id'], status)
    copy.dest_id = source['id']
    return copy, images, source


def test_earlier_complete_stage_is_imported_not_sent_again(monkeypatch):
    calls = _fake_destination(monkeypatch)
    copy, images, source = _left_by_an_earlier_run('uploading')
    outcome = copy.run({})
    assert calls == ['import']
    assert outcome.result == image_copy.MIGRATED
    assert 'earlier run staged' in outcome.detail


def test_stage_still_running_is_never_imported(monkeypatch):
    calls = _fake_destination(monkeypatch)
    copy, images, source = _copy_with(upload_method.Chooser(
        upload_method.GLANCE_DIRECT))
    images.create(id=source['id'])
    images.records[source['id']]['status'] = 'uploading'
    copy.dest_id = source['id']
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    assert 'being staged by another client' in str(raised.value)
    assert calls == []


def test_import_an_earlier_run_started_is_waited_for(monkeypatch):
    calls = _fake_destination(monkeypatch)
    copy, images, source = _left_by_an_earlier_run('importing')
    images.statuses[source['id']] = ['importing', 'importing', 'active']
    monkeypatch.setattr(cancel, 'POLL_SECONDS', 0)
    outcome = copy.run({})
    assert calls == []
    assert outcome.result == image_copy.MIGRATED
    assert 'waited for the import' in outcome.detail


def test_failed_import_found_by_a_copy_is_final(monkeypatch):
    calls = _fake_destination(monkeypatch)
    copy, images, source = _copy_with(upload_method.Chooser())
    images.create(id=source['id'])
    images.records[source['id']].update(status='importing',
                                        os_glance_failed_import='fs')
    copy.dest_id = source['id']
    with pytest.raises(glance_import.ImportFailed) as raised:
        copy.run({})
    assert not raised.value.retriable
    assert calls == []
