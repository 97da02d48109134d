# SPDX-License-Identifier: Apache-2.0
"""The second half of a glance-direct copy: import the staged data, wait.

The staging half is transfer.copy_data with ``target='stage'``: the same
verified stream, last chunk held back, so a mismatch cuts the stage and
Glance puts the record back to ``queued`` (and drops the partial staging
file). What Glance 33 does afterwards, measured on the sandbox:

* a complete stage leaves the record ``uploading`` with its ``size`` set;
  during the stage it is ``uploading`` with no size yet;
* the import (202) moves it to ``importing``, then ``active``;
* an import that fails in the store step (e.g. data that does not match the
  disk_format) leaves the record ``importing`` for good, with the failed
  stores in ``os_glance_failed_import``: neither stage nor import is
  accepted again (409);
* an import plugin that fails (e.g. a conversion) puts the record back to
  ``queued`` with ``os_glance_failed_import`` set and drops the staged
  file: a new stage and import work, and the failed stores stay on the
  record (``uploading``) until the new import starts;
* a record ``queued`` whose staging file survived (e.g. a ``PUT .../file``
  refused on an ``uploading`` record resets it to ``queued``) refuses a
  new stage with 409 "has data on staging".

Nothing here deletes anything: a record that can take no data again is
reported, and the plan blocks its image until an operator looked at it.

A destination that converts on import (``image_conversion``) activates
other data than the staged one: before the stage, the record is made to
record the source's format, size and hash, and afterwards the record and
the image's import task are read to accept the conversion or not (the
rules are in conversion.py).
"""

import threading
import time
from typing import Any
from typing import Callable

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model
from osc_image_migrate.planning import conversion
from osc_image_migrate.planning import import_state

# Seconds to wait for one image's import to finish; the import runs in the
# destination Glance, which copies the staged file to its store (and may
# convert it), so a large image needs minutes.
IMPORT_TIMEOUT = 3600
# Seconds to wait for an import task to say how it ended, once the record
# is active (measured: a fraction of a second after it).
TASK_SETTLE_SECONDS = 30


class ImportFailed(http.CloudError):
    """The destination's import failed; the record says which stores."""


def start(dst: sessions.CloudClients, dest_id: str,
          store: str | None = None) -> str | None:
    """POST the glance-direct import of the staged data (into ``store``).

    Returns the request ID Glance gave the call: the import task it
    starts names it (see conversion.problems).
    """
    body: dict[str, Any] = {'method': {'name': 'glance-direct'}}
    if store:
        body['stores'] = [store]
    response = dst.image.post('/v2/images/%s/import' % dest_id, json=body,
                              **http.NO_REPLAY)
    http.check(response, 'destination import', ok=(202,))
    return response.headers.get('x-openstack-request-id')


def record_source(dst: sessions.CloudClients, dest_id: str,
                  source_image: model.Record) -> None:
    """Make the record name its source's format, size and hash.

    Done before any data goes in, so that whatever the destination makes
    of the data (a conversion) can be told from other data afterwards,
    by this run or by a re-run. A record that records them already is
    left alone (no request but the read).
    """
    record = dst.glance.images.get(dest_id)
    patch = conversion.record_patch(source_image, record)
    if patch:
        http.patch_image(dst, dest_id, patch)


def import_tasks(dst: sessions.CloudClients,
                 dest_id: str) -> list[model.Record]:
    """The image's tasks (``GET /v2/images/{id}/tasks``).

    [] when the destination does not show them (404 before Glance 21,
    403 by policy): no conversion can then be accepted. A server error
    is retried rather than taken for "no task".
    """
    response = dst.image.get('/v2/images/%s/tasks' % dest_id,
                             raise_exc=False)
    if response.status_code >= 500:
        raise http.status_error('destination task list',
                                response.status_code)
    if response.status_code != 200:
        return []
    try:
        return list(response.json().get('tasks') or [])
    except (ValueError, AttributeError):
        return []


