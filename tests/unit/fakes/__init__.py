# SPDX-License-Identifier: Apache-2.0
"""Plain-data builders for inventories, images and projects in unit tests."""

import copy
import hashlib
import uuid

from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import drift
from osc_image_migrate.planning import metadata
from osc_image_migrate.planning import planner

UPDATED_AT = '2024-03-01T12:00:00Z'


def make_id(*parts):
    """A stable UUID string derived from ``parts``."""
    digest = hashlib.md5('/'.join(map(str, parts)).encode()).hexdigest()
    return str(uuid.UUID(digest))


def project(name, cloud='src', domain='Default', project_id=None):
    """A project whose ID differs per cloud, as in a real migration."""
    return model.Project(
        id=project_id or make_id(cloud, domain, name).replace('-', ''),
        name=name, domain=domain)


def image(name, owner, data=b'data', image_id=None, status=None,
          visibility='private', algo='sha512', **extra):
    """An image record as Glance returns it; ``data=None`` means no data."""
    owner_id = owner.id if isinstance(owner, model.Project) else owner
    image_id = image_id or make_id('image', name, owner_id)
    record = {
        'id': image_id, 'name': name, 'owner': owner_id,
        'status': status or ('active' if data is not None else 'queued'),
        'visibility': visibility, 'protected': False, 'os_hidden': False,
        'disk_format': 'raw', 'container_format': 'bare',
        'min_disk': 0, 'min_ram': 0, 'tags': [],
        'size': None, 'virtual_size': None, 'checksum': None,
        'os_hash_algo': None, 'os_hash_value': None,
        'created_at': '2024-01-01T00:00:00Z', 'updated_at': UPDATED_AT,
        'file': '/v2/images/%s/file' % image_id,
        'self': '/v2/images/%s' % image_id, 'schema': '/v2/schemas/image',
    }
    if data is not None:
        record.update(size=len(data), checksum=hashlib.md5(data).hexdigest(),
                      os_hash_algo=algo,
                      os_hash_value=hashlib.new(algo, data).hexdigest())
    record.update(extra)
    return record


def member(project_or_id, status='accepted'):
    member_id = getattr(project_or_id, 'id', project_or_id)
    return {'member_id': member_id, 'status': status}


def make_inventory(images=(), projects=(), members=None, project_id=None,
                   is_admin=True, projects_complete=True):
    """An :class:`Inventory`; the first project is the credential's."""
    projects = list(projects)
    if project_id is None and projects:
        project_id = projects[0].id
    return model.Inventory(
        images={i['id']: i for i in images},
        members=dict(members or {}),
        projects={p.id: p for p in projects},
        project_id=project_id, is_admin=is_admin,
        projects_complete=projects_complete)


def apply_final_state(record, members_by_id, wanted):
    """Do to a destination record what migrate does after verification."""
    record['visibility'] = wanted['visibility']
    record['protected'] = wanted['protected']
    record['os_hidden'] = wanted['os_hidden']
    if wanted['deactivated']:
        record['status'] = 'deactivated'
    elif record['status'] == 'deactivated':
        record['status'] = 'active'
    members_by_id[record['id']] = copy.deepcopy(wanted['members'])


def migrate(plan, dest):
    """A copy of ``dest`` after ``plan`` was carried out without a fault."""
    after = copy.deepcopy(dest)
    id_map = {}
    for item in plan:
        if item.action in (planner.BLOCKED, planner.SKIP,
                           planner.SOURCE_DELETED):
            continue
        source = item.source_image
        wanted = metadata.final_state(source, item.members)
        if item.action in (planner.FINISH, planner.UPDATE):
            record = after.images[item.dest_id]
        elif item.action == planner.RESUME:
            record = after.images[item.dest_id]
            record.update(_data_fields(source), status='active')
        else:
            dest_id = item.dest_id or make_id('new', item.source_id)
            body = metadata.create_body(
                source, dest_id, item.dest_owner, id_map,
                record_source_id=True)
            record = dict(body, **_data_fields(source))
            record['status'] = ('active' if comparison.has_data(source)
                                else 'queued')
            after.images[dest_id] = record
        id_map[item.source_id] = record['id']
        apply_patch(record, drift.json_patch(record, drift.record_changes(
            source, record, item.dest_owner, id_map)))
        apply_final_state(record, after.members, wanted)
    return after


def apply_patch(record, operations):
    """Do to a record what Glance does with a JSON patch of ours."""
    for operation in operations:
        key = operation['path'][1:].replace('~1', '/').replace('~0', '~')
        if operation['op'] == 'remove':
            del record[key]
        else:
            record[key] = copy.deepcopy(operation['value'])


def _data_fields(source):
    keys = ('size', 'checksum', 'os_hash_algo', 'os_hash_value')
    return {key: source.get(key) for key in keys}
