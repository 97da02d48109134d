# SPDX-License-Identifier: Apache-2.0
"""Images that depend on secrets or volumes, decided from data alone.

* Signed images (``img_signature*``): the destination Glance verifies the
  signature on upload against the certificate its key manager (Barbican,
  through castellan) holds under ``img_signature_certificate_uuid``.
  Measured on Glance 33: without the certificate it reads the whole body,
  answers 400 and leaves the record ``queued``. So the plan blocks a
  signed image before any byte moves unless the destination's catalog has
  a key manager that holds the (mapped) certificate, or the operator
  chose to copy it without its signature properties.
* Encrypted images (``cinder_encryption_key_id``): their data is useless
  without the key, which lives in the source's key manager. Blocked unless
  the key is mapped to one the destination holds (checked when its catalog
  has a key manager); a copy never gets the ``on_image_deletion`` policy
  for a key it shares with the source (mapped to itself): deleting the copy
  would delete the source's key.
* Volume-backed snapshots (``block_device_mapping`` naming Cinder
  snapshots): the plan names the snapshots; with a volume service in the
  destination's catalog they must exist there, otherwise the row needs the
  operator's attention.

The cloud reads (catalog, secrets, snapshots) are in cloud/dependencies.py.
"""

import dataclasses
import json
from typing import Any
from typing import Collection
from typing import Iterable
from typing import Mapping

from osc_image_migrate import model

SIGNATURE_KEYS = ('img_signature', 'img_signature_hash_method',
                  'img_signature_key_type', 'img_signature_certificate_uuid')
CERTIFICATE = 'img_signature_certificate_uuid'
ENCRYPTION_KEY = 'cinder_encryption_key_id'
DELETION_POLICY = 'cinder_encryption_key_deletion_policy'
DELETE_WITH_IMAGE = 'on_image_deletion'
KEEP_KEY = 'do_not_delete'
BLOCK_DEVICE_MAPPING = 'block_device_mapping'

KEY_MANAGER = 'key-manager'
VOLUME_SERVICES = ('block-storage', 'volumev3', 'volumev2', 'volume')


class Blocked(Exception):
    """The image cannot be copied as it is; the message says why."""


@dataclasses.dataclass
class Options:
    """The operator's choices about secrets.

    ``secret_map`` maps source secret IDs (certificates, keys) to
    destination ones; ``drop_signatures`` copies signed images without
    their signature properties. ``checked`` False: the destination keeps
    records as they are and boots nothing (a bundle), so there is nothing
    to check there (the checks come when the bundle is imported).
    """

    secret_map: dict[str, str] = dataclasses.field(default_factory=dict)
    drop_signatures: bool = False
    checked: bool = True


def is_signed(image: model.Record) -> bool:
    return any(image.get(key) for key in SIGNATURE_KEYS)


def snapshot_ids(image: model.Record) -> list[str]:
    """The Cinder snapshot IDs the image's block_device_mapping names."""
    text = image.get(BLOCK_DEVICE_MAPPING)
    if not text:
        return []
    try:
        mappings = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return []
    found: list[str] = []
    for mapping in mappings if isinstance(mappings, list) else []:
        snapshot = isinstance(mapping, dict) and mapping.get('snapshot_id')
        if snapshot and snapshot not in found:
            found.append(snapshot)
    return found


def secret_ids(image: model.Record, options: Options) -> list[str]:
    """The destination secrets to look up for ``image``."""
    wanted: list[str] = []
    if is_signed(image) and not options.drop_signatures:
        cert: Any = image.get(CERTIFICATE)
        if cert:
            wanted.append(options.secret_map.get(cert, cert))
    key = image.get(ENCRYPTION_KEY)
    if key and key in options.secret_map:
        wanted.append(options.secret_map[key])
    return wanted


def has_volume_service(services: Iterable[str] | None) -> bool:
    return services is not None and bool(set(services) & set(
        VOLUME_SERVICES))


