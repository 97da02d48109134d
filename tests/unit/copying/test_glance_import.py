# SPDX-License-Identifier: Apache-2.0
"""Waiting for a glance-direct import: done, failed for good, or retried."""

import itertools
import types

import pytest

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.copying import glance_import


class Records:
    """glanceclient's images.get, answering statuses in turn."""

    def __init__(self, *records):
        self.records = list(records)

    def get(self, image_id):
        return self.records.pop(0) if len(self.records) > 1 \
            else self.records[0]


def _waiting_dst(*records):
    return types.SimpleNamespace(glance=types.SimpleNamespace(
        images=Records(*records)))


@pytest.fixture
def quick_polls(monkeypatch):
    monkeypatch.setattr(cancel, 'POLL_SECONDS', 0)


def test_wait_returns_the_active_record(quick_polls):
    seen = []
    dst = _waiting_dst({'status': 'importing'}, {'status': 'active'})
    record = glance_import.wait(dst, 'i', on_wait=lambda r, s: seen.append(
        r['status']))
    assert record['status'] == 'active' and seen == ['importing']


def test_failed_stores_of_an_earlier_import_are_not_this_failure(
        quick_polls):
    dst = _waiting_dst(
        {'status': 'uploading', 'os_glance_failed_import': 'fs'},
        {'status': 'importing', 'os_glance_failed_import': ''},
        {'status': 'active', 'os_glance_failed_import': ''})
    assert glance_import.wait(dst, 'i')['status'] == 'active'


def test_import_back_to_queued_is_retriable(quick_polls):
    dst = _waiting_dst({'status': 'queued', 'os_glance_failed_import': 'fs'})
    with pytest.raises(glance_import.ImportFailed) as raised:
        glance_import.wait(dst, 'i')
    assert raised.value.retriable
    assert 'queued again' in str(raised.value)


def test_import_left_importing_fails_for_good(quick_polls):
    dst = _waiting_dst({'status': 'importing',
                        'os_glance_failed_import': 'fs',
                        'os_glance_import_task': 't1'})
    with pytest.raises(glance_import.ImportFailed) as raised:
        glance_import.wait(dst, 'i')
    assert not raised.value.retriable
    assert 'stores fs (task t1)' in str(raised.value)


def test_import_that_takes_too_long_times_out(quick_polls):
    ticks = itertools.count(0, 10)
    dst = _waiting_dst({'status': 'importing'})
    with pytest.raises(http.CloudError) as raised:
        glance_import.wait(dst, 'i', timeout=25,
                           clock=lambda: next(ticks))
    assert 'not finished after 30 s' in str(raised.value)


def test_a_queued_record_still_pending_is_waited_for(quick_polls):
    dst = _waiting_dst({'status': 'queued', 'os_glance_import_task': 't'},
                       {'status': 'importing'}, {'status': 'active'})
    assert glance_import.wait(
        dst, 'i', pending=lambda r: bool(r.get('os_glance_import_task'))
    )['status'] == 'active'
