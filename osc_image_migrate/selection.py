"""Which source images to copy, and why each one is in.

The user names images and projects (on the command line or in a CloudFerry
style filter file); this module checks what was asked, resolves names to
IDs against the source inventory and expands the selection with public,
shared and dependency images. Every problem is collected before one
:class:`SelectionError` is raised, so the user fixes them all in one go.
"""

import dataclasses
import datetime
import difflib
import logging
import re

import yaml

LOG = logging.getLogger(__name__)

ALL = 'all'
NAMED = 'named'
PUBLIC = 'public'
COMMUNITY = 'community'

_ID_RE = re.compile(r'[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}'
                    r'-[0-9a-fA-F]{12}')
_DEPENDENCY_KEYS = ('kernel_id', 'ramdisk_id')


class SelectionError(Exception):
    """Everything wrong with a selection, reported at once."""

    def __init__(self, problems):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = [' '.join(str(p).split()) for p in problems]
        super().__init__('; '.join(self.problems))

    def __str__(self):
        return '; '.join(self.problems)


@dataclasses.dataclass
class Selection:
    """What the user asked for, as typed (names or IDs)."""

    images: list = dataclasses.field(default_factory=list)
    exclude_images: list = dataclasses.field(default_factory=list)
    projects: list = dataclasses.field(default_factory=list)
    updated_since: datetime.datetime = None
    include_public_and_shared: bool = True
    project_map: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ResolvedSelection:
    """A :class:`Selection` with source refs turned into source IDs.

    ``project_map`` maps source project ID -> destination project ref; the
    destination side is resolved by planning, which reads that cloud.
    """

    image_ids: list = dataclasses.field(default_factory=list)
    exclude_ids: list = dataclasses.field(default_factory=list)
    project_ids: list = dataclasses.field(default_factory=list)
    updated_since: datetime.datetime = None
    include_public_and_shared: bool = True
    project_map: dict = dataclasses.field(default_factory=dict)


def looks_like_id(ref):
    """True for a Keystone-style ID: 32 hex digits, or a UUID."""
    return isinstance(ref, str) and bool(_ID_RE.fullmatch(ref))


# -- dates

def _as_datetime(value):
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


def parse_date(text):
    """Parse ``--updated-since``: an ISO date or date-time, naive is UTC."""
    moment = _as_datetime(text)
    if moment is None:
        raise SelectionError(
            'invalid date %r: expected YYYY-MM-DD or an ISO 8601 date and '
            'time' % (text,))
    return moment


# -- the filter file

def _kind(value):
    names = {dict: 'a mapping', list: 'a list', str: 'a string',
             bool: 'a boolean', int: 'a number', float: 'a number',
             type(None): 'nothing'}
    return names.get(type(value), 'a %s' % type(value).__name__)


def _strings(value, path, problems):
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append('%s: must be a list of strings, not %s'
                        % (path, _kind(value)))
        return []
    result = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append('%s[%d]: must be a string, not %s (quote it)'
                            % (path, index, _kind(item)))
        elif not item.strip():
            problems.append('%s[%d]: must not be empty' % (path, index))
        else:
            result.append(item)
    return result


def _boolean(value, path, problems):
    if value is None or isinstance(value, bool):
        return bool(value)
    problems.append('%s: must be true or false, not %s'
                    % (path, _kind(value)))
    return False


def _date(value, path, problems):
    if value is None:
        return None
    moment = None if isinstance(value, bool) else _as_datetime(value)
    if moment is None:
        problems.append('%s: not a date (%s); expected "YYYY-MM-DD" or an '
                        'ISO 8601 date and time' % (path, _kind(value)))
    return moment