def check_conversion(dst: sessions.CloudClients, dest_id: str,
                     source_image: model.Record,
                     request_id: str | None = None,
                     stop: threading.Event | None = None,
                     clock: Callable[[], float] = time.monotonic
                     ) -> tuple[model.Record, list[str] | None]:
    """``(record, problems)`` of an active import that is not the source's.

    ``problems`` is None when the record shows no conversion at all (it
    holds other data), an empty list when it shows an accepted one. The
    import task says ``success`` a moment after the record went
    ``active``: it is waited for, up to TASK_SETTLE_SECONDS.
    """
    record = dst.glance.images.get(dest_id)
    if not conversion.looks_converted(source_image, record):
        return record, None
    started = clock()
    tasks = import_tasks(dst, dest_id)
    while (not conversion.task_settled(tasks) and tasks
           and clock() - started < TASK_SETTLE_SECONDS):
        cancel.pause(stop, cancel.POLL_SECONDS / 2)
        tasks = import_tasks(dst, dest_id)
    return record, conversion.problems(source_image, record, tasks,
                                       request_id)


def mark_converted(dst: sessions.CloudClients, dest_id: str,
                   source_image: model.Record,
                   record: model.Record) -> None:
    """Mark an accepted conversion on the copy (see conversion.CONVERTED)."""
    http.patch_image(dst, dest_id, [{
        'op': 'replace' if conversion.CONVERTED in record else 'add',
        'path': '/' + conversion.CONVERTED,
        'value': conversion.label(source_image, record)}])


def wait(dst: sessions.CloudClients, dest_id: str,
         timeout: float | None = None,
         stop: threading.Event | None = None,
         on_wait: Callable[[model.Record, float], None] | None = None,
         clock: Callable[[], float] = time.monotonic,
         pending: Callable[[model.Record], bool] | None = None
         ) -> model.Record:
    """Wait until the import made the record ``active``; return it.

    ``on_wait(record, seconds)`` is called at each poll (progress). A
    failed import is reported with the stores Glance names: retriable when
    the record went back to ``queued`` (a new stage is possible), final
    when it stays ``importing``. ``pending(record)``: whether a ``queued``
    record is an import that has not started yet (an import into a
    ``queued`` record, such as glance-download's), not a failed one.
    """
    timeout = IMPORT_TIMEOUT if timeout is None else timeout
    started = clock()
    while True:
        record = dst.glance.images.get(dest_id)
        status = record.get('status')
        if status == model.Status.ACTIVE:
            return record
        # Right after the 202 the record can still be ``uploading`` with
        # the failed stores of an earlier import: Glance clears them only
        # when the import starts (``importing``).
        if (status == model.Status.QUEUED and not (
                pending is not None and pending(record))) or (
                    import_state.is_dead(record)):
            raise failure(dest_id, record)
        waited = clock() - started
        if on_wait is not None:
            on_wait(record, waited)
        if waited >= timeout:
            raise http.CloudError(
                'destination import of %s not finished after %d s (status '
                '%s); a re-run waits for it again' % (dest_id, waited,
                                                      status),
                retriable=False)
        cancel.pause(stop, cancel.POLL_SECONDS)


def failure(dest_id: str, record: model.Record) -> ImportFailed:
    """The error a failed import is reported with."""
    stores = ', '.join(import_state.failed_stores(record)) or 'unnamed'
    task = record.get('os_glance_import_task')
    where = ' (task %s)' % task if task else ''
    if record.get('status') == model.Status.QUEUED:
        return ImportFailed(
            'destination import failed for stores %s%s; the record is '
            'queued again' % (stores, where), retriable=True)
    return ImportFailed(
        'destination import failed for stores %s%s and left image %s '
        'importing: Glance takes no data into it again; see the '
        'destination\'s task log (e.g. data that does not match its '
        'disk_format)' % (stores, where, dest_id))
