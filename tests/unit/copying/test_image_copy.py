# SPDX-License-Identifier: Apache-2.0
"""One plan item under faults: lost uploads and data changed on the way in."""

import hashlib
import threading

import pytest

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.copying import image_copy
from osc_image_migrate.copying import offload
from osc_image_migrate.copying import record
from osc_image_migrate import model
from osc_image_migrate.stream import transfer
from tests.unit.fakes.copying import DATA
from tests.unit.fakes.copying import make_copy


@pytest.fixture(autouse=True)
def quick_grace(monkeypatch):
    monkeypatch.setattr(record, 'SAVING_GRACE', 0.05)
    monkeypatch.setattr(cancel, 'POLL_SECONDS', 0.01)


def uploads(monkeypatch, *behaviours):
    """Make copy_data break or store the data, one behaviour per call."""
    calls = []

    def copy_data(src, dst, source_image, dest_id, **kwargs):
        calls.append(dest_id)
        behaviour = behaviours[len(calls) - 1]
        if behaviour == 'break':
            dst.glance.images.records[dest_id]['status'] = 'saving'
            raise http.CloudError('broke off', retriable=True)
        record = dst.glance.images.records[dest_id]
        data = DATA if behaviour == 'good' else b'image dat@'
        record.update(status='active', size=len(data),
                      checksum=hashlib.md5(data).hexdigest(),
                      os_hash_algo='sha512',
                      os_hash_value=hashlib.sha512(data).hexdigest())
        return transfer.Copied(len(data), None)

    monkeypatch.setattr(transfer, 'copy_data', copy_data)
    return calls


def test_record_put_back_to_queued_takes_the_retry(monkeypatch):
    copy, images, source = make_copy()
    calls = uploads(monkeypatch, 'break', 'good')
    with pytest.raises(http.CloudError):
        copy.run({})
    images.statuses[source['id']] = ['saving', 'queued']
    outcome = copy.run({})
    assert outcome.result == image_copy.MIGRATED
    assert calls == [source['id'], source['id']]
    assert outcome.dest_id == source['id']


def test_record_lost_in_saving_moves_to_a_new_id(monkeypatch):
    copy, images, source = make_copy()
    calls = uploads(monkeypatch, 'break', 'good')
    with pytest.raises(http.CloudError):
        copy.run({})
    outcome = copy.run({})
    assert outcome.result == image_copy.MIGRATED
    new_id = outcome.dest_id
    assert new_id != source['id'] and calls == [source['id'], new_id]
    assert images.records[new_id][model.SOURCE_ID_PROPERTY] == \
        source['id']
    assert images.records[source['id']]['status'] == 'saving'
    assert 'left saving by a lost upload' in outcome.detail
    assert source['id'] in outcome.detail
    assert len(images.records) == 2


def test_record_lost_in_saving_with_keep_ids_fails(monkeypatch):
    copy, images, source = make_copy(keep_ids=True)
    uploads(monkeypatch, 'break')
    with pytest.raises(http.CloudError):
        copy.run({})
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    assert '--keep-ids' in str(raised.value)
    assert not raised.value.retriable
    assert list(images.records) == [source['id']]


def test_someone_elses_upload_is_left_alone(monkeypatch):
    copy, images, source = make_copy()
    calls = uploads(monkeypatch)
    copy.dest_id = source['id']
    images.create(id=source['id'])
    images.statuses[source['id']] = ['saving']
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    assert 'another client' in str(raised.value)
    assert not raised.value.retriable
    assert calls == []


def test_stop_during_the_wait_interrupts(monkeypatch):
    monkeypatch.setattr(record, 'SAVING_GRACE', 30)
    copy, images, source = make_copy()
    uploads(monkeypatch, 'break')
    with pytest.raises(http.CloudError):
        copy.run({})
    stop = threading.Event()
    stop.set()
    with pytest.raises(cancel.Interrupted):
        copy.run({}, stop=stop)


@pytest.mark.parametrize('forbidden', [False, True])
def test_data_changed_on_the_way_in_is_deactivated(monkeypatch, forbidden):
    copy, images, source = make_copy()
    uploads(monkeypatch, 'corrupt')
    images.forbid_deactivate = forbidden
    with pytest.raises(http.CloudError) as raised:
        copy.run({})
    message = str(raised.value)
    assert not raised.value.retriable
    assert 'differs from the source' in message
    if forbidden:
        assert images.deactivated == []
        assert 'could not deactivate' in message
        assert 'do not use it' in message
    else:
        assert images.deactivated == [source['id']]
        assert 'deactivated destination image %s' % source['id'] in message
    # Visibility, members and protection were never applied.
    assert images.records[source['id']]['visibility'] == 'private'


def test_a_failed_stream_says_what_the_paths_say_may_block_it(monkeypatch):
    copy, images, source = make_copy()
    uploads(monkeypatch, 'break')
    images.statuses[source['id']] = ['queued']

    def hint(item, dest_id, journal):
        journal.stream_hint = 'an RBD image %s may block it' % dest_id
    copy.offloads = offload.Offloads(before_stream=hint)
    with pytest.raises(http.CloudError) as caught:
        copy.run({})
    assert str(caught.value) == 'broke off; an RBD image %s may block it' % (
        source['id'])
    assert caught.value.retriable
