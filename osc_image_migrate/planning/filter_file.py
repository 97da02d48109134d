# SPDX-License-Identifier: Apache-2.0
"""The CloudFerry-style YAML filter file, checked, read and merged.

CloudFerry users reuse their filter files unchanged; ``project_map``,
``orphans_to``, ``store_map``, ``secret_map``, ``drop_signatures``,
``reuse_identical`` and ``reuse_scope`` are our additions. Every problem
in a file is collected and reported at once.
"""

import datetime
import difflib
import logging
from typing import Any
from typing import Mapping
from typing import Sequence

import yaml

from osc_image_migrate.planning import reuse
from osc_image_migrate.planning import selection

LOG = logging.getLogger(__name__)


def _kind(value: object) -> str:
    names = {dict: 'a mapping', list: 'a list', str: 'a string',
             bool: 'a boolean', int: 'a number', float: 'a number',
             type(None): 'nothing'}
    return names.get(type(value), 'a %s' % type(value).__name__)


def _strings(value: object, path: str,
             problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append('%s: must be a list of strings, not %s'
                        % (path, _kind(value)))
        return []
    result: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append('%s[%d]: must be a string, not %s (quote it)'
                            % (path, index, _kind(item)))
        elif not item.strip():
            problems.append('%s[%d]: must not be empty' % (path, index))
        else:
            result.append(item)
    return result


def _boolean(value: object, path: str, problems: list[str]) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    problems.append('%s: must be true or false, not %s'
                    % (path, _kind(value)))
    return False


def _date(value: object, path: str,
          problems: list[str]) -> datetime.datetime | None:
    if value is None:
        return None
    moment = (None if isinstance(value, bool)
              else selection.as_datetime(value))
    if moment is None:
        problems.append('%s: not a date (%s); expected "YYYY-MM-DD" or an '
                        'ISO 8601 date and time' % (path, _kind(value)))
    return moment


def _mapping(value: object, path: str,
             problems: list[str]) -> list[tuple[Any, Any]]:
    """A mapping's items, or [] with a problem when it is something else."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    problems.append('%s: must be a mapping, not %s' % (path, _kind(value)))
    return []


def _name_map(value: object, path: str, problems: list[str],
              what: str = 'project') -> dict[str, str]:
    result: dict[str, str] = {}
    for key, target in _mapping(value, path, problems):
        where = '%s.%s' % (path, key)
        if not isinstance(key, str) or not key.strip():
            problems.append('%s: source %s must be a non-empty string'
                            % (where, what))
        elif not isinstance(target, str) or not target.strip():
            problems.append('%s: destination %s must be a non-empty '
                            'string, not %s' % (where, what, _kind(target)))
        else:
            result[key] = target
    return result


def _unknown(key: object, path: str, known: Sequence[str],
             problems: list[str]) -> None:
    where = '%s.%s' % (path, key) if path else str(key)
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = ' (did you mean %s?)' % close[0] if close else ''
    problems.append('%s: unknown key%s' % (where, hint))


_IMAGE_KEYS = ('images_list', 'exclude_images_list', 'date',
               'dont_include_public_and_members_from_other_tenants')
# CloudFerry sections about other resources: accepted so its files work
# unchanged, and ignored.
_IGNORED_SECTIONS = ('instances', 'volumes')
_TOP_KEYS = ('tenants', 'images', 'project_map',
             'orphans_to', 'store_map', 'secret_map',
             'drop_signatures', 'reuse_identical',
             'reuse_scope') + _IGNORED_SECTIONS


def _from_document(doc: object) -> selection.Selection:
    problems: list[str] = []
    chosen = selection.Selection()
    if not isinstance(doc, dict):
        raise selection.SelectionError(
            'the top level must be a mapping, not %s' % _kind(doc))
    for key, value in doc.items():
        if key == 'tenants':
            for sub, item in _mapping(value, 'tenants', problems):
                if sub == 'tenant_id':
                    chosen.projects = _strings(
                        item, 'tenants.tenant_id', problems)
                else:
                    _unknown(sub, 'tenants', ['tenant_id'], problems)
        elif key == 'images':
            found = dict(_mapping(value, 'images', problems))
            for sub in found:
                if sub not in _IMAGE_KEYS:
                    _unknown(sub, 'images', _IMAGE_KEYS, problems)
            chosen.images = _strings(
                found.get('images_list'), 'images.images_list', problems)
            chosen.exclude_images = _strings(
                found.get('exclude_images_list'),
                'images.exclude_images_list', problems)
            chosen.updated_since = _date(
                found.get('date'), 'images.date', problems)
            chosen.include_public_and_shared = not _boolean(
                found.get(_IMAGE_KEYS[3]), 'images.' + _IMAGE_KEYS[3],
                problems)
            if chosen.images and chosen.exclude_images:
                problems.append('images: give images_list or '
                                'exclude_images_list, not both')
        elif key == 'project_map':
            chosen.project_map = _name_map(value, 'project_map', problems)
        elif key == 'store_map':
            chosen.store_map = _name_map(value, 'store_map', problems,
                                         'store')
        elif key == 'secret_map':
            chosen.secret_map = _name_map(value, 'secret_map', problems,
                                          'secret')
        elif key == 'drop_signatures':
            chosen.drop_signatures = _boolean(value, 'drop_signatures',
                                              problems)
        elif key == 'reuse_identical':
            chosen.reuse_identical = _boolean(value, 'reuse_identical',
                                              problems)
        elif key == 'reuse_scope':
            if value in reuse.SCOPES:
                chosen.reuse_scope = value
            else:
                problems.append('reuse_scope: must be %s, not %r'
                                % (' or '.join(reuse.SCOPES), value))
        elif key == 'orphans_to':
            if isinstance(value, str) and value.strip():
                chosen.orphans_to = value
            else:
                problems.append('orphans_to: must be a destination project '
                                'name or ID, not %s' % _kind(value))
        elif key in _IGNORED_SECTIONS:
            LOG.info('Filter file section %s ignored: it is not about '
                     'images', key)
        else:
            _unknown(key, '', _TOP_KEYS, problems)
    if problems:
        raise selection.SelectionError(problems)
    return chosen


def load_filter_file(path: str) -> selection.Selection:
    """Read a CloudFerry-style YAML filter file into a ``Selection``.

    An empty file is an error rather than "everything": a selection of the
    whole cloud must be asked for explicitly.
    """
    try:
        with open(path, encoding='utf-8') as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise selection.SelectionError(
            'cannot read filter file %s: %s' % (path, e))
    try:
        doc = yaml.safe_load(text)
    except Exception as e:  # PyYAML also raises ValueError, RecursionError
        raise selection.SelectionError(
            'filter file %s is not valid YAML: %s' % (path, e))
    if doc is None:
        raise selection.SelectionError('filter file %s is empty' % path)
    return _from_document(doc)


def merge(cli: selection.Selection,
          from_file: selection.Selection | None) -> selection.Selection:
    """Combine command-line and filter-file selections.

    Lists add up. A date given twice must agree, and so must the project
    mappings. Turning public/shared images off in either place turns them
    off: the narrower selection wins.
    """
    from_file = from_file or selection.Selection()
    problems: list[str] = []
    since = cli.updated_since or from_file.updated_since
    if (cli.updated_since and from_file.updated_since
            and cli.updated_since != from_file.updated_since):
        problems.append('--updated-since %s differs from the filter file '
                        'date %s' % (cli.updated_since.isoformat(),
                                     from_file.updated_since.isoformat()))
    project_map = _merged_map('project', from_file.project_map,
                              cli.project_map, problems)
    store_map = _merged_map('store', from_file.store_map, cli.store_map,
                            problems)
    secret_map = _merged_map('secret', from_file.secret_map,
                             cli.secret_map, problems)
    if (cli.orphans_to and from_file.orphans_to
            and cli.orphans_to != from_file.orphans_to):
        problems.append('--orphans-to %s differs from the filter file '
                        'orphans_to %s' % (cli.orphans_to,
                                           from_file.orphans_to))
    if (cli.reuse_scope and from_file.reuse_scope
            and cli.reuse_scope != from_file.reuse_scope):
        problems.append('--reuse-scope %s differs from the filter file '
                        'reuse_scope %s' % (cli.reuse_scope,
                                            from_file.reuse_scope))
    if problems:
        raise selection.SelectionError(problems)
    return selection.Selection(
        images=selection.unique(cli.images, from_file.images),
        exclude_images=selection.unique(cli.exclude_images,
                                        from_file.exclude_images),
        projects=selection.unique(cli.projects, from_file.projects),
        updated_since=since,
        include_public_and_shared=(
            cli.include_public_and_shared is not False
            and from_file.include_public_and_shared is not False),
        project_map=project_map,
        orphans_to=cli.orphans_to or from_file.orphans_to,
        store_map=store_map,
        dest_store=cli.dest_store,
        secret_map=secret_map,
        drop_signatures=bool(cli.drop_signatures
                             or from_file.drop_signatures),
        data_path=cli.data_path,
        reuse_identical=bool(cli.reuse_identical
                             or from_file.reuse_identical),
        reuse_scope=cli.reuse_scope or from_file.reuse_scope)


def _merged_map(what: str, from_file: Mapping[str, str],
                cli: Mapping[str, str],
                problems: list[str]) -> dict[str, str]:
    """Two mappings made one; a key mapped two ways is a problem."""
    merged = dict(from_file)
    for source, dest in cli.items():
        if merged.get(source, dest) != dest:
            problems.append('%s %s is mapped to both %s and %s'
                            % (what, source, dest, merged[source]))
        merged[source] = dest
    return merged