def _mapping(value, path, problems):
    """A mapping's items, or [] with a problem when it is something else."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    problems.append('%s: must be a mapping, not %s' % (path, _kind(value)))
    return []


def _project_map(value, path, problems):
    result = {}
    for key, target in _mapping(value, path, problems):
        where = '%s.%s' % (path, key)
        if not isinstance(key, str) or not key.strip():
            problems.append('%s: source project must be a non-empty string'
                            % where)
        elif not isinstance(target, str) or not target.strip():
            problems.append('%s: destination project must be a non-empty '
                            'string, not %s' % (where, _kind(target)))
        else:
            result[key] = target
    return result


def _unknown(key, path, known, problems):
    where = '%s.%s' % (path, key) if path else str(key)
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = ' (did you mean %s?)' % close[0] if close else ''
    problems.append('%s: unknown key%s' % (where, hint))


_IMAGE_KEYS = ('images_list', 'exclude_images_list', 'date',
               'dont_include_public_and_members_from_other_tenants')
# CloudFerry sections about other resources: accepted so its files work
# unchanged, and ignored.
_IGNORED_SECTIONS = ('instances', 'volumes')
_TOP_KEYS = ('tenants', 'images', 'project_map') + _IGNORED_SECTIONS


def _from_document(doc):
    problems = []
    selection = Selection()
    if not isinstance(doc, dict):
        raise SelectionError('the top level must be a mapping, not %s'
                             % _kind(doc))
    for key, value in doc.items():
        if key == 'tenants':
            for sub, item in _mapping(value, 'tenants', problems):
                if sub == 'tenant_id':
                    selection.projects = _strings(
                        item, 'tenants.tenant_id', problems)
                else:
                    _unknown(sub, 'tenants', ['tenant_id'], problems)
        elif key == 'images':
            found = dict(_mapping(value, 'images', problems))
            for sub in found:
                if sub not in _IMAGE_KEYS:
                    _unknown(sub, 'images', _IMAGE_KEYS, problems)
            selection.images = _strings(
                found.get('images_list'), 'images.images_list', problems)
            selection.exclude_images = _strings(
                found.get('exclude_images_list'),
                'images.exclude_images_list', problems)
            selection.updated_since = _date(
                found.get('date'), 'images.date', problems)
            selection.include_public_and_shared = not _boolean(
                found.get(_IMAGE_KEYS[3]), 'images.' + _IMAGE_KEYS[3],
                problems)
            if selection.images and selection.exclude_images:
                problems.append('images: give images_list or '
                                'exclude_images_list, not both')
        elif key == 'project_map':
            selection.project_map = _project_map(
                value, 'project_map', problems)
        elif key in _IGNORED_SECTIONS:
            LOG.info('Filter file section %s ignored: it is not about '
                     'images', key)
        else:
            _unknown(key, '', _TOP_KEYS, problems)
    if problems:
        raise SelectionError(problems)
    return selection


def load_filter_file(path):
    """Read a CloudFerry-style YAML filter file into a :class:`Selection`.

    An empty file is an error rather than "everything": a selection of the
    whole cloud must be asked for explicitly.
    """
    try:
        with open(path, encoding='utf-8') as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise SelectionError('cannot read filter file %s: %s' % (path, e))
    try:
        doc = yaml.safe_load(text)
    except Exception as e:  # PyYAML also raises ValueError, RecursionError
        raise SelectionError('filter file %s is not valid YAML: %s'
                             % (path, e))
    if doc is None:
        raise SelectionError('filter file %s is empty' % path)
    return _from_document(doc)


# -- combining and resolving

def _unique(*lists):
    return list(dict.fromkeys(item for items in lists for item in items))


def merge(cli, from_file):
    """Combine command-line and filter-file selections.

    Lists add up. A date given twice must agree, and so must the project
    mappings. Turning public/shared images off in either place turns them
    off: the narrower selection wins.
    """
    from_file = from_file or Selection()
    problems = []
    since = cli.updated_since or from_file.updated_since
    if (cli.updated_since and from_file.updated_since
            and cli.updated_since != from_file.updated_since):
        problems.append('--updated-since %s differs from the filter file '
                        'date %s' % (cli.updated_since.isoformat(),
                                     from_file.updated_since.isoformat()))
    project_map = dict(from_file.project_map)
    for source, dest in cli.project_map.items():
        if project_map.get(source, dest) != dest:
            problems.append('project %s is mapped to both %s and %s'
                            % (source, dest, project_map[source]))
        project_map[source] = dest
    if problems:
        raise SelectionError(problems)
    return Selection(
        images=_unique(cli.images, from_file.images),
        exclude_images=_unique(cli.exclude_images, from_file.exclude_images),
        projects=_unique(cli.projects, from_file.projects),
        updated_since=since,
        include_public_and_shared=(
            cli.include_public_and_shared is not False
            and from_file.include_public_and_shared is not False),
        project_map=project_map)


def _lookup(ref, names, what, problems, accept_unknown=False):
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


def _unlisted_project(source):
    """Without a full project list, accept IDs the images prove or look."""
    if source.projects_complete:
        return None
    seen = {image.get('owner') for image in source.images.values()}
    for members in source.members.values():
        seen.update(member.get('member_id') for member in members)
    return lambda ref: looks_like_id(ref) or ref in seen


def resolve(selection, source):
    """Turn the selection's refs into source IDs, or raise every problem.

    When images are named together with projects, the projects restrict:
    each named image must be one the projects would select.
    """
    problems = []
    images = {i: image.get('name') for i, image in source.images.items()}
    projects = {i: project.name for i, project in source.projects.items()}
    unlisted = _unlisted_project(source)

    def ids(refs, names, what, accept=None):
        found = (_lookup(ref, names, what, problems, accept) for ref in refs)
        return _unique([i for i in found if i is not None])

    resolved = ResolvedSelection(
        image_ids=ids(selection.images, images, 'image'),
        exclude_ids=ids(selection.exclude_images, images, 'image'),
        project_ids=ids(selection.projects, projects, 'project', unlisted),
        updated_since=selection.updated_since,
        include_public_and_shared=(
            selection.include_public_and_shared is not False))
    for ref, dest in selection.project_map.items():
        project_id = _lookup(ref, projects, 'project', problems, unlisted)
        if project_id is not None:
            resolved.project_map[project_id] = dest
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


# -- selecting

def is_whole_cloud(resolved):
    """True when nothing narrows the selection to images or projects."""
    return not resolved.image_ids and not resolved.project_ids


def _project_name(source, project_id):
    project = source.projects.get(project_id)
    return project.name if project else project_id


def _project_reasons(source, image_id, image, resolved):
    selected = resolved.project_ids
    reasons = []
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


def _updated_since(image, since):
    updated = _as_datetime(image.get('updated_at'))
    if since.tzinfo is None:
        since = since.replace(tzinfo=datetime.timezone.utc)
    return updated is not None and updated >= since


def select(source, resolved):
    """Map each selected source image ID to the reasons it was selected.

    Exclusions and the date filter apply to what the user selected, not to
    dependencies: an image whose ``kernel_id``/``ramdisk_id`` names another
    image cannot boot without it, so that image is pulled in (reason
    ``dependency:<dependant id>``) even when it was excluded or is older.
    """
    chosen = {}
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
