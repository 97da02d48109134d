# SPDX-License-Identifier: Apache-2.0
"""The documents of a bundle, from plain data."""

from osc_image_migrate.bundle import documents
from osc_image_migrate.bundle import export
from osc_image_migrate.bundle import layout
from tests.unit import fakes
from tests.unit.fakes.bundle import record

DEMO = fakes.project('demo', project_id='p1', domain='Sales')


def test_a_document_names_owner_and_members_and_keeps_the_record():
    image = record(b'x', visibility='shared')
    document = documents.metadata_document(
        image, [{'member_id': 'p1', 'status': 'accepted'},
                {'member_id': 'gone', 'status': 'pending'}],
        {'p1': DEMO}, {'cloud': 'src'}, None, at='T1')
    assert document['image'] is image
    assert document['owner'] == {'id': 'p1', 'name': 'demo',
                                 'domain': 'Sales'}
    assert document['members'] == [
        {'member_id': 'p1', 'id': 'p1', 'name': 'demo', 'domain': 'Sales',
         'status': 'accepted'},
        {'member_id': 'gone', 'id': 'gone', 'name': None, 'domain': None,
         'status': 'pending'}]
    assert (document['exported_at'], document['drift']) == ('T1', [])
    later = documents.metadata_document(
        image, [], {}, {}, None, document, {'name': {'old': 1, 'new': 2}},
        at='T2')
    assert (later['exported_at'], later['updated_at']) == ('T1', 'T2')
    assert later['drift'] == [{'at': 'T2', 'changes': {
        'name': {'old': 1, 'new': 2}}}]


def test_the_data_entry_says_what_it_was_verified_against():
    image = record(b'x')
    data = export.DataFile(1, 64, ('c0',), 'sha512',
                           image['os_hash_value'], {})
    entry = documents.data_entry('img-1', image, data)
    assert entry['verified_against'] == {
        'size': 1, 'os_hash_algo': 'sha512',
        'os_hash_value': image['os_hash_value']}
    assert (entry['file'], entry['chunk_sha256']) == (
        'images/img-1.data', ['c0'])
    legacy = dict(image, os_hash_algo=None, os_hash_value=None)
    read = export.DataFile(1, 64, ('c0',), None, None, {'md5': 'm'})
    assert documents.data_entry('img-1', legacy, read)[
        'verified_against'] == {'size': 1, 'read': {'md5': 'm'}}


def test_the_manifest_lists_each_document_with_its_sha256():
    manifest = documents.manifest({'cloud': 'src'}, {
        'img-1': ({'image': {'name': 'web'}, 'data': None}, b'{}')},
        at='T')
    assert (manifest['format'], manifest['version']) == (
        layout.FORMAT, layout.VERSION)
    assert manifest['images'] == {'img-1': {
        'name': 'web', 'metadata': 'images/img-1.json', 'data': None,
        'metadata_sha256': '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e'
                           '8310c060f61caaff8a'}}
