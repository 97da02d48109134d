# SPDX-License-Identifier: Apache-2.0
"""The glance-download path: import, wait, or hand back to the stream."""

import threading
import types

import pytest

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.copying import glance_download
from osc_image_migrate.copying import journal
from osc_image_migrate.copying import offload
from osc_image_migrate.planning import glance_download as rules
from osc_image_migrate.planning import planner
from tests.unit.fakes import copying as fake
from tests.unit.fakes import regions as fake_regions

SETTING = rules.Setting('RegionOne')


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr(cancel, 'POLL_SECONDS', 0)


class ImportAPI(fake.FakeImageAPI):
    """The raw image API with the import call."""

    def __init__(self, images, status=202, text=''):
        super().__init__(images)
        self.status = status
        self.text = text
        self.posts = []

    def post(self, url, json=None, **kwargs):
        self.posts.append((url, json, kwargs))
        return types.SimpleNamespace(
            status_code=self.status, text=self.text,
            headers={'x-openstack-request-id': 'req-1'})


def setup(status=202, text='', statuses=(), **record):
    images = fake.FakeImages()
    images.records['d'] = dict({'id': 'd', 'status': 'queued'}, **record)
    images.statuses['d'] = list(statuses)
    api = ImportAPI(images, status, text)
    dst = types.SimpleNamespace(
        name='dst', glance=types.SimpleNamespace(images=images), image=api)
    item = planner.PlanItem('s', action=planner.COPY, dest_store='fast',
                            data_path='glance-download')
    return glance_download.GlanceDownload(dst, SETTING), api, item


def test_imports_and_waits_until_active_with_no_byte_through_here():
    path, api, item = setup(statuses=['queued', 'importing', 'active'],
                            os_glance_import_task='t')
    notes = journal.CopyJournal()
    assert path.send(item, 'd', notes, threading.Event()) == 0
    url, body, kwargs = api.posts[0]
    assert url == '/v2/images/d/import'
    assert body == rules.import_body(SETTING, 's', 'fast')
    assert kwargs['allow_reauth'] is False
    assert notes.import_request == 'req-1'
    assert notes.notes == ['imported with glance-download from RegionOne']


@pytest.mark.parametrize('status', [400, 403, 404])
def test_a_refused_request_hands_the_image_to_the_stream(status):
    path, api, item = setup(status, text='{"message": "no, thanks"}')
    with pytest.raises(offload.PathRefused) as e:
        path.send(item, 'd', journal.CopyJournal(), None)
    assert str(e.value).startswith(
        'the destination refused the import (HTTP %d' % status)


def test_a_busy_record_is_an_error_not_a_refusal():
    path, api, item = setup(409)
    with pytest.raises(http.CloudError) as e:
        path.send(item, 'd', journal.CopyJournal(), None)
    assert not isinstance(e.value, offload.PathRefused)
    assert e.value.status == 409


def test_a_failed_download_left_queued_is_a_refusal_with_the_task():
    path, api, item = setup(statuses=['importing', 'queued'],
                            os_glance_import_task=None)
    api.tasks['d'] = [{'request_id': 'req-1', 'status': 'failure',
                       'message': 'Task failed due to Internal Error'}]
    with pytest.raises(offload.PathRefused) as e:
        path.send(item, 'd', journal.CopyJournal(), threading.Event())
    assert '(its task: Task failed due to Internal Error)' in str(e.value)


def test_an_import_left_importing_with_failed_stores_is_final():
    path, api, item = setup(statuses=['importing'],
                            os_glance_failed_import='fast',
                            os_glance_import_task='t')
    with pytest.raises(http.CloudError) as e:
        path.send(item, 'd', journal.CopyJournal(), None)
    assert not isinstance(e.value, offload.PathRefused)
    assert not e.value.retriable


def test_an_import_that_does_not_end_times_out():
    path, api, item = setup(os_glance_import_task='t', status=202)
    path.dst.glance.images.records['d']['status'] = 'importing'
    clock = iter([0, 5, 11])
    path.timeout, path.clock = 10, lambda: next(clock)
    with pytest.raises(http.CloudError) as e:
        path.send(item, 'd', journal.CopyJournal(), threading.Event())
    assert 'import of d not finished after 11 s (status importing)' in (
        str(e.value))


def test_offered_between_regions_of_one_keystone_only():
    src = fake_regions.clients('src', region='RegionOne')
    paths = glance_download.for_clouds(src, fake_regions.clients())
    assert list(paths) == ['glance-download']
    assert glance_download.for_clouds(src, fake_regions.clients(
        methods=())) == {}
    assert glance_download.for_clouds(None, fake_regions.clients()) == {}
