# SPDX-License-Identifier: Apache-2.0
"""Which source images to copy, and why each one is in.

The user names images and projects (on the command line or in a CloudFerry
style filter file); this module checks what was asked, resolves names to
IDs against the source inventory and expands the selection with public,
shared and dependency images. Every problem is collected before one
:class:`SelectionError` is raised, so the user fixes them all in one go.
"""

import dataclasses
import datetime
import re
from typing import Callable
from typing import Iterable
from typing import Literal
from typing import Mapping
from typing import TypeVar

from osc_image_migrate import model
from osc_image_migrate.planning import data_paths


ALL = 'all'
NAMED = 'named'
PUBLIC = 'public'
COMMUNITY = 'community'

_ID_RE = re.compile(r'[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}'
                    r'-[0-9a-fA-F]{12}')
_DEPENDENCY_KEYS = ('kernel_id', 'ramdisk_id')

_T = TypeVar('_T')
# Whether an unknown project ref may still be accepted (by its look).
_Accept = Callable[[str], bool]


class SelectionError(Exception):
    """Everything wrong with a selection, reported at once."""

    def __init__(self, problems: str | Iterable[object]) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = [' '.join(str(p).split()) for p in problems]
        super().__init__('; '.join(self.problems))

    def __str__(self) -> str:
        return '; '.join(self.problems)


@dataclasses.dataclass
class Selection:
    """What the user asked for, as typed (names or IDs)."""

    images: list[str] = dataclasses.field(default_factory=list)
    exclude_images: list[str] = dataclasses.field(default_factory=list)
    projects: list[str] = dataclasses.field(default_factory=list)
    updated_since: datetime.datetime | None = None
    include_public_and_shared: bool = True
    project_map: dict[str, str] = dataclasses.field(default_factory=dict)
    orphans_to: str | None = None
    store_map: dict[str, str] = dataclasses.field(default_factory=dict)
    dest_store: str | None = None
    secret_map: dict[str, str] = dataclasses.field(default_factory=dict)
    drop_signatures: bool = False
    # --data-path: ``auto`` or a path named (planning/data_paths.py).
    data_path: str = data_paths.AUTO
    # --reuse-identical and --reuse-scope (planning/reuse.py).
    reuse_identical: bool = False
    reuse_scope: str | None = None


@dataclasses.dataclass
class ResolvedSelection:
    """A :class:`Selection` with source refs turned into source IDs.

    ``project_map`` maps source project ID -> destination project ref; the
    destination side is resolved by planning, which reads that cloud, and
    so is ``orphans_to``. ``unlisted_map`` holds the mapped project IDs
    that the source Keystone does not list, until :func:`check_unlisted`
    has seen them as an image's owner or member.
    """

    image_ids: list[str] = dataclasses.field(default_factory=list)
    exclude_ids: list[str] = dataclasses.field(default_factory=list)
    project_ids: list[str] = dataclasses.field(default_factory=list)
    updated_since: datetime.datetime | None = None
    include_public_and_shared: bool = True
    project_map: dict[str, str] = dataclasses.field(default_factory=dict)
    orphans_to: str | None = None
    unlisted_map: list[str] = dataclasses.field(default_factory=list)
    store_map: dict[str, str] = dataclasses.field(default_factory=dict)
    dest_store: str | None = None
    secret_map: dict[str, str] = dataclasses.field(default_factory=dict)
    drop_signatures: bool = False
    # --data-path: ``auto`` or a path named (planning/data_paths.py).
    data_path: str = data_paths.AUTO
    reuse_identical: bool = False
    reuse_scope: str | None = None


def looks_like_id(ref: object) -> bool:
    """True for a Keystone-style ID: 32 hex digits, or a UUID."""
    return isinstance(ref, str) and bool(_ID_RE.fullmatch(ref))


# -- dates

