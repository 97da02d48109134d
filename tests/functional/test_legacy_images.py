# SPDX-License-Identifier: Apache-2.0
"""The images real clouds hold (issue 17), on real servers.

Legacy records are made as upgrades leave them, by editing the source
Glance's ``images`` table (legacy_support.edit_images_table): no hash, no
size, md5 only. Signed, encrypted and volume-backed images are made through
the API (their properties are free-form; a signed image gets its signature
properties after its upload, so that the source Glance does not verify it).
"""

import json
import uuid

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate import model
from osc_image_migrate.planning import secrets
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures import legacy
from tests.functional.fixtures import proxy

MiB = 1024 * 1024
CERT = str(uuid.uuid4())
KEY = str(uuid.uuid4())
SNAP = str(uuid.uuid4())


def _add_properties(box, image_id, **props):
    http.patch_image(box.clients('src'), image_id, [
        {'op': 'add', 'path': '/' + k, 'value': v}
        for k, v in props.items()])
    return box.image('src', image_id)


@pytest.fixture(scope='module')
def legacy_images(sandbox):
    images = fs.Images(sandbox)
    made = {kind: images.make(kind, size) for kind, size in (
        ('nohash', 3 * MiB + 11), ('nosize', 2 * MiB + 5),
        ('md5only', MiB), ('signed', MiB), ('encrypted', MiB))}
    legacy.edit_images_table(sandbox, made['nohash']['id'], **legacy.NO_HASH)
    legacy.edit_images_table(sandbox, made['nosize']['id'], **legacy.NO_SIZE)
    legacy.edit_images_table(sandbox, made['md5only']['id'],
                             **legacy.MD5_ONLY)
    _add_properties(sandbox, made['signed']['id'], img_signature='c2ln',
                    img_signature_hash_method='SHA-256',
                    img_signature_key_type='RSA-PSS',
                    img_signature_certificate_uuid=CERT)
    _add_properties(sandbox, made['encrypted']['id'],
                    cinder_encryption_key_id=KEY,
                    cinder_encryption_key_deletion_policy='on_image_deletion')
    made['bdm'] = images.make('bdm', 0, block_device_mapping=json.dumps(
        [{'source_type': 'snapshot', 'destination_type': 'volume',
          'snapshot_id': SNAP, 'boot_index': 0}]), bdm_v2='True')
    for kind in made:
        made[kind] = sandbox.image('src', made[kind]['id'])
    assert made['nohash']['checksum'] is None
    assert made['nosize']['size'] is None
    assert made['md5only']['checksum'] and not made['md5only'].get(
        'os_hash_value')
    return {'made': made, 'data': images.data}


def _all_copies(box, made):
    return {kind: sorted(r['id'] for r in fs.copies(box, image['id']))
            for kind, image in made.items()}


def test_plan_names_what_each_record_lacks_or_needs(sandbox, legacy_images):
    made = legacy_images['made']
    rows, run = sandbox.migrate_json(
        'plan', '--dest-cloud', 'dst', '--detailed-exit-code',
        *fs.image_args(*made.values()), check=False)
    assert run.returncode == 4, run.stderr
    reason = {kind: rows[made[kind]['id']]['Reason'] for kind in made}
    action = {kind: rows[made[kind]['id']]['Action'] for kind in made}
    assert action == {'nohash': 'copy', 'nosize': 'copy', 'md5only': 'copy',
                      'signed': 'blocked', 'encrypted': 'blocked',
                      'bdm': 'metadata-only'}
    assert 'the source records no hash: verified against the size and ' \
        'hash of the bytes read from it' in reason['nohash']
    assert 'the source records no hash and no size (streamed to its end)' \
        in reason['nosize']
    assert 'records no' not in reason['md5only']
    assert CERT in reason['signed'] and '--drop-signatures' in \
        reason['signed'] and 'no key-manager service' in reason['signed']
    assert '--map-secret %s=' % KEY in reason['encrypted']
    assert SNAP in reason['bdm'] and 'no volume service' in reason['bdm']


def _behind_balancer(box):
    return bool((box.info or {}).get('deployment', {}).get('tls'))


