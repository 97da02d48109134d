# SPDX-License-Identifier: Apache-2.0
"""Which destination project owns, and which ones share, each copy.

A source project maps to the destination project of the same domain and
name, unless the user's project map says otherwise. Projects deleted from
the source Keystone (their images are orphans) have no name to go by: they
are mapped by ID, or all to one ``--orphans-to`` project; a deleted member
project is left out, since nobody can boot from it there.
"""

from typing import Mapping

from osc_image_migrate import model
from osc_image_migrate.planning import selection


class Unmapped(Exception):
    """No destination project; the message says why and the ways out."""


def _label(inv: model.Inventory, project_id: str) -> str:
    project = inv.projects.get(project_id)
    if project is None:
        return '%s (not in the project list)' % project_id
    return '%s (%s)' % (project.name, project_id)


def _unlisted(dest: model.Inventory) -> str:
    """Why a mapping may have failed when Keystone could not be listed."""
    if dest.projects_complete:
        return ''
    return (' (the destination credential may not list projects: map it '
            'with --map-project SRC=<dest project ID>)')


def dest_project(dest: model.Inventory, ref: str) -> model.Project | None:
    """The destination project a user named (ID or unique name), or None."""
    if ref in dest.projects:
        return dest.projects[ref]
    named = dest.projects_named(ref)
    if len(named) == 1:
        return named[0]
    if not named and not dest.projects_complete and (
            selection.looks_like_id(ref)):
        return model.Project(id=ref, name=ref)
    return None


def map_project(source: model.Inventory, dest: model.Inventory,
                project_id: str,
                project_map: Mapping[str, str]) -> model.Project | None:
    """The destination project for a source project, or None."""
    if project_id in project_map:
        return dest_project(dest, project_map[project_id])
    project = source.projects.get(project_id)
    if project is None:
        return None
    same = dest.projects_keyed(project.key)
    return same[0] if len(same) == 1 else None


def deleted(source: model.Inventory, project_id: str,
            project_map: Mapping[str, str]) -> bool:
    """True for a project that Keystone no longer lists (and not mapped)."""
    return (source.projects_complete and project_id not in source.projects
            and project_id not in project_map)


def _map_owner(source: model.Inventory, dest: model.Inventory, owner: str,
               project_map: Mapping[str, str],
               orphans_to: str | None) -> model.Project:
    target = map_project(source, dest, owner, project_map)
    if target is not None:
        return target
    reason = 'no destination project for owner %s%s' % (
        _label(source, owner), _unlisted(dest))
    if not deleted(source, owner, project_map):
        raise Unmapped(reason)
    if orphans_to is None:
        raise Unmapped(
            '%s: the project was deleted from the source; map it with '
            '--map-project %s=<dest project>, or give every such image to '
            'one project with --orphans-to <dest project>' % (reason, owner))
    target = dest_project(dest, orphans_to)
    if target is None:
        raise Unmapped('no destination project %r (--orphans-to)%s'
                       % (orphans_to, _unlisted(dest)))
    return target


def map_owner(source: model.Inventory, dest: model.Inventory,
              image: model.Record, project_map: Mapping[str, str],
              orphans_to: str | None = None) -> model.Project:
    """The image's destination owner; raises :class:`Unmapped` if none."""
    owner = image.get('owner')
    if not owner:
        raise Unmapped('source image has no owner')
    return _map_owner(source, dest, owner, project_map, orphans_to)


def owner_and_members(
        source: model.Inventory, dest: model.Inventory, image: model.Record,
        project_map: Mapping[str, str], orphans_to: str | None = None
) -> tuple[model.Project, list[model.Record], list[str]]:
    """The image's destination owner, members, and notes on members left out.

    Raises :class:`Unmapped` when the owner or a member that still exists
    has no destination project.
    """
    target = map_owner(source, dest, image, project_map, orphans_to)
    members: list[model.Record] = []
    if image.get('visibility') != 'shared':
        return target, members, []
    missing, gone = [], []
    for member in source.members.get(image['id'], []):
        member_id = member['member_id']
        mapped = map_project(source, dest, member_id, project_map)
        if mapped is not None:
            members.append({'member_id': mapped.id,
                            'status': member.get('status')})
        elif deleted(source, member_id, project_map):
            gone.append(member_id)
        else:
            missing.append(_label(source, member_id))
    if missing:
        raise Unmapped('no destination project for member %s%s'
                       % (', '.join(missing), _unlisted(dest)))
    return target, members, [
        'member %s left out: the project was deleted from the source'
        % member_id for member_id in gone]
