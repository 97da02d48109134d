# SPDX-License-Identifier: Apache-2.0
"""The send step: direct upload or stage + import, told to a journal."""

import pytest

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.copying import glance_import
from osc_image_migrate.copying import journal
from osc_image_migrate.copying import send
from osc_image_migrate.copying import upload_method
from osc_image_migrate import model
from osc_image_migrate.stream import transfer
from tests.unit.fakes import copying as copy_fakes

DATA = copy_fakes.DATA


class Journal(journal.CopyJournal):
    """The copy's journal, which also lists what it is told, in order."""

    def __init__(self):
        super().__init__()
        self.events = []

    def note(self, text):
        super().note(text)
        self.events.append(('note', text))

    def import_started(self, request_id):
        super().import_started(request_id)
        self.events.append(('import', request_id))

    def upload_broke(self):
        super().upload_broke()
        self.events.append(('broke',))


@pytest.fixture
def destination(monkeypatch):
    """A record to send into; ``calls`` lists the stream targets."""
    copy, images, source = copy_fakes.make_copy()
    dest_id = source['id']
    images.create(id=dest_id)
    calls = []
    behaviour = {'file': 'active', 'stage': 'uploading', 'import': 'active'}

    def copy_data(src, dst, source_image, dest_id, target='file', **kw):
        calls.append(target)
        outcome = behaviour[target]
        if isinstance(outcome, Exception):
            raise outcome
        images.records[dest_id].update(status=outcome, size=len(DATA))
        return transfer.Copied(len(DATA), None)

    def start(dst, dest_id, store=None):
        calls.append('import')
        outcome = behaviour['import']
        images.records[dest_id]['status'] = outcome
        return 'req-%d' % len(calls)

    monkeypatch.setattr(transfer, 'copy_data', copy_data)
    monkeypatch.setattr(glance_import, 'start', start)
    monkeypatch.setattr(cancel, 'POLL_SECONDS', 0)
    journal = Journal()
    sending = send.Send(None, copy.dst, copy.item, dest_id, journal)
    return sending, journal, images, calls, behaviour


def chooser(requested=upload_method.AUTO, offered=('glance-direct',)):
    return upload_method.Chooser(requested, lambda: offered)


def test_direct_upload_tells_nothing(destination):
    sending, journal, images, calls, behaviour = destination
    assert sending.data(chooser()) == len(DATA)
    assert calls == ['file'] and journal.events == []


def test_forbidden_upload_is_staged_and_imported(destination):
    sending, journal, images, calls, behaviour = destination
    behaviour['file'] = http.status_error('destination upload', 403)
    assert sending.data(chooser()) == len(DATA)
    assert calls == ['file', 'stage', 'import']
    assert journal.events == [
        ('broke',),
        ('note', 'direct upload refused (HTTP 403): glance-direct for the '
                 'rest of the run'),
        ('import', 'req-3'),
        ('note', 'imported with glance-direct')]


def test_forbidden_upload_without_fall_back_names_the_way_out(destination):
    sending, journal, images, calls, behaviour = destination
    behaviour['file'] = http.status_error('destination upload', 403)
    with pytest.raises(http.CloudError) as raised:
        sending.data(chooser(upload_method.PUT))
    assert raised.value.status == 403 and not raised.value.retriable
    assert '--upload-method glance-direct' in str(raised.value)
    assert calls == ['file'] and journal.events == [('broke',)]


def test_broken_upload_is_told_and_raised(destination):
    sending, journal, images, calls, behaviour = destination
    behaviour['file'] = http.CloudError('broke off', retriable=True)
    with pytest.raises(http.CloudError) as raised:
        sending.data(chooser())
    assert raised.value is behaviour['file']
    assert journal.events == [('broke',)]


def test_what_the_stream_read_is_kept_when_the_upload_then_breaks(
        destination, monkeypatch):
    sending, journal, images, calls, behaviour = destination
    read = model.DataRead(len(DATA), {'md5': 'm'})

    def verified_then_broken(src, dst, source_image, dest_id, on_read,
                             **kw):
        on_read(read)  # the stream verified all it read...
        raise http.CloudError('broke off', retriable=True)  # ...then this

    monkeypatch.setattr(transfer, 'copy_data', verified_then_broken)
    with pytest.raises(http.CloudError):
        sending.data(chooser())
    assert journal.data_read == read
    assert journal.upload_broke_at is not None
    assert journal.events == [('broke',)]


def test_import_started_is_told_though_it_fails(destination):
    sending, journal, images, calls, behaviour = destination
    behaviour['import'] = 'queued'
    with pytest.raises(glance_import.ImportFailed) as raised:
        sending.data(chooser(upload_method.GLANCE_DIRECT))
    assert raised.value.retriable
    assert journal.events == [('import', 'req-2')]