def as_datetime(value: object) -> datetime.datetime | None:
    """A date, datetime or ISO string as an aware datetime; None if not."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text[-1:] in ('Z', 'z'):
            text = text[:-1] + '+00:00'
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def parse_date(text: str) -> datetime.datetime:
    """Parse ``--updated-since``: an ISO date or date-time, naive is UTC."""
    moment = as_datetime(text)
    if moment is None:
        raise SelectionError(
            'invalid date %r: expected YYYY-MM-DD or an ISO 8601 date and '
            'time' % (text,))
    return moment


# -- combining and resolving

def unique(*lists: Iterable[_T]) -> list[_T]:
    """The items of the lists, each once, in order."""
    return list(dict.fromkeys(item for items in lists for item in items))


def _lookup(ref: str, names: Mapping[str, str | None], what: str,
            problems: list[str],
            accept_unknown: _Accept | Literal[False] | None = False
            ) -> str | None:
    """The ID ``ref`` names in ``names`` (ID -> name), or None + a problem.

    An ID wins over a name; a name must be unique.
    """
    if ref in names:
        return ref
    named = sorted(i for i, name in names.items() if name == ref)
    if len(named) == 1:
        return named[0]
    if named:
        problems.append('%s name %r is ambiguous (%s): use an ID'
                        % (what, ref, ', '.join(named)))
    elif accept_unknown and accept_unknown(ref):
        return ref
    else:
        problems.append('no %s %r in the source' % (what, ref))
    return None


def _unlisted_project(source: model.Inventory) -> _Accept | None:
    """Without a full project list, accept IDs the images prove or look."""
    if source.projects_complete:
        return None
    seen = {image.get('owner') for image in source.images.values()}
    for members in source.members.values():
        seen.update(member.get('member_id') for member in members)
    return lambda ref: looks_like_id(ref) or ref in seen


def resolve(selection: Selection,
            source: model.Inventory) -> ResolvedSelection:
    """Turn the selection's refs into source IDs, or raise every problem.

    When images are named together with projects, the projects restrict:
    each named image must be one the projects would select.
    """
    problems: list[str] = []
    images = {i: image.get('name') for i, image in source.images.items()}
    projects = {i: project.name for i, project in source.projects.items()}
    unlisted = _unlisted_project(source)

    def ids(refs: Iterable[str], names: Mapping[str, str | None], what: str,
            accept: _Accept | None = None) -> list[str]:
        found = (_lookup(ref, names, what, problems, accept) for ref in refs)
        return unique([i for i in found if i is not None])

    resolved = ResolvedSelection(
        image_ids=ids(selection.images, images, 'image'),
        exclude_ids=ids(selection.exclude_images, images, 'image'),
        project_ids=ids(selection.projects, projects, 'project', unlisted),
        updated_since=selection.updated_since,
        include_public_and_shared=(
            selection.include_public_and_shared is not False),
        orphans_to=selection.orphans_to,
        store_map=dict(selection.store_map),
        dest_store=selection.dest_store,
        secret_map=dict(selection.secret_map),
        drop_signatures=bool(selection.drop_signatures),
        data_path=selection.data_path,
        reuse_identical=bool(selection.reuse_identical),
        reuse_scope=selection.reuse_scope)
    owners = {image.get('owner') for image in source.images.values()}

    def deleted(ref: str) -> bool:
        # A project deleted from Keystone is known by ID only: an owner's,
        # or a member's (checked once members are read).
        return ref in owners or looks_like_id(ref) or (
            unlisted is not None and unlisted(ref))

    for ref, dest in selection.project_map.items():
        project_id = _lookup(ref, projects, 'project', problems, deleted)
        if project_id is not None:
            resolved.project_map[project_id] = dest
            if project_id not in projects and project_id not in owners:
                resolved.unlisted_map.append(project_id)
    if resolved.project_ids:
        for image_id in resolved.image_ids:
            image = source.images[image_id]
            if not _project_reasons(source, image_id, image, resolved):
                problems.append(
                    'image %s (%s) is not selected by the given projects'
                    % (image.get('name'), image_id))
    if problems:
        raise SelectionError(problems)
    return resolved


def check_unlisted(source: model.Inventory,
                   resolved: ResolvedSelection) -> None:
    """Raise for mapped project IDs that nothing in the source refers to.

    Run once the selected images' members are read: a project ID that
    Keystone does not list can be mapped when it is a member.
    """
    if not source.projects_complete:
        return
    seen = {member.get('member_id') for members in source.members.values()
            for member in members}
    problems = ['no project %r in the source (neither in Keystone nor an '
                'owner or member of a selected image)' % ref
                for ref in resolved.unlisted_map if ref not in seen]
    if problems:
        raise SelectionError(problems)


# -- selecting

def is_whole_cloud(resolved: ResolvedSelection) -> bool:
    """True when nothing narrows the selection to images or projects."""
    return not resolved.image_ids and not resolved.project_ids


def _project_name(source: model.Inventory, project_id: str) -> str:
    project = source.projects.get(project_id)
    return project.name if project else project_id


def _project_reasons(source: model.Inventory, image_id: str,
                     image: model.Record,
                     resolved: ResolvedSelection) -> list[str]:
    selected = resolved.project_ids
    reasons: list[str] = []
    if image.get('owner') in selected:
        reasons.append('project:' + _project_name(source, image['owner']))
    if not resolved.include_public_and_shared:
        return reasons
    visibility = image.get('visibility')
    if visibility in (PUBLIC, COMMUNITY):
        reasons.append(visibility)
    elif visibility == 'shared':
        for member in source.members.get(image_id, []):
            if member.get('member_id') in selected:
                reasons.append('member:' + _project_name(
                    source, member['member_id']))
    return reasons


def _updated_since(image: model.Record, since: datetime.datetime) -> bool:
    updated = as_datetime(image.get('updated_at'))
    if since.tzinfo is None:
        since = since.replace(tzinfo=datetime.timezone.utc)
    return updated is not None and updated >= since


def select(source: model.Inventory,
           resolved: ResolvedSelection) -> dict[str, list[str]]:
    """Map each selected source image ID to the reasons it was selected.

    Exclusions and the date filter apply to what the user selected, not to
    dependencies: an image whose ``kernel_id``/``ramdisk_id`` names another
    image cannot boot without it, so that image is pulled in (reason
    ``dependency:<dependant id>``) even when it was excluded or is older.
    """
    chosen: dict[str, list[str]] = {}
    named = set(resolved.image_ids)
    for image_id, image in source.images.items():
        if named:
            if image_id in named:
                chosen[image_id] = [NAMED]
                if resolved.project_ids:
                    chosen[image_id] += _project_reasons(
                        source, image_id, image, resolved)
        elif resolved.project_ids:
            reasons = _project_reasons(source, image_id, image, resolved)
            if reasons:
                chosen[image_id] = reasons
        else:
            chosen[image_id] = [ALL]
    for image_id in resolved.exclude_ids:
        chosen.pop(image_id, None)
    if resolved.updated_since is not None:
        chosen = {i: r for i, r in chosen.items()
                  if _updated_since(source.images[i], resolved.updated_since)}
    pending = list(chosen)
    while pending:
        image_id = pending.pop()
        for key in _DEPENDENCY_KEYS:
            dep = source.images[image_id].get(key)
            if dep in source.images and dep != image_id:
                if dep not in chosen:
                    chosen[dep] = []
                    pending.append(dep)
                reason = 'dependency:' + image_id
                if reason not in chosen[dep]:
                    chosen[dep].append(reason)
    return {i: chosen[i] for i in source.images if i in chosen}