def test_migrate_legacy_records_then_three_reruns_create_nothing(
        sandbox, legacy_images, tmp_path):
    made, data = legacy_images['made'], legacy_images['data']
    args = fs.image_args(*made.values())
    env = sandbox.env()
    if _behind_balancer(sandbox):
        # Glance serves a record without a size with "Content-Length:
        # None", which HAProxy refuses (502): the row says so, and the way
        # out it names (the source's Glance without the balancer) works.
        rows, run = fs.migrate(sandbox, *fs.image_args(made['nosize']))
        assert run.returncode == 1, run.stderr
        assert rows[made['nosize']['id']]['Result'] == 'failed'
        assert 'Content-Length: None' in \
            rows[made['nosize']['id']]['Detail']
        env = fs.bent_env(sandbox, tmp_path, src='http://127.0.0.1:%d' %
                          fs.glance_port(sandbox, 'src'))
    rows, run = fs.migrate(sandbox, *args, env=env)
    assert run.returncode == 1, run.stderr  # blocked rows fail the run
    result = {kind: rows[made[kind]['id']] for kind in made}
    for kind in ('nohash', 'nosize', 'md5only'):
        assert result[kind]['Result'] == 'migrated', result[kind]
        copy = sandbox.image('dst', result[kind]['Dest ID'])
        blob = data[made[kind]['id']]
        assert copy['status'] == 'active'
        assert copy['size'] == len(blob)
        assert fs.sha256(sandbox.image_data('dst', copy['id'])) == \
            fs.sha256(blob)
    for kind in ('nohash', 'nosize'):
        copy = sandbox.image('dst', result[kind]['Dest ID'])
        assert copy[model.READ_SIZE] == str(len(data[made[kind]['id']]))
        assert copy[model.READ_HASH_ALGO] == copy['os_hash_algo']
        assert copy[model.READ_HASH_VALUE] == copy['os_hash_value']
        assert 'verified against the bytes read' in result[kind]['Detail']
    assert model.READ_SIZE not in sandbox.image(
        'dst', result['md5only']['Dest ID'])
    # The signed image cost no upload and no record: blocked by the plan.
    assert result['signed']['Result'] == 'blocked'
    assert fs.uploads(made['signed']['id']) == 0
    assert fs.copies(sandbox, made['signed']['id']) == []
    assert result['encrypted']['Result'] == 'blocked'
    assert result['bdm']['Result'] == 'metadata-only'
    assert SNAP in result['bdm']['Detail']

    # The operator's ways out: no signature; the key shared (one key
    # manager for both clouds).
    args += ['--drop-signatures', '--map-secret', '%s=%s' % (KEY, KEY)]
    rows, run = fs.migrate(sandbox, *args, env=env)
    assert run.returncode == 0, run.stderr
    signed = sandbox.image('dst', rows[made['signed']['id']]['Dest ID'])
    assert not any(k in signed for k in secrets.SIGNATURE_KEYS)
    encrypted = sandbox.image('dst',
                              rows[made['encrypted']['id']]['Dest ID'])
    assert encrypted[secrets.ENCRYPTION_KEY] == KEY
    assert encrypted[secrets.DELETION_POLICY] == 'do_not_delete'
    before = _all_copies(sandbox, made)
    assert all(len(ids) == 1 for ids in before.values()), before
    for _ in range(3):
        rows, run = fs.migrate(sandbox, *args, env=env)
        assert run.returncode == 0, run.stderr
        assert {r['Result'] for r in rows.values()} == {'skipped'}, rows
        assert _all_copies(sandbox, made) == before


def test_a_failed_check_never_starts_a_row_of_copies(sandbox, tmp_path):
    """Bytes changed on the way in, twice: one new ID at most, then blocked.

    The first failure deactivates the copy under the source ID and the
    re-run tries once more under a new ID; when that copy fails its check
    too, re-runs block the image instead of making one more copy each.
    """
    images = fs.Images(sandbox)
    image = images.make('flip', 6 * MiB)
    legacy.edit_images_table(sandbox, image['id'], **legacy.NO_HASH)
    for attempt in range(2):
        flipper = proxy.FaultProxy(fs.glance_port(sandbox, 'dst'),
                                   mode='flip', after_bytes=2 * MiB + 1000,
                                   direction='request')
        env = fs.bent_env(sandbox, tmp_path, dst=flipper.url)
        try:
            rows, run = fs.migrate(sandbox, *fs.image_args(image), env=env)
        finally:
            flipper.close()
        assert flipper.faults == 1
        row = rows[image['id']]
        assert row['Result'] == 'failed', row
        assert 'differs from what was read from the source' in row['Detail']
        assert 'deactivated destination image' in row['Detail']
    found = fs.copies(sandbox, image['id'])
    assert len(found) == 2
    assert {r['status'] for r in found} == {'deactivated'}
    assert all(r.get(model.CHECK_FAILED) for r in found)
    for _ in range(3):
        rows, run = fs.migrate(sandbox, *fs.image_args(image))
        row = rows[image['id']]
        assert row['Result'] == 'blocked', row
        assert 'failed the check after its upload too' in row['Detail']
        assert sorted(r['id'] for r in fs.copies(sandbox, image['id'])) == \
            sorted(r['id'] for r in found)
