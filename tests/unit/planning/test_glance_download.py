# SPDX-License-Identifier: Apache-2.0
"""Which images glance-download can take, and what the import says."""

from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import glance_download
from tests.unit import fakes
from tests.unit.fakes import legacy

SETTING = glance_download.Setting('RegionOne')
IMAGE = fakes.image('cirros', fakes.project('demo'))


def test_not_in_play_without_a_setting():
    assert glance_download.offer(None, IMAGE) is None
    assert glance_download.offer(SETTING, None) is None


def test_an_active_image_with_size_and_hash_is_taken():
    assert glance_download.offer(SETTING, IMAGE) == data_paths.PathOffer(
        data_paths.GLANCE_DOWNLOAD)


def test_an_md5_only_record_can_be_verified():
    image = dict(IMAGE, os_hash_algo=None, os_hash_value=None)
    assert glance_download.refusal(image) is None


def test_a_record_without_hash_or_size_cannot_be_verified():
    assert glance_download.refusal(legacy.legacy()) == (
        'the source records no hash to verify the copy against')
    assert glance_download.refusal(legacy.legacy(size=False)) == (
        'the source records no hash and no size to verify the copy '
        'against')


def test_glance_downloads_only_active_images():
    offer = glance_download.offer(SETTING, dict(IMAGE, status='deactivated'))
    assert offer.refusal == ('the source image is deactivated; Glance '
                             'downloads active images only')


def test_a_destination_without_the_method_refuses_every_image():
    setting = glance_download.Setting('RegionOne', offered=False)
    assert 'enabled_import_methods' in glance_download.offer(
        setting, IMAGE).refusal


def test_the_import_names_the_source_image_region_and_interface():
    assert glance_download.import_body(
        glance_download.Setting('One', 'internal'), 'id-1', 'fast') == {
        'method': {'name': 'glance-download', 'glance_image_id': 'id-1',
                   'glance_region': 'One',
                   'glance_service_interface': 'internal'},
        'stores': ['fast']}
    assert 'stores' not in glance_download.import_body(SETTING, 'id-1')


def test_queued_without_the_import_lock_is_a_failed_import():
    assert glance_download.failed_import({'status': 'queued'})
    assert not glance_download.failed_import(
        {'status': 'queued', 'os_glance_import_task': 't'})
    assert not glance_download.failed_import({'status': 'importing'})


def test_queued_with_the_import_lock_has_not_started_yet():
    assert glance_download.import_pending(
        {'status': 'queued', 'os_glance_import_task': 't'})
    assert not glance_download.import_pending({'status': 'queued'})
    assert not glance_download.import_pending(
        {'status': 'importing', 'os_glance_import_task': 't'})


def test_the_failed_task_of_this_request_is_told():
    tasks = [{'request_id': 'other', 'status': 'failure', 'message': 'x'},
             {'request_id': 'req', 'status': 'failure',
              'message': 'Task failed due to Internal Error'}]
    assert glance_download.task_message(tasks, 'req') == (
        'Task failed due to Internal Error')
    assert glance_download.task_message(tasks[:1], 'req') is None
    assert glance_download.task_message(
        [{'status': 'success', 'message': ''}], None) is None


def test_reasons_for_the_row():
    assert glance_download.refused_reason(403, 'not allowed') == (
        'the destination refused the import (HTTP 403: not allowed)')
    assert glance_download.refused_reason(400, None) == (
        'the destination refused the import (HTTP 400)')
    reason = glance_download.failed_reason('Internal Error.')
    assert reason.startswith('the destination\'s glance-download failed '
                             'and left the record queued (its task: '
                             'Internal Error)')
    assert '[import_filtering_opts]' in reason
