# SPDX-License-Identifier: Apache-2.0
"""Signed, encrypted and volume-backed images in the plan (issue 17)."""

import json

import pytest

from osc_image_migrate.planning import planner
from osc_image_migrate.planning import secrets
from tests.unit import fakes
from tests.unit.fakes import scene as tp
from tests.unit.fakes.secret_ids import CERT
from tests.unit.fakes.secret_ids import KEY
from tests.unit.fakes.secret_ids import NEW_CERT
from tests.unit.fakes.secret_ids import NEW_KEY

SIGNATURE = {'img_signature': 'c2ln', 'img_signature_hash_method': 'SHA-256',
             'img_signature_key_type': 'RSA-PSS',
             'img_signature_certificate_uuid': CERT}
SNAP = '0a1b2c3d-0000-4000-8000-000000000001'
BDM = json.dumps([{'source_type': 'snapshot', 'snapshot_id': SNAP,
                   'destination_type': 'volume', 'boot_index': 0}])


def _plan(image, services=None, secrets_=None, snapshots=None, **options):
    dest = tp.in_dst()
    dest.services = frozenset(services) if services is not None else None
    dest.secrets = secrets_ or {}
    dest.snapshots = snapshots or {}
    source = tp.in_src([image])
    (item,) = planner.make_plan(source, dest, {image['id']: ['all']},
                                secret_options=secrets.Options(**options))
    return item


def test_signed_image_without_a_key_manager_is_blocked():
    item = _plan(fakes.image('signed', tp.S_DEMO, **SIGNATURE),
                 services={'image', 'identity'})
    assert item.action == planner.BLOCKED
    assert item.reason == (
        'signed image: the destination Glance verifies its signature '
        'against certificate %s, and the destination\'s catalog has no '
        'key-manager service (Glance would refuse the upload); store the '
        'certificate in the destination\'s key manager '
        'and map it (--map-secret %s=<destination certificate ID>), or copy '
        'it without its signature properties (--drop-signatures)'
        % (CERT, CERT))


def test_signed_image_whose_certificate_is_missing_is_blocked():
    item = _plan(fakes.image('signed', tp.S_DEMO, **SIGNATURE),
                 services={'image', 'key-manager'}, secrets_={CERT: False})
    assert item.action == planner.BLOCKED
    assert 'destination\'s key manager does not hold it' in item.reason


def test_signed_image_with_its_certificate_is_copied_mapped():
    image = fakes.image('signed', tp.S_DEMO, **SIGNATURE)
    item = _plan(image, services={'key-manager'}, secrets_={CERT: True})
    assert item.action == planner.COPY
    assert item.source_image[secrets.CERTIFICATE] == CERT
    item = _plan(image, services={'key-manager'}, secrets_={NEW_CERT: True},
                 secret_map={CERT: NEW_CERT})
    assert item.action == planner.COPY
    assert item.source_image[secrets.CERTIFICATE] == NEW_CERT
    assert 'signature certificate %s mapped to %s' % (CERT, NEW_CERT) in \
        item.reason


def test_drop_signatures_is_the_operators_choice():
    image = fakes.image('signed', tp.S_DEMO, **SIGNATURE)
    item = _plan(image, services=set(), drop_signatures=True)
    assert item.action == planner.COPY
    assert not any(k in item.source_image for k in secrets.SIGNATURE_KEYS)
    assert '(--drop-signatures)' in item.reason
    assert secrets.secret_ids(image, secrets.Options(
        drop_signatures=True)) == []


def test_encrypted_image_is_blocked_until_its_key_is_mapped():
    image = fakes.image('enc', tp.S_DEMO, cinder_encryption_key_id=KEY)
    item = _plan(image, services={'key-manager'})
    assert item.action == planner.BLOCKED
    assert item.reason.startswith('encrypted image: its data is useless '
                                  'without key %s' % KEY)
    assert '--map-secret %s=<destination key ID>' % KEY in item.reason
    item = _plan(image, services={'key-manager'}, secrets_={NEW_KEY: False},
                 secret_map={KEY: NEW_KEY})
    assert item.action == planner.BLOCKED
    assert 'is not in the destination\'s key manager' in item.reason
    item = _plan(image, services={'key-manager'}, secrets_={NEW_KEY: True},
                 secret_map={KEY: NEW_KEY})
    assert item.action == planner.COPY
    assert item.source_image[secrets.ENCRYPTION_KEY] == NEW_KEY


def test_a_shared_key_never_gets_on_image_deletion():
    image = fakes.image('enc', tp.S_DEMO, cinder_encryption_key_id=KEY,
                        cinder_encryption_key_deletion_policy=(
                            'on_image_deletion'))
    item = _plan(image, services=set(), secret_map={KEY: KEY})
    assert item.action == planner.COPY
    assert item.source_image[secrets.DELETION_POLICY] == 'do_not_delete'
    assert 'not checked: the destination\'s catalog has no key-manager' in \
        item.reason
    assert 'deleting it never deletes the source\'s key' in item.reason
    # Its own key (mapped to another): the policy goes with it.
    item = _plan(image, services=set(), secret_map={KEY: NEW_KEY})
    assert item.source_image[secrets.DELETION_POLICY] == 'on_image_deletion'


def test_volume_snapshot_needs_attention_without_a_volume_service():
    image = fakes.image('bdm', tp.S_DEMO, data=None,
                        block_device_mapping=BDM)
    item = _plan(image, services={'image'})
    assert item.action == planner.METADATA_ONLY
    assert item.attention and SNAP in item.attention[0]
    assert SNAP in item.reason


@pytest.mark.parametrize('exists,action', [(True, planner.METADATA_ONLY),
                                           (False, planner.BLOCKED)])
def test_volume_snapshot_is_checked_with_a_volume_service(exists, action):
    image = fakes.image('bdm', tp.S_DEMO, data=None,
                        block_device_mapping=BDM)
    item = _plan(image, services={'volumev3'}, snapshots={SNAP: exists})
    assert item.action == action
    assert SNAP in item.reason
    assert item.attention == []


def test_snapshot_ids_survive_bad_mappings():
    assert secrets.snapshot_ids({}) == []
    assert secrets.snapshot_ids({'block_device_mapping': 'nonsense'}) == []
    assert secrets.snapshot_ids({'block_device_mapping': json.dumps(
        [{'snapshot_id': 'a'}, {'volume_id': 'v'}, {'snapshot_id': 'a'},
         'x'])}) == ['a']


def test_base_image_ref_follows_a_new_id():
    base = fakes.image('base', tp.S_DEMO)
    snap = fakes.image('snap', tp.S_DEMO, base_image_ref=base['id'])
    source = tp.in_src([base, snap])
    taken = fakes.image('other', tp.D_DEMO, data=b'other',
                        image_id=base['id'])
    plan = {i.source_id: i for i in tp.plan_all(source, tp.in_dst([taken]))}
    assert plan[base['id']].action == planner.NEW_ID
    assert plan[snap['id']].depends_on == [base['id']]
    from osc_image_migrate.planning import metadata
    body = metadata.create_body(snap, snap['id'], tp.D_DEMO.id,
                                {base['id']: 'new-base'})
    assert body['base_image_ref'] == 'new-base'


def test_a_missing_snapshot_may_be_one_the_credential_cannot_see():
    image = fakes.image('bdm', tp.S_DEMO, data=None,
                        block_device_mapping=BDM)
    item = _plan(image, services={'volumev3'}, snapshots={SNAP: False})
    assert 'does not hold (or this credential cannot see' in item.reason
