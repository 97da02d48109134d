# SPDX-License-Identifier: Apache-2.0
"""What a copy of an image sends to the destination Glance, and when.

A copy happens in two steps. The record is created first (``create_body``):
private, unprotected, so that nobody boots from it or depends on it before
its data is verified. The rest (``final_state``: visibility, protection,
members, deactivation) is applied only after verification. Comparing the
final state with what the destination holds tells a finished copy from one
that a run left half done.
"""

from typing import Any
from typing import Iterable
from typing import Mapping

from osc_image_migrate import model
from osc_image_migrate.planning import conversion

# Never sent: Glance computes or owns them (it answers 403/400), or they are
# applied separately (owner at creation, the rest after verification).
READ_ONLY = frozenset((
    'id', 'checksum', 'size', 'virtual_size', 'status', 'created_at',
    'updated_at', 'os_hash_algo', 'os_hash_value', 'file', 'schema', 'self',
    'direct_url', 'locations', 'location', 'deleted', 'deleted_at', 'stores',
    'owner', 'visibility', 'protected', 'members',
))
READ_ONLY_PREFIX = 'os_glance_'

# Core fields sent at creation with their own (non-string) types.
CORE = ('name', 'disk_format', 'container_format', 'min_disk', 'min_ram',
        'tags', 'os_hidden')
# Properties that hold other source image IDs: they point at the copies
# (new IDs followed), and the images they name are copied first when
# selected. Only kernel and ramdisk are selected with the image
# (selection.py): an instance snapshot's base image need not be.
DEPENDENCY_KEYS = ('kernel_id', 'ramdisk_id', 'base_image_ref')
FINAL_STATE_KEYS = ('visibility', 'protected', 'os_hidden', 'members',
                    'deactivated')


def is_read_only(key: str) -> bool:
    """True for a field that must never be sent to Glance."""
    return key in READ_ONLY or key.startswith(READ_ONLY_PREFIX)


def custom_properties(image: model.Record) -> dict[str, str]:
    """The image's free-form string properties, as Glance stores them.

    The tool's own properties are not among them: they describe a copy,
    not the image, so they are never copied, compared or removed.
    """
    return {key: value for key, value in image.items()
            if isinstance(value, str) and not is_read_only(key)
            and key not in CORE and key not in DEPENDENCY_KEYS
            and key != model.SOURCE_ID_PROPERTY
            and key not in conversion.OWN_PROPERTIES}


def create_body(source_image: model.Record, dest_id: str | None,
                dest_owner: str | None,
                id_map: Mapping[str, str] | None = None,
                record_source_id: bool = False) -> model.Record:
    """The JSON body of ``POST /v2/images`` for a copy of ``source_image``.

    ``id_map`` maps source image IDs to destination IDs, so ``kernel_id``
    and ``ramdisk_id`` follow a dependency that got a new ID. A source
    record's own ``SOURCE_ID_PROPERTY`` (it was itself a copy) is not
    carried over: on the destination it would name an image of another
    cloud. It is set, to this source's ID, when ``record_source_id`` says
    the copy gets a new ID.
    """
    id_map = id_map or {}
    body: model.Record = {'id': dest_id}
    for key in CORE:
        if source_image.get(key) is not None:
            body[key] = source_image[key]
    body['tags'] = list(source_image.get('tags') or [])
    body.update(custom_properties(source_image))
    for key in DEPENDENCY_KEYS:
        ref = source_image.get(key)
        if ref:
            body[key] = id_map.get(ref, ref)
    if record_source_id:
        body[model.SOURCE_ID_PROPERTY] = source_image['id']
    body['owner'] = dest_owner
    body['visibility'] = 'private'
    return body


def _members(
        members: Iterable[model.Record] | None) -> list[tuple[str, str]]:
    pairs = {(m['member_id'], m.get('status') or 'pending')
             for m in members or []}
    return sorted(pairs, key=lambda pair: tuple(map(str, pair)))


def final_state(image: model.Record,
                members: Iterable[model.Record] | None) -> dict[str, Any]:
    """The state applied after verification, for an image with ``members``.

    ``members`` are given in the destination's terms (mapped project IDs).
    Only ``shared`` images have members. Applied to a destination image and
    its current members it gives that image's present state, to compare.
    """
    visibility = image.get('visibility')
    return {
        'visibility': visibility,
        'protected': bool(image.get('protected')),
        'os_hidden': bool(image.get('os_hidden')),
        'members': [{'member_id': member_id, 'status': status}
                    for member_id, status in _members(members)]
        if visibility == 'shared' else [],
        'deactivated': image.get('status') == model.Status.DEACTIVATED,
    }


def final_state_differs(dest_image: model.Record,
                        dest_members_now: Iterable[model.Record] | None,
                        wanted: Mapping[str, Any]) -> list[str]:
    """Names of the final-state fields where the destination differs.

    Empty when the destination image already is as ``wanted``.
    """
    now = final_state(dest_image, dest_members_now)
    return [key for key in FINAL_STATE_KEYS if now[key] != wanted[key]]
