# SPDX-License-Identifier: Apache-2.0
"""The record step: create or find the record, settle a lost upload's."""

import threading
import time
import types

import pytest

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.copying import record
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from tests.unit import fakes
from tests.unit.fakes import copying as copy_fakes


class Images(copy_fakes.FakeImages):
    """Glance's answers to a create: 409 for a taken ID, or ``refuse``."""

    def __init__(self):
        super().__init__()
        self.taken = set()     # IDs that answer 409 (burned: no record)
        self.refuse = None     # a status every create answers
        self.bodies = []

    def create(self, **body):
        self.bodies.append(body)
        if self.refuse:
            raise http.CloudError('refused', status=self.refuse,
                                  details='{"message": "no"}')
        if body.get('id') in set(self.records) | self.taken:
            raise http.CloudError('conflict', status=409)
        return super().create(**body)

    def get(self, image_id):
        if image_id not in self.records:
            raise http.CloudError('not found', status=404)
        return super().get(image_id)


def destination():
    images = Images()
    return types.SimpleNamespace(glance=types.SimpleNamespace(
        images=images)), images


def plan_item(action=planner.COPY):
    source = fakes.image('x', fakes.project('demo'), data=copy_fakes.DATA)
    return planner.PlanItem(
        source_id=source['id'], name='x', action=action,
        dest_id=source['id'], dest_owner=copy_fakes.OWNER.id,
        source_image=source)


# -- create

def test_record_reserves_the_source_id_and_names_its_source():
    dst, images = destination()
    item = plan_item()
    created = record.create(dst, item, {})
    assert created == record.Created(item.source_id)
    body = images.bodies[0]
    assert body['id'] == item.source_id
    assert body[model.SOURCE_ID_PROPERTY] == item.source_id


def test_new_id_action_never_asks_for_the_source_id():
    dst, images = destination()
    item = plan_item(planner.NEW_ID)
    created = record.create(dst, item, {})
    assert created.dest_id != item.source_id and not created.note
    # The body's None ID is left out, not sent.
    assert 'id' not in images.bodies[0]
    assert images.records[created.dest_id][model.SOURCE_ID_PROPERTY] == \
        item.source_id


def test_id_holding_the_data_already_is_found_not_created():
    dst, images = destination()
    item = plan_item()
    images.records[item.source_id] = dict(item.source_image)
    created = record.create(dst, item, {})
    assert created == record.Created(existing_id=item.source_id)
    assert list(images.records) == [item.source_id]


@pytest.mark.parametrize('burned', [False, True])
def test_id_taken_by_other_data_moves_to_a_new_id(burned):
    dst, images = destination()
    item = plan_item()
    if burned:
        images.taken.add(item.source_id)
    else:
        images.records[item.source_id] = dict(item.source_image, size=1)
    created = record.create(dst, item, {})
    assert created.dest_id not in (None, item.source_id)
    assert created.existing_id is None
    assert created.note == ('source ID taken in the destination; new ID '
                            'recorded with property %s'
                            % model.SOURCE_ID_PROPERTY)


def test_id_taken_with_keep_ids_creates_nothing():
    dst, images = destination()
    item = plan_item()
    images.taken.add(item.source_id)
    with pytest.raises(http.CloudError) as raised:
        record.create(dst, item, {}, keep_ids=True)
    assert '--keep-ids' in str(raised.value)
    assert images.records == {} and len(images.bodies) == 1


def test_refused_create_is_explained():
    dst, images = destination()
    images.refuse = 403
    with pytest.raises(http.CloudError) as raised:
        record.create(dst, plan_item(), {})
    # Glance's own reason (issue 17) follows the explanation.
    assert str(raised.value) == ('destination create: HTTP 403, '
                                 'permission denied: no')
    assert raised.value.status == 403 and not raised.value.retriable


# -- a record a broken upload left saving

@pytest.fixture
def quick_grace(monkeypatch):
    monkeypatch.setattr(record, 'SAVING_GRACE', 0.05)
    monkeypatch.setattr(cancel, 'POLL_SECONDS', 0.01)


def saving_record(*statuses):
    dst, images = destination()
    images.create(id='d')
    images.statuses['d'] = list(statuses)
    return dst, images


@pytest.mark.parametrize('status', ['queued', 'uploading', 'active'])
def test_status_without_an_upload_is_read_once(status):
    dst, images = saving_record(status, 'saving')
    assert record.settled_status(dst, 'd') == status
    assert images.statuses['d'] == ['saving']


def test_saving_without_our_broken_upload_is_another_clients():
    dst, images = saving_record('saving', 'queued')
    with pytest.raises(http.CloudError) as raised:
        record.settled_status(dst, 'd')
    assert 'being uploaded by another client' in str(raised.value)
    assert not raised.value.retriable


def test_saving_after_our_broken_upload_is_waited_out(quick_grace):
    dst, images = saving_record('saving', 'saving', 'queued')
    assert record.settled_status(dst, 'd', time.monotonic()) == 'queued'


def test_saving_past_the_grace_is_lost(quick_grace):
    dst, images = saving_record('saving')
    assert record.settled_status(dst, 'd', time.monotonic()) == 'saving'


def test_stop_interrupts_the_wait(monkeypatch):
    monkeypatch.setattr(record, 'SAVING_GRACE', 30)
    dst, images = saving_record('saving')
    stop = threading.Event()
    stop.set()
    with pytest.raises(cancel.Interrupted):
        record.settled_status(dst, 'd', time.monotonic(), stop)


def test_lost_record_is_replaced_never_deleted():
    dst, images = saving_record('saving')
    item = plan_item()
    new_id, note = record.replace_lost(dst, item, {}, 'd')
    assert set(images.records) == {'d', new_id}
    assert images.records[new_id][model.SOURCE_ID_PROPERTY] == \
        item.source_id
    assert note.startswith('destination image d was left saving by a '
                           'lost upload')
    assert note.endswith('d holds no data and may be deleted')


def test_lost_record_with_keep_ids_is_reported():
    dst, images = saving_record('saving')
    with pytest.raises(http.CloudError) as raised:
        record.replace_lost(dst, plan_item(), {}, 'd', keep_ids=True)
    assert 'stuck in saving' in str(raised.value)
    assert '--keep-ids forbids a new ID' in str(raised.value)
    assert list(images.records) == ['d']
