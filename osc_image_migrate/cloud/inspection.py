# SPDX-License-Identifier: Apache-2.0
"""``plan --inspect``: judge each image's data format before copying it.

``migrate`` stops data the destination would refuse after its first MiB
(see format_check); an operator reviewing a plan wants those images named
before the run. This reads the first MiB of each image to copy (one ranged
download each, a few at a time) and blocks those whose data does not
match their ``disk_format`` or fails Glance's safety checks. The source is
only read.
"""

import concurrent.futures
import logging

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.planning import format_check
from osc_image_migrate.planning import planner

LOG = logging.getLogger(__name__)

FIRST_BYTES = 1024 * 1024
READERS = 8


def first_bytes_problem(src_clients: sessions.CloudClients,
                        image: model.Record) -> str | None:
    """What the format check says of the image's first MiB, or None.

    An image whose first bytes cannot be read (no rights, no data) is not
    judged here: ``migrate`` reports it.
    """
    check = format_check.FormatCheck(image.get('disk_format'),
                                     image.get('container_format'),
                                     limit=FIRST_BYTES)
    if check.done:
        return None
    response = src_clients.image.get(
        '/v2/images/%s/file' % image['id'], stream=True,
        headers={'Range': 'bytes=0-%d' % (FIRST_BYTES - 1)},
        **dict(http.NO_REPLAY, raise_exc=False))
    try:
        if response.status_code not in (200, 206):
            LOG.debug('Image %s: first bytes not read (HTTP %s)',
                      image['id'], response.status_code)
            return None
        data = response.raw.read(FIRST_BYTES, decode_content=True)
    finally:
        response.close()
    try:
        check.feed(data)
        if not check.done and len(data) >= (image.get('size') or 0):
            check.finish()   # the whole image was read
    except format_check.FormatProblem as e:
        return str(e)
    return None


def inspect_plan(src_clients: sessions.CloudClients,
                 plan: list[planner.PlanItem]) -> None:
    """Block the items whose data the destination would refuse."""
    todo = [item for item in plan if item.action in planner.DATA_ACTIONS
            and item.source_image is not None]
    if not todo:
        return
    with concurrent.futures.ThreadPoolExecutor(
            min(READERS, len(todo))) as pool:
        problems = pool.map(
            lambda item: first_bytes_problem(src_clients, item.source_image),
            todo)
        for item, problem in zip(todo, problems):
            if problem:
                item.action = planner.BLOCKED
                item.reason = 'format check of the first MiB: %s' % problem
