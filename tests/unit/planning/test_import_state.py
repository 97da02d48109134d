# SPDX-License-Identifier: Apache-2.0
"""What a destination record says about its glance-direct import."""

from osc_image_migrate.planning import import_state


def test_staged_needs_the_size_glance_sets_at_the_end_of_a_stage():
    assert import_state.is_staged({'status': 'uploading', 'size': 5}, 5)
    assert not import_state.is_staged({'status': 'uploading', 'size': None}, 5)
    assert not import_state.is_staged({'status': 'uploading', 'size': 4}, 5)
    assert not import_state.is_staged({'status': 'queued', 'size': 5}, 5)


def test_failed_import_left_importing_is_dead():
    record = {'status': 'importing', 'os_glance_failed_import': 'fs,slow'}
    assert import_state.failed_stores(record) == ['fs', 'slow']
    assert import_state.is_dead(record)
    assert not import_state.is_dead({'status': 'importing',
                                     'os_glance_failed_import': ''})
    assert not import_state.is_dead({'status': 'queued',
                                     'os_glance_failed_import': 'fs'})
