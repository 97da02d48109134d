# SPDX-License-Identifier: Apache-2.0
"""A plan row with every field set, for the commands' rows."""

from osc_image_migrate.planning import planner


def plan_item(source_id='s1', action=planner.COPY, **kwargs):
    fields = dict(
        source_id=source_id, name='img', owner='o', owner_name='demo',
        visibility='private', size=10, status='active', disk_format='raw',
        container_format='bare', action=action, dest_id=source_id,
        dest_owner='d', dest_owner_name='demo', reasons=['why'],
        selected=['named'], members=[], depends_on=[],
        source_image={'id': source_id, 'hw_disk_bus': 'virtio',
                      'tags': ['t']},
        dest_image=None)
    fields.update(kwargs)
    return planner.PlanItem(**fields)
