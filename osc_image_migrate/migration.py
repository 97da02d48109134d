"""Read both clouds and compute the plan: the glue between the layers.

Reading is here; deciding is in :mod:`selection` and :mod:`planning`, which
are pure functions of what was read.
"""

import logging

from osc_image_migrate import errors
from osc_image_migrate import inventory
from osc_image_migrate import planning
from osc_image_migrate import selection as selection_mod

LOG = logging.getLogger(__name__)


def read_source(src_clients):
    with errors.translated('source cloud'):
        return inventory.read_inventory(src_clients)


def read_dest(dst_clients, source):
    """Read the destination, with members only of possible copies."""
    def may_be_copy(image):
        return (image['id'] in source.images
                or image.get(inventory.SOURCE_ID_PROPERTY) in source.images)

    with errors.translated('destination cloud %s' % dst_clients.name):
        return inventory.read_inventory(dst_clients,
                                        members_wanted=may_be_copy)


def compute_plan(src_clients, dst_clients, selection, keep_ids=False):
    """Read both clouds and return ``(plan, resolved selection)``.

    Selection problems raise :class:`errors.UsageError` listing them all.
    """
    source = read_source(src_clients)
    try:
        resolved = selection_mod.resolve(selection, source)
    except selection_mod.SelectionError as e:
        raise errors.UsageError(str(e))
    selected = selection_mod.select(source, resolved)
    dest = read_dest(dst_clients, source)
    plan = planning.make_plan(source, dest, selected,
                              project_map=resolved.project_map,
                              keep_ids=keep_ids)
    totals = planning.summary(plan)
    LOG.info('Plan: %d images, %s; %d bytes to copy',
             len(plan),
             ', '.join('%s %d' % kv for kv in sorted(
                 totals['actions'].items())) or 'nothing to do',
             totals['bytes'])
    return plan, resolved
