# SPDX-License-Identifier: Apache-2.0
"""Encrypted images between two clouds that each have a real Barbican.

Both run on the ``services_box`` (fixtures/variants.py), which the
signed-image and volume-snapshot tests share.

Cinder uploads an encrypted volume as an image whose data is ciphertext
and whose ``cinder_encryption_key_id`` names the key in the source's key
manager. The key cannot follow the image (Barbican chooses a new UUID, and
the source's key never leaves it here), so the plan blocks the image until
``--map-secret`` names a key that the destination's Barbican holds; the
copy then carries the mapped key ID.
"""

import os
import uuid

import pytest

from osc_image_migrate.planning import secrets
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import signing

MiB = 1024 * 1024


@pytest.fixture(scope='module')
def encrypted(services_box):
    """A source image encrypted with a key of the source's Barbican."""
    box = services_box
    key = signing.store_key(box, 'src')
    data = os.urandom(2 * MiB + 5)
    image = box.create_image(
        'src', data=data, name='encrypted-volume',
        owner=box.project_id('src', 'demo'), visibility='private',
        **{secrets.ENCRYPTION_KEY: key,
           secrets.DELETION_POLICY: secrets.DELETE_WITH_IMAGE})
    image['data'] = data
    return {'box': box, 'key': key, 'image': image}


def test_unmapped_key_blocks_before_any_byte(encrypted):
    box, image, key = encrypted['box'], encrypted['image'], encrypted['key']
    rows, run = box.migrate_json('plan', '--dest-cloud', 'dst',
                                 '--image', image['id'], check=False)
    row = rows[image['id']]
    assert row['Action'] == 'blocked', row
    assert key in row['Reason']
    assert '--map-secret %s=' % key in row['Reason']

    rows, run = fs.migrate(box, '--image', image['id'])
    assert run.returncode == 1, run.stderr
    assert rows[image['id']]['Result'] == 'blocked'
    assert fs.uploads(image['id'], box=box) == 0
    assert fs.copies(box, image['id']) == []


def test_key_missing_in_destination_blocks(encrypted):
    box, image, key = encrypted['box'], encrypted['image'], encrypted['key']
    absent = str(uuid.uuid4())
    rows, run = fs.migrate(box, '--image', image['id'],
                           '--map-secret', '%s=%s' % (key, absent))
    assert run.returncode == 1, run.stderr
    row = rows[image['id']]
    assert row['Result'] == 'blocked', row
    assert 'key %s (mapped from %s) is not in the destination\'s key ' \
        'manager' % (absent, key) in row['Detail']
    assert fs.copies(box, image['id']) == []


def test_mapped_key_migrates_and_reruns_skip(encrypted):
    box, image, key = encrypted['box'], encrypted['image'], encrypted['key']
    mapped = signing.store_key(box, 'dst')
    args = ['--image', image['id'], '--map-secret', '%s=%s' % (key, mapped)]
    rows, run = fs.migrate(box, *args)
    assert run.returncode == 0, run.stderr
    row = rows[image['id']]
    assert row['Result'] == 'migrated', row
    copy = box.image('dst', row['Dest ID'])
    assert copy['status'] == 'active'
    assert copy[secrets.ENCRYPTION_KEY] == mapped
    # The destination's own key: deleting the copy may delete it.
    assert copy[secrets.DELETION_POLICY] == secrets.DELETE_WITH_IMAGE
    assert fs.sha256(box.image_data('dst', copy['id'])) == \
        fs.sha256(image['data'])
    assert fs.uploads(copy['id'], box=box) == 1

    for _ in range(2):
        rows, run = fs.migrate(box, *args)
        assert run.returncode == 0, run.stderr
        assert rows[image['id']]['Result'] == 'skipped', rows
    assert [r['id'] for r in fs.copies(box, image['id'])] == [copy['id']]
    assert fs.uploads(copy['id'], box=box) == 1