def test_incomplete_stage_is_not_imported(destination):
    sending, journal, images, calls, behaviour = destination
    behaviour['stage'] = 'queued'
    with pytest.raises(http.CloudError) as raised:
        sending.data(chooser(upload_method.GLANCE_DIRECT))
    assert raised.value.retriable and 'not imported' in str(raised.value)
    assert calls == ['stage'] and journal.events == []


def test_stage_records_the_source_first(destination, monkeypatch):
    sending, journal, images, calls, behaviour = destination
    monkeypatch.setattr(glance_import, 'record_source',
                        lambda *args: calls.append('record'))
    sending.data(chooser(upload_method.GLANCE_DIRECT))
    assert calls == ['record', 'stage', 'import']


# -- what an earlier run left

def test_complete_stage_is_imported(destination):
    sending, journal, images, calls, behaviour = destination
    images.records[sending.dest_id].update(status='uploading',
                                           size=len(DATA))
    sending.finish_import()
    assert calls == ['import']
    assert journal.events == [
        ('import', 'req-1'),
        ('note', 'imported the data an earlier run staged')]


def test_running_stage_is_left_alone(destination):
    sending, journal, images, calls, behaviour = destination
    images.records[sending.dest_id].update(status='uploading', size=None)
    with pytest.raises(http.CloudError) as raised:
        sending.finish_import()
    assert 'being staged by another client' in str(raised.value)
    assert calls == [] and journal.events == []


def test_running_import_is_waited_for(destination):
    sending, journal, images, calls, behaviour = destination
    images.statuses[sending.dest_id] = ['importing', 'importing', 'active']
    sending.finish_import()
    assert calls == [] and images.statuses[sending.dest_id] == []
    assert journal.events == [
        ('note', 'waited for the import an earlier run started')]


def test_dead_import_is_final(destination):
    sending, journal, images, calls, behaviour = destination
    images.records[sending.dest_id].update(status='importing',
                                           os_glance_failed_import='fs')
    with pytest.raises(glance_import.ImportFailed) as raised:
        sending.finish_import()
    assert not raised.value.retriable
    assert calls == [] and journal.events == []


def unanswered(cause='SSLError'):
    """A direct upload the server closed with no answer (see transfer)."""
    return http.CloudError('destination upload broke off after 0 bytes '
                           '(%s)' % cause, retriable=True, cause=cause)


def test_unanswered_breaks_of_a_queued_record_switch_auto(destination):
    """Through HAProxy a 403 sent before the body is read can be lost."""
    sending, journal, images, calls, behaviour = destination
    behaviour['file'] = unanswered()
    run = chooser()
    for attempt in range(upload_method.UNANSWERED_BREAKS):
        assert run.current == upload_method.PUT
        with pytest.raises(http.CloudError) as raised:
            sending.data(run)
        assert raised.value is behaviour['file']  # the attempt still fails
    assert run.current == upload_method.GLANCE_DIRECT
    switch = [e for e in journal.events if e[0] == 'note']
    assert len(switch) == 1 and 'with no answer' in switch[0][1]
    # The next attempt stages the whole stream into the same record.
    assert sending.data(run) == len(DATA)
    assert calls == ['file'] * upload_method.UNANSWERED_BREAKS + [
        'stage', 'import']
    assert list(images.records) == [sending.dest_id]


@pytest.mark.parametrize('requested, cause, status', [
    (upload_method.AUTO, 'SSLError', 'saving'),  # the server took data
    (upload_method.AUTO, 'ConnectTimeout', 'queued'),  # a stall
    (upload_method.PUT, 'SSLError', 'queued'),  # no switch asked for
])
def test_other_unanswered_breaks_never_switch(destination, requested, cause,
                                              status):
    sending, journal, images, calls, behaviour = destination
    behaviour['file'] = unanswered(cause)
    images.records[sending.dest_id]['status'] = status
    run = chooser(requested)
    for attempt in range(upload_method.UNANSWERED_BREAKS + 1):
        with pytest.raises(http.CloudError):
            sending.data(run)
    assert run.current == upload_method.PUT
    assert calls == ['file'] * (upload_method.UNANSWERED_BREAKS + 1)
    assert [e for e in journal.events if e[0] == 'note'] == []


def test_unanswered_breaks_without_glance_direct_keep_put(destination):
    sending, journal, images, calls, behaviour = destination
    behaviour['file'] = unanswered('ConnectFailure')
    run = chooser(offered=('web-download',))
    for attempt in range(upload_method.UNANSWERED_BREAKS + 1):
        with pytest.raises(http.CloudError):
            sending.data(run)
    assert run.current == upload_method.PUT
    assert [e for e in journal.events if e[0] == 'note'] == []
