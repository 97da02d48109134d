# SPDX-License-Identifier: Apache-2.0
"""Signed images between two clouds that each have a real Barbican.

Both clouds run Barbican from PyPI (``GlanceVariant(barbican=True)``, on
the ``services_box`` these tests share with the encrypted-image and
volume-snapshot ones) and their Glance verifies ``img_signature*`` with
it. The source image is signed here (RSA-PSS, SHA-256) with a self-signed
certificate stored in the source's Barbican, and the source Glance
verifies it on upload. In the destination Barbican the certificate can
only get a new UUID (Barbican chooses them), so the plan blocks the image
until ``--map-secret`` names it, or until the operator drops the
signature.
"""

import os

import pytest

from osc_image_migrate.planning import secrets
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import signing

MiB = 1024 * 1024
# Fits in one write: sent before the server has parsed the headers.
SMALL_BODY = 4096
VERIFIED = 'Successfully verified signature for image %s'
OCTETS = {'Content-Type': 'application/octet-stream'}


@pytest.fixture(scope='module')
def signed(services_box):
    """Two source images signed with one certificate of the source."""
    box = services_box
    signer = signing.Signer()
    certificate = signing.store_certificate(box, 'src', signer.pem)
    images = {}
    for kind, size in (('mapped', 3 * MiB + 7), ('dropped', MiB + 3)):
        data = os.urandom(size)
        images[kind] = box.create_image(
            'src', data=data, name='signed-%s' % kind,
            owner=box.project_id('src', 'demo'), visibility='private',
            **signer.properties(data, certificate))
        images[kind]['data'] = data
    return {'box': box, 'signer': signer, 'certificate': certificate,
            'images': images}


def test_source_glance_verified_the_signature(signed):
    box = signed['box']
    for image in signed['images'].values():
        assert image['status'] == 'active'
        assert image['img_signature_certificate_uuid'] == \
            signed['certificate']
        assert signing.log_lines(box, 'src-glance', VERIFIED % image['id'])


def test_certificate_missing_in_destination_blocks_before_any_byte(signed):
    box, image = signed['box'], signed['images']['mapped']
    rows, run = box.migrate_json('plan', '--dest-cloud', 'dst',
                                 '--image', image['id'], check=False)
    row = rows[image['id']]
    assert row['Action'] == 'blocked', row
    assert signed['certificate'] in row['Reason']
    assert 'the destination\'s key manager does not hold it' in row['Reason']
    assert '--map-secret %s=' % signed['certificate'] in row['Reason']

    rows, run = fs.migrate(box, '--image', image['id'])
    assert run.returncode == 1, run.stderr
    assert rows[image['id']]['Result'] == 'blocked'
    assert fs.uploads(image['id'], box=box) == 0
    assert fs.copies(box, image['id']) == []


def test_mapped_certificate_migrates_and_destination_verifies(signed):
    box, image = signed['box'], signed['images']['mapped']
    mapped = signing.store_certificate(box, 'dst', signed['signer'].pem)
    assert mapped != signed['certificate']
    args = ['--image', image['id'], '--map-secret',
            '%s=%s' % (signed['certificate'], mapped)]
    rows, run = box.migrate_json('plan', '--dest-cloud', 'dst', *args)
    assert rows[image['id']]['Action'] == 'copy', rows
    assert 'signature certificate %s mapped to %s' % (
        signed['certificate'], mapped) in rows[image['id']]['Reason']

    rows, run = fs.migrate(box, *args)
    assert run.returncode == 0, run.stderr
    row = rows[image['id']]
    assert row['Result'] == 'migrated', row
    copy = box.image('dst', row['Dest ID'])
    assert copy['status'] == 'active'
    assert copy['img_signature_certificate_uuid'] == mapped
    assert copy['img_signature'] == image['img_signature']
    assert (copy['os_hash_algo'], copy['os_hash_value']) == (
        'sha512', image['os_hash_value'])
    assert fs.sha256(box.image_data('dst', copy['id'])) == \
        fs.sha256(image['data'])
    assert signing.log_lines(box, 'dst-glance', VERIFIED % copy['id'])
    assert fs.uploads(copy['id'], box=box) == 1

    for _ in range(2):
        rows, run = fs.migrate(box, *args)
        assert run.returncode == 0, run.stderr
        assert rows[image['id']]['Result'] == 'skipped', rows
    assert [r['id'] for r in fs.copies(box, image['id'])] == [copy['id']]
    assert fs.uploads(copy['id'], box=box) == 1


def test_dropped_signature_is_copied_unverified(signed):
    box, image = signed['box'], signed['images']['dropped']
    args = ['--image', image['id'], '--drop-signatures']
    rows, run = fs.migrate(box, *args)
    assert run.returncode == 0, run.stderr
    row = rows[image['id']]
    assert row['Result'] == 'migrated', row
    copy = box.image('dst', row['Dest ID'])
    assert copy['status'] == 'active'
    assert not any(key in copy for key in secrets.SIGNATURE_KEYS)
    assert copy['os_hash_value'] == image['os_hash_value']
    assert not signing.log_lines(box, 'dst-glance', VERIFIED % copy['id'])
    rows, run = fs.migrate(box, *args)
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Result'] == 'skipped', rows


def _counted(data, sent):
    """``data`` in 1 MiB pieces, counting in ``sent`` what was read."""
    for offset in range(0, len(data), MiB):
        piece = data[offset:offset + MiB]
        yield piece
        sent[0] += len(piece)


def test_what_glance_does_with_a_signature_it_refuses(signed):
    """Glance 33's answers, as docs/secrets-and-volumes.rst reports them.

    A wrong signature: the whole body is read, then HTTP 400, the stored
    bytes are deleted and the record is back to ``queued`` (its ID is not
    burned). A certificate the key manager lacks: HTTP 400 before the body
    is read (a client still sending a large body sees the connection
    closed instead), the record stays ``queued``.
    """
    box, signer = signed['box'], signed['signer']
    dst = box.clients('dst')
    certificate = signing.store_certificate(box, 'dst', signer.pem)
    data = os.urandom(8 * MiB)
    wrong = bytearray(signer.sign(data))
    wrong[-1] ^= 1
    image = box.create_image('dst', **signer.properties(
        data, certificate, bytes(wrong)))
    sent = [0]
    response = dst.image.put('/v2/images/%s/file' % image['id'],
                             data=_counted(data, sent), headers=OCTETS,
                             raise_exc=False)
    assert response.status_code == 400
    assert 'Signature verification failed for image %s' % image['id'] in \
        response.text
    assert sent[0] == len(data)
    after = box.image('dst', image['id'])
    assert after['status'] == 'queued' and after['size'] is None
    store = os.path.join(box.state_dir, 'dst', 'glance', 'images')
    assert image['id'] not in os.listdir(store)

    # Glance answers this one before reading the body and closes: a body
    # small enough to be sent whole before it answers keeps that answer
    # readable (a larger one races the close, as the docstring says).
    small = data[:SMALL_BODY]
    missing = box.create_image('dst', **signer.properties(
        small, signed['certificate']))
    response = dst.image.put('/v2/images/%s/file' % missing['id'],
                             data=small, headers=OCTETS, raise_exc=False)
    assert response.status_code == 400
    assert 'Certificate not found with ID: %s' % signed['certificate'] in \
        response.text
    assert box.image('dst', missing['id'])['status'] == 'queued'
