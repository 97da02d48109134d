# SPDX-License-Identifier: Apache-2.0
"""The glance-download path: the destination Glance fetches the data.

An :class:`~osc_image_migrate.copying.offload.Offload`: into the ``queued``
record the copy created, ``POST /v2/images/{id}/import`` with the
``glance-download`` method names the source image and region; the
destination Glance then downloads it from the source region with the
caller's token, and the copy waits until the record is ``active``. No byte
crosses this host. The copy then verifies the record against the source's
size and hash (verify.check_copy) and applies the rest, as after a stream.

What the destination does when it will not, measured with Glance 33:

* a method it does not enable, or a policy that forbids the import,
  answers the request (4xx) and leaves the record as it was;
* a download its URL filter refuses (``[import_filtering_opts]``, by
  default ports 80 and 443 only) is accepted (202) and then fails in the
  task: Glance puts the record back to ``queued``, drops the import's lock
  and says only "Task failed due to Internal Error".

Either way the record holds no data, so the path is refused
(offload.PathRefused) and the stream fills the same record.
"""

import logging
import threading
import time
from typing import Callable

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import regions
from osc_image_migrate.cloud import sessions
from osc_image_migrate.copying import glance_import
from osc_image_migrate.copying import journal as copy_journal
from osc_image_migrate.copying import offload
from osc_image_migrate.copying import send
from osc_image_migrate import model
from osc_image_migrate.planning import glance_download
from osc_image_migrate.planning import planner

LOG = logging.getLogger(__name__)

# Answers to the import request that say "not this way" rather than "not
# now": the method not enabled (400), a policy (403), an API without the
# import call (404, 405, 501).
REFUSALS = (400, 403, 404, 405, 501)


class GlanceDownload:
    """glance-download into the destination, from the source's region."""

    def __init__(self, dst: sessions.CloudClients,
                 setting: glance_download.Setting,
                 timeout: float = glance_import.IMPORT_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.dst = dst
        self.setting = setting
        self.timeout = timeout
        self.clock = clock

    def send(self, item: planner.PlanItem, dest_id: str,
             journal: copy_journal.CopyJournal,
             stop: threading.Event | None,
             on_bytes: Callable[[int], None] | None = None) -> int:
        """Import ``item``'s data into ``dest_id``; 0 bytes through here.

        (No byte passes here, so ``on_bytes`` is never called.)
        """
        response = self.dst.image.post(
            '/v2/images/%s/import' % dest_id,
            json=glance_download.import_body(self.setting, item.source_id,
                                             item.dest_store),
            **http.NO_REPLAY)
        if response.status_code in REFUSALS:
            error = http.status_error('destination import',
                                      response.status_code, response.text)
            raise offload.PathRefused(glance_download.refused_reason(
                response.status_code, error.details))
        http.check(response, 'destination import', ok=(202,))
        request_id = response.headers.get('x-openstack-request-id')
        journal.import_started(request_id)
        self._wait(dest_id, request_id, stop)
        journal.note('imported with glance-download from %s'
                     % self.setting.source_region)
        return 0

    def _wait(self, dest_id: str, request_id: str | None,
              stop: threading.Event | None) -> None:
        """Wait until the record is ``active``; refuse a failed import.

        Glance's import waiting (glance_import.wait), with a ``queued``
        record that still holds the import's lock taken for an import not
        started yet.
        """
        def report(record: model.Record, seconds: float) -> None:
            if seconds and int(seconds) % send.IMPORT_LOG_SECONDS == 0:
                LOG.info('Image %s: glance-download running for %d s '
                         '(status %s)', dest_id, seconds,
                         record.get('status'))

        try:
            glance_import.wait(self.dst, dest_id, timeout=self.timeout,
                               stop=stop, on_wait=report, clock=self.clock,
                               pending=glance_download.import_pending)
        except glance_import.ImportFailed:
            record = self.dst.glance.images.get(dest_id)
            if not glance_download.failed_import(record):
                raise
            raise offload.PathRefused(glance_download.failed_reason(
                glance_download.task_message(
                    glance_import.import_tasks(self.dst, dest_id),
                    request_id)))


def for_clouds(src: sessions.CloudClients | None,
               dst: sessions.CloudClients | None
               ) -> dict[str, offload.Offload]:
    """``{path: Offload}`` of glance-download, when the clouds allow it."""
    if src is None or dst is None:
        return {}
    setting = regions.glance_download_setting(src, dst)
    if setting is None or not setting.offered:
        return {}
    return {glance_download.METHOD: GlanceDownload(dst, setting)}
