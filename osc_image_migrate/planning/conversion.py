# SPDX-License-Identifier: Apache-2.0
"""Copies the destination converted on import, told from corrupted ones.

A destination Glance that runs the ``image_conversion`` import plugin
(Ceph clouds convert everything to raw) activates another disk_format,
size and hash than the source's: the usual check (same size and hash)
cannot tell such a copy from a corrupted one. What Glance 33 does and
records, measured on the sandbox (qcow2 in, ``output_format = raw``):

* the plugin converts only when the declared disk_format differs from the
  output format and the data really is of the declared format; it sets
  ``disk_format`` to the output format, ``container_format`` to ``bare``,
  ``size`` to the converted size and ``virtual_size`` to the virtual size
  ``qemu-img info`` read from the staged data; Glance then hashes the
  converted data (``os_hash_value``, ``checksum``). Nothing on the record
  names the staged data's hash;
* ``GET /v2/images/{id}/tasks`` lists the ``api_image_import`` task with
  the method (``input.import_req.method.name``), its ``status``
  (``success``) and the ``request_id`` of the import call that started it;
  the record is ``active`` a moment before the task says ``success``.

So a conversion is accepted only on this evidence: before any data went
in, the copy recorded the source's disk_format, size and hash in its own
properties (:data:`RECORDED`); the stream was verified against them (last
chunk held back); the complete stage had the source's size; the import of
that stage succeeded (the image's latest import task, started by our own
import call when this run made it); and the active record is what the
plugin makes of such data: another disk_format than the source's,
container ``bare``, and the source's virtual size. An accepted copy is
marked (:data:`CONVERTED`), so that a re-run plans it as a copy of the
same data. Pure functions of plain records, like planning.
"""

from typing import Any
from typing import Iterable

from osc_image_migrate import model


SOURCE_DISK_FORMAT = 'osc_migrate_source_disk_format'
SOURCE_SIZE = 'osc_migrate_source_size'
SOURCE_HASH_ALGO = 'osc_migrate_source_hash_algo'
SOURCE_HASH_VALUE = 'osc_migrate_source_hash_value'
# Set once the conversion was checked and accepted: "<source> -> <copy>".
CONVERTED = 'osc_migrate_converted'
RECORDED = (SOURCE_DISK_FORMAT, SOURCE_SIZE, SOURCE_HASH_ALGO,
            SOURCE_HASH_VALUE)
# The tool's own properties on a copy: never copied, compared or removed.
OWN_PROPERTIES = RECORDED + (CONVERTED,) + model.OWN_PROPERTIES

IMPORT_TASK = 'api_image_import'
# Task statuses of an import that has not ended yet.
RUNNING_TASK = ('pending', 'processing')


def source_values(image: model.Record) -> dict[str, str | None]:
    """The values a copy records of its source image's data, as strings.

    The hash is the one model.data_hash picks.
    """
    algo, value = model.data_hash(image)
    values = {SOURCE_DISK_FORMAT: image.get('disk_format'),
              SOURCE_SIZE: image.get('size'),
              SOURCE_HASH_ALGO: algo, SOURCE_HASH_VALUE: value}
    return {key: None if value is None else str(value)
            for key, value in values.items()}


def records_source(image: model.Record, record: model.Record) -> bool:
    """The record holds the values of ``image``'s data (and a hash)."""
    wanted = source_values(image)
    return bool(wanted[SOURCE_HASH_VALUE]) and all(
        record.get(key) == value for key, value in wanted.items())


def record_patch(image: model.Record,
                 record: model.Record) -> list[dict[str, Any]]:
    """JSON-patch operations that make ``record`` record ``image``."""
    return [{'op': 'replace' if key in record else 'add',
             'path': '/' + key, 'value': value}
            for key, value in source_values(image).items()
            if value is not None and record.get(key) != value]


def label(image: model.Record, record: model.Record) -> str:
    """``qcow2 -> raw``: the conversion a record shows."""
    return '%s -> %s' % (image.get('disk_format'), record.get('disk_format'))


def looks_converted(image: model.Record, record: model.Record) -> bool:
    """The record recorded ``image`` and has another disk_format since.

    Only such a record can be a conversion; any other that differs from
    the source holds other data.
    """
    return (records_source(image, record)
            and record.get('disk_format') != image.get('disk_format'))


def accepted(image: model.Record, record: model.Record) -> bool:
    """A copy whose conversion of ``image``'s data was checked and marked."""
    return (record.get('status') in model.Status.HOLDS_DATA
            and looks_converted(image, record)
            and record.get(CONVERTED) == label(image, record))


def awaits_check(image: model.Record, record: model.Record) -> bool:
    """An active import of ``image``'s data, converted, not checked yet.

    What a run interrupted between the import and its check leaves; the
    re-run checks it (the import task is still listed) and finishes it.
    """
    return (record.get('status') == model.Status.ACTIVE
            and looks_converted(image, record)
            and record.get(CONVERTED) is None)


def import_task(
        tasks: Iterable[model.Record] | None) -> model.Record | None:
    """The image's latest import task (by creation time), or None."""
    imports = [t for t in tasks or () if t.get('type') == IMPORT_TASK]
    return max(imports, key=lambda t: t.get('created_at') or '',
               default=None)


def task_settled(tasks: Iterable[model.Record] | None) -> bool:
    """The latest import task ended (Glance says so a moment late)."""
    task = import_task(tasks)
    return task is not None and task.get('status') not in RUNNING_TASK


def problems(image: model.Record, record: model.Record,
             tasks: Iterable[model.Record] | None,
             request_id: str | None = None) -> list[str]:
    """Why ``record`` is not an accepted conversion of ``image``'s data.

    An empty list accepts it. ``tasks`` is the image's task list;
    ``request_id`` that of the import call this run made (None: an
    earlier run made it, and the latest import task must then be it).
    """
    found = []
    if record.get('status') != model.Status.ACTIVE:
        found.append('status %s' % record.get('status'))
    if not records_source(image, record):
        found.append('the copy does not record the source\'s format, size '
                     'and hash')
    if record.get('disk_format') == image.get('disk_format'):
        found.append('disk_format unchanged')
    if record.get('container_format') != 'bare':
        found.append('container_format %s' % record.get('container_format'))
    if image.get('virtual_size') and (record.get('virtual_size')
                                      != image.get('virtual_size')):
        found.append('virtual size %s, the source\'s is %s'
                     % (record.get('virtual_size'), image['virtual_size']))
    task = import_task(tasks)
    if task is None:
        found.append('no import task listed for the image')
        return found
    method = ((task.get('input') or {}).get('import_req') or {}).get(
        'method') or {}
    if method.get('name') != 'glance-direct':
        found.append('its import used method %s' % method.get('name'))
    if task.get('status') != 'success':
        found.append('its import task %s is %s' % (task.get('id'),
                                                   task.get('status')))
    if request_id is not None and task.get('request_id') != request_id:
        found.append('its latest import task %s was not started by this '
                     'run' % task.get('id'))
    return found


def plan_note(image: model.Record, record: model.Record) -> str:
    """What the plan says about an accepted converted copy."""
    return ('a copy converted %s by the destination: the source\'s '
            'format, size and hash it recorded match' % label(image, record))


def describe(image: model.Record, record: model.Record) -> str:
    """What a result row says about an accepted conversion."""
    return 'converted %s by the destination' % label(image, record)
