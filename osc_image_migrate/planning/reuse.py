# SPDX-License-Identifier: Apache-2.0
"""Destination images that already hold a source image's data: reuse.

A new cloud is often seeded with the same public images as the old one
(the same Ubuntu or CirrOS file, uploaded by its own tooling under other
IDs). Copying the old cloud's image would make a duplicate. With
``--reuse-identical`` such a source image is planned as ``reuse``: it
stands for the destination image with the same data, nothing is written,
and the row's Dest ID is the mapping that instance migrations rewrite
their image references with.

Identical means the same size, ``os_hash_algo`` and ``os_hash_value``,
``disk_format`` and ``container_format``: a record without a multihash
never matches (md5 alone is not trusted to tell data apart). Candidates are
``active`` destination images that are not our own copies (they record a
source ID; those are planned by the usual rules). Only an image that would
otherwise be copied is reused: a copy or a record of our own keeps its
action. Pure functions of the inventories, like the rest of planning.
"""

import dataclasses
from typing import cast
from typing import Iterable
from typing import Mapping

from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import matching
from osc_image_migrate.planning import owners

# The scopes of --reuse-scope: public and community images on both sides
# (the default), or every source image matched with every destination
# image the destination credential can see.
PUBLIC = 'public'
VISIBLE = 'visible'
SCOPES = (PUBLIC, VISIBLE)
OPEN_VISIBILITIES = ('public', 'community')

# What tells two images' data apart: size, hash algorithm and value,
# disk and container format.
Identity = tuple[int, str, str, str, str]


def identity(image: model.Record) -> Identity | None:
    """The image's data identity; None when a field of it is missing."""
    fields = (image.get('size'), image.get('os_hash_algo'),
              image.get('os_hash_value'), image.get('disk_format'),
              image.get('container_format'))
    if any(value is None or value == '' for value in fields):
        return None
    return cast(Identity, fields)


def _in_scope(image: model.Record, scope: str) -> bool:
    return scope == VISIBLE or image.get('visibility') in OPEN_VISIBILITIES


def is_candidate(image: model.Record, scope: str) -> bool:
    """A destination image that may stand for identical source images."""
    return (image.get('status') == model.Status.ACTIVE
            and model.SOURCE_ID_PROPERTY not in image
            and _in_scope(image, scope))


def is_eligible(image: model.Record, scope: str) -> bool:
    """A source image that may be reused rather than copied.

    Only ``active`` ones with a data identity: a deactivated source image
    is copied deactivated as usual, not mapped to a usable image.
    """
    return (image.get('status') == model.Status.ACTIVE
            and _in_scope(image, scope) and identity(image) is not None)


@dataclasses.dataclass(frozen=True)
class Candidates:
    """The destination's candidate images, by data identity."""

    scope: str
    by_identity: Mapping[Identity, tuple[model.Record, ...]]

    @classmethod
    def of(cls, images: Iterable[model.Record], scope: str) -> 'Candidates':
        found: dict[Identity, list[model.Record]] = {}
        for image in images:
            key = identity(image)
            if key is not None and is_candidate(image, scope):
                found.setdefault(key, []).append(image)
        return cls(scope, {key: tuple(same) for key, same in found.items()})


@dataclasses.dataclass(frozen=True)
class Match:
    """The destination image a source image is reused as, and why.

    ``count``: how many destination images hold the data; ``owner``: the
    destination project the source image's owner maps to (None when it
    maps to none).
    """

    image: model.Record
    count: int
    owner: model.Project | None

    @property
    def dest_id(self) -> str:
        return str(self.image['id'])


def choose(same: Iterable[model.Record],
           owner_id: str | None) -> model.Record:
    """The one of several identical images to reuse, the same every run.

    The mapped owner's own first (never across owners when it can be
    helped), then those shown in listings before hidden ones, then the
    oldest, then the lowest ID.
    """
    return min(same, key=lambda image: (
        image.get('owner') != owner_id, bool(image.get('os_hidden')),
        image.get('created_at') or '', image['id']))


def find(image: model.Record, candidates: Candidates,
         owner: model.Project | None) -> Match | None:
    """The match of a source image among the candidates, or None."""
    key = identity(image)
    if key is None or not is_eligible(image, candidates.scope):
        return None
    same = candidates.by_identity.get(key)
    if not same:
        return None
    return Match(choose(same, owner.id if owner else None), len(same),
                 owner)


def _mapped_owner(source: model.Inventory, dest: model.Inventory,
                  image: model.Record, project_map: Mapping[str, str],
                  orphans_to: str | None) -> model.Project | None:
    try:
        return owners.map_owner(source, dest, image, project_map,
                                orphans_to)
    except owners.Unmapped:
        return None


def matches(source: model.Inventory, dest: model.Inventory,
            image_ids: Iterable[str],
            by_source_id: Mapping[str, model.Record], scope: str,
            project_map: Mapping[str, str] | None = None,
            orphans_to: str | None = None) -> dict[str, Match]:
    """Source ID -> Match of the selected images that are reused.

    An image is reused only when it would otherwise be copied: no
    destination record stands for it (its ID is free, or taken by other
    data), and it has a match. A copy of our own, a record to resume, or
    a conflict keeps its usual plan.
    """
    candidates = Candidates.of(dest.images.values(), scope)
    found: dict[str, Match] = {}
    if not candidates.by_identity:
        return found
    for image_id in image_ids:
        image = source.images.get(image_id)
        if image is None or not is_eligible(image, scope):
            continue
        try:
            _, verdict = matching.find(image, dest, by_source_id)
        except matching.Conflict:
            continue
        if verdict not in (None, comparison.OTHER):
            continue
        match = find(image, candidates, _mapped_owner(
            source, dest, image, project_map or {}, orphans_to))
        if match is not None:
            found[image_id] = match
    return found


def _project_label(dest: model.Inventory, project_id: str | None) -> str:
    project = dest.projects.get(project_id or '')
    return project.name if project else str(project_id)


def reason(match: Match, dest: model.Inventory,
           source_owner: str | None) -> str:
    """The row's reason: which image, whose, and how it was chosen.

    A match owned by another project than the source owner's counterpart
    says so: reuse never crosses owners silently.
    """
    image = match.image
    owner_id = image.get('owner')
    text = ('identical data (size, %s hash, formats) in destination image '
            '%s (%s, owned by %s): reused, nothing written'
            % (image.get('os_hash_algo'), match.dest_id,
               image.get('visibility'), _project_label(dest, owner_id)))
    if image.get('os_hidden'):
        text += '; that image is hidden from listings'
    if match.count > 1:
        text += ('; %d destination images hold this data: the oldest is '
                 'used (the owner\'s first, hidden ones last)'
                 % match.count)
    if match.owner is None:
        text += ('; another owner: source owner %s has no destination '
                 'project' % source_owner if source_owner else
                 '; another owner: the source image has no owner')
    elif match.owner.id != owner_id:
        text += ('; another owner: the source owner maps to %s'
                 % match.owner.name)
    return text
