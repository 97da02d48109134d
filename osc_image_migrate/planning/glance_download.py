# SPDX-License-Identifier: Apache-2.0
"""glance-download: the destination Glance pulls the data from the source.

Between regions of one Keystone (planning/regions.py), Glance's
``glance-download`` import method (Zed and later) makes the destination
Glance download an image of another region itself, with the caller's
token: no byte crosses this host. The copy's record is created as for a
stream; the import fills it; the copy is then compared with the source
record (size and hash: Glance checks only the size) and finished as after
a stream. This module decides, from data alone, which images the path can
take and what the import request says; cloud/regions.py reads the clouds,
copying/glance_download.py runs the import.
"""

import dataclasses
from typing import Any

from osc_image_migrate import model
from osc_image_migrate.planning import data_paths

METHOD = 'glance-download'


@dataclasses.dataclass(frozen=True)
class Setting:
    """What two regions of one Keystone allow, read once per plan.

    ``source_region`` and ``interface``: where the destination finds the
    source Glance in the token's catalog; ``offered``: whether the
    destination lists glance-download in ``GET /v2/info/import``.
    """

    source_region: str
    interface: str = 'public'
    offered: bool = True


def refusal(image: model.Record) -> str | None:
    """Why the path cannot take this source image, or None.

    Glance downloads active images only, and the copy can only be
    verified against a source record with a size and a hash (Glance
    itself checks the size alone).
    """
    if image.get('status') != model.Status.ACTIVE:
        return ('the source image is %s; Glance downloads active images '
                'only' % image.get('status'))
    missing = model.lacks_reference(image)
    if missing:
        return ('the source records no %s to verify the copy against'
                % ' and no '.join(missing))
    return None


def offer(setting: Setting | None, image: model.Record | None
          ) -> data_paths.PathOffer | None:
    """The path's offer for one source image; None when not in play."""
    if setting is None or image is None:
        return None
    if not setting.offered:
        return data_paths.PathOffer(
            data_paths.GLANCE_DOWNLOAD, 'the destination does not offer '
            'the glance-download import method (its enabled_import_methods)')
    return data_paths.PathOffer(data_paths.GLANCE_DOWNLOAD, refusal(image))


def import_body(setting: Setting, source_id: str,
                store: str | None = None) -> dict[str, Any]:
    """The body of ``POST /v2/images/{id}/import``."""
    body: dict[str, Any] = {'method': {
        'name': METHOD, 'glance_image_id': source_id,
        'glance_region': setting.source_region,
        'glance_service_interface': setting.interface}}
    if store:
        body['stores'] = [store]
    return body


def import_pending(record: model.Record) -> bool:
    """A ``queued`` record whose import has not started yet (see below)."""
    return (record.get('status') == model.Status.QUEUED
            and bool(record.get('os_glance_import_task')))


def failed_import(record: model.Record) -> bool:
    """An import that failed and was undone: the record takes data again.

    Glance reverts a failed glance-download to ``queued`` and then drops
    the import's lock (``os_glance_import_task``), which the import request
    set before it answered: ``queued`` with the lock is an import that has
    not started yet.
    """
    return (record.get('status') == model.Status.QUEUED
            and not record.get('os_glance_import_task'))


def task_message(tasks: list[model.Record], request_id: str | None
                 ) -> str | None:
    """The message of the failed import task of this request, if any."""
    for task in tasks:
        if request_id and task.get('request_id') not in (None, request_id):
            continue
        if task.get('status') == 'failure' and task.get('message'):
            return str(task['message'])
    return None


def refused_reason(status: int | None, detail: str | None) -> str:
    """The row's words for an import request the destination refused."""
    said = ': %s' % detail if detail else ''
    return 'the destination refused the import (HTTP %s%s)' % (status, said)


def failed_reason(message: str | None) -> str:
    """The row's words for an import that failed and left the record."""
    told = ' (its task: %s)' % message.rstrip('.') if message else ''
    return ('the destination\'s glance-download failed and left the record '
            'queued%s; its log says why: often its URL filter '
            '([import_filtering_opts] allowed_ports, allowed_hosts) refusing '
            'the source region\'s image URL' % told)
