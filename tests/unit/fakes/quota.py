# SPDX-License-Identifier: Apache-2.0
"""Two destination projects and their plan rows, for quota and limit tests."""

from osc_image_migrate.planning import planner
from osc_image_migrate.planning import quotas

MiB = quotas.MiB
ADMIN, DEMO = 'p-admin', 'p-demo'


def item(name, owner, action=planner.COPY, size=MiB, dest_image=None):
    return planner.PlanItem(source_id=name, name=name, action=action,
                            size=size, dest_owner=owner,
                            dest_image=dest_image)
