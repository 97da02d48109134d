# SPDX-License-Identifier: Apache-2.0
"""The two-cloud scene of the planning tests: projects, inventories, plans.

Three projects in the source, the same three (and a renamed one) in the
destination under other IDs, as in a real migration.
"""

import copy

from osc_image_migrate import model
from osc_image_migrate.planning import planner
from tests.unit import fakes


S_ADMIN, S_DEMO, S_ALT = (fakes.project(n) for n in ('admin', 'demo', 'alt'))
D_ADMIN, D_DEMO, D_ALT = (fakes.project(n, 'dst')
                          for n in ('admin', 'demo', 'alt'))
D_RENAMED = fakes.project('demo-renamed', 'dst')
SRC_PROJECTS = [S_ADMIN, S_DEMO, S_ALT]
DST_PROJECTS = [D_ADMIN, D_DEMO, D_ALT, D_RENAMED]
GONE = 'd' * 32  # a project deleted from the source Keystone


def in_src(images, members=None, **kwargs):
    return fakes.make_inventory(images, SRC_PROJECTS, members, **kwargs)


def in_dst(images=(), members=None, **kwargs):
    return fakes.make_inventory(images, DST_PROJECTS, members, **kwargs)


def plan_all(source, dest, **kwargs):
    selected = {i: ['all'] for i in source.images}
    return planner.make_plan(source, dest, selected, **kwargs)


def plan_one(source, dest, **kwargs):
    (item,) = plan_all(source, dest, **kwargs)
    return item


def copy_in_dest(image, owner=D_DEMO, **changes):
    """What a finished migration left in the destination for ``image``."""
    record = dict(copy.deepcopy(image), owner=owner.id)
    record.update(changes)
    return record


def tagged_copy(image, **changes):
    """A finished copy under its own ID, recording the source's."""
    changes.setdefault('id', fakes.make_id('copy', image['id']))
    changes[model.SOURCE_ID_PROPERTY] = image['id']
    return copy_in_dest(image, **changes)