def check(image: model.Record, services: Collection[str] | None,
          secrets: Mapping[str, bool], snapshots: Mapping[str, bool],
          options: Options) -> tuple[model.Record, list[str], list[str]]:
    """``(image as the copy gets it, notes, attention)``; may raise Blocked.

    ``services`` are the service types of the destination's catalog (None:
    unknown); ``secrets`` and ``snapshots`` map the IDs looked up in its
    key manager and volume service to whether they exist. ``attention``
    is a list of what the operator must check (empty: nothing).
    """
    copy = dict(image)
    notes: list[str] = []
    attention: list[str] = []
    if not options.checked:
        return copy, notes, attention
    key_manager = services is not None and KEY_MANAGER in services
    if is_signed(image):
        _signature(image, copy, notes, key_manager, secrets, options)
    if image.get(ENCRYPTION_KEY):
        _encryption(image, copy, notes, key_manager, secrets, options)
    needed = snapshot_ids(image)
    if needed:
        _snapshots(needed, notes, attention, services, snapshots)
    return copy, notes, attention


def _signature(image: model.Record, copy: model.Record, notes: list[str],
               key_manager: bool, secrets: Mapping[str, bool],
               options: Options) -> None:
    """A signed image: its certificate in the destination, or dropped."""
    cert: Any = image.get(CERTIFICATE)
    mapped = options.secret_map.get(cert, cert)
    if options.drop_signatures:
        for key in SIGNATURE_KEYS:
            copy.pop(key, None)
        notes.append('signed image copied without its signature '
                     'properties (--drop-signatures): the destination '
                     'does not verify it')
    elif not key_manager or not secrets.get(mapped):
        where = ('the destination\'s key manager does not hold it'
                 if key_manager else 'the destination\'s catalog has '
                 'no key-manager service')
        raise Blocked(
            'signed image: the destination Glance verifies its '
            'signature against certificate %s, and %s (Glance would '
            'refuse the upload); store the '
            'certificate in the destination\'s key manager and map it '
            '(--map-secret %s=<destination certificate ID>), or copy '
            'it without its signature properties (--drop-signatures)'
            % (mapped, where, cert))
    elif mapped != cert:
        copy[CERTIFICATE] = mapped
        notes.append('signature certificate %s mapped to %s'
                     % (cert, mapped))


def _encryption(image: model.Record, copy: model.Record, notes: list[str],
                key_manager: bool, secrets: Mapping[str, bool],
                options: Options) -> None:
    """An encrypted image: its key mapped to one the destination holds."""
    key = image[ENCRYPTION_KEY]
    if key not in options.secret_map:
        raise Blocked(
            'encrypted image: its data is useless without key %s of '
            'the source\'s key manager; map it to a key the '
            'destination\'s key manager holds (--map-secret '
            '%s=<destination key ID>)' % (key, key))
    mapped = options.secret_map[key]
    if key_manager and not secrets.get(mapped):
        raise Blocked('encrypted image: key %s (mapped from %s) is not '
                      'in the destination\'s key manager'
                      % (mapped, key))
    copy[ENCRYPTION_KEY] = mapped
    if not key_manager:
        notes.append('encryption key %s not checked: the destination\'s '
                     'catalog has no key-manager service' % mapped)
    if mapped == key and image.get(DELETION_POLICY) == DELETE_WITH_IMAGE:
        copy[DELETION_POLICY] = KEEP_KEY
        notes.append('encryption key %s is shared with the source: the '
                     'copy gets %s=%s, so deleting it never deletes the '
                     'source\'s key' % (key, DELETION_POLICY, KEEP_KEY))


def _snapshots(needed: list[str], notes: list[str], attention: list[str],
               services: Collection[str] | None,
               snapshots: Mapping[str, bool]) -> None:
    """A volume-backed snapshot: ``needed``, its Cinder snapshots, there."""
    if not has_volume_service(services):
        attention.append(
            'volume-backed snapshot: it boots only where Cinder '
            'snapshots %s exist, and the destination\'s catalog has no '
            'volume service to check' % ', '.join(needed))
        return
    missing = [s for s in needed if not snapshots.get(s)]
    if missing:
        raise Blocked(
            'volume-backed snapshot: it boots from Cinder snapshots '
            '%s, which the destination does not hold (or this '
            'credential cannot see: Cinder answers 404 for both); '
            'migrate them first, or plan with a credential of '
            'their project' % ', '.join(missing))
    notes.append('volume-backed snapshot: Cinder snapshots %s are '
                 'in the destination' % ', '.join(needed))
