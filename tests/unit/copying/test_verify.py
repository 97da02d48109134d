# SPDX-License-Identifier: Apache-2.0
"""The verify step: the source's data, an accepted conversion, or contained."""

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.copying import glance_import
from osc_image_migrate.copying import verify
from osc_image_migrate.planning import conversion
from tests.unit.fakes import copying as copy_fakes


@pytest.fixture
def copied():
    """A destination record holding the source's data."""
    copy, images, source = copy_fakes.make_copy()
    images.create(id=source['id'])
    images.records[source['id']].update(
        {k: source[k] for k in ('size', 'checksum', 'os_hash_algo',
                                'os_hash_value')}, status='active')
    return copy.dst, images, source


def converted(monkeypatch, problems, record=None):
    """Make glance_import.check_conversion find ``problems``."""
    seen = []

    def check_conversion(dst, dest_id, source, request_id=None, stop=None):
        seen.append(request_id)
        return record or dst.glance.images.get(dest_id), problems

    monkeypatch.setattr(glance_import, 'check_conversion', check_conversion)
    return seen


def test_the_sources_data_needs_no_note(copied):
    dst, images, source = copied
    assert verify.check_copy(dst, source['id'], source) == ''
    assert images.deactivated == []


def test_record_not_active_is_retried_not_contained(copied):
    dst, images, source = copied
    images.records[source['id']]['status'] = 'saving'
    with pytest.raises(http.CloudError) as raised:
        verify.check_copy(dst, source['id'], source)
    assert raised.value.retriable
    assert str(raised.value) == 'destination image is saving after upload'
    assert images.deactivated == []


def test_other_data_is_deactivated(copied, monkeypatch):
    dst, images, source = copied
    images.records[source['id']]['os_hash_value'] = 'f' * 128
    seen = converted(monkeypatch, None)
    with pytest.raises(http.CloudError) as raised:
        verify.check_copy(dst, source['id'], source, 'req-1')
    assert seen == ['req-1']
    assert not raised.value.retriable
    assert 'changed on the way in; deactivated destination image %s' % (
        source['id']) in str(raised.value)
    assert images.deactivated == [source['id']]


def test_accepted_conversion_is_marked_and_noted(copied, monkeypatch):
    dst, images, source = copied
    images.records[source['id']].update(disk_format='qcow2', size=3)
    converted(monkeypatch, [])
    note = verify.check_copy(dst, source['id'], source)
    assert note == 'converted raw -> qcow2 by the destination'
    assert images.records[source['id']][conversion.CONVERTED] == \
        'raw -> qcow2'
    assert images.deactivated == []


def test_conversion_without_its_evidence_is_contained(copied, monkeypatch):
    dst, images, source = copied
    images.records[source['id']].update(disk_format='qcow2', size=3,
                                        virtual_size=9)
    converted(monkeypatch, ['no import task', 'size differs'])
    with pytest.raises(http.CloudError) as raised:
        verify.check_copy(dst, source['id'], source)
    assert str(raised.value).startswith(
        'destination image is raw -> qcow2 (size 3, virtual size 9), and '
        'the evidence of a conversion of the verified data is missing: no '
        'import task; size differs; deactivated destination image')
    assert conversion.CONVERTED not in images.records[source['id']]


def test_a_check_that_fails_is_raised_not_contained(copied, monkeypatch):
    dst, images, source = copied
    images.records[source['id']]['size'] = 3

    def check_conversion(*args):
        raise http.status_error('destination task list', 503)

    monkeypatch.setattr(glance_import, 'check_conversion', check_conversion)
    with pytest.raises(http.CloudError) as raised:
        verify.check_copy(dst, source['id'], source)
    assert raised.value.retriable and raised.value.status == 503
    assert images.deactivated == []


def test_copy_that_cannot_be_deactivated_says_do_not_use_it(copied):
    dst, images, source = copied
    images.forbid_deactivate = True
    error = verify.contain(dst, source['id'], verify.DataMismatch('odd'))
    assert str(error) == ('odd; could not deactivate destination image %s '
                          '(HTTP 403): do not use it' % source['id'])
    assert not error.retriable and images.deactivated == []
