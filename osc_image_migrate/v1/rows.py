# SPDX-License-Identifier: Apache-2.0
"""What the commands print: the columns, the rows and the exit statuses.

Column headers are stable: they are the keys of ``-f json``, named once
in planning/columns.py.
"""

from osc_lib.cli import format_columns

from osc_image_migrate.cloud import plan_file
from osc_image_migrate.copying import image_copy
from osc_image_migrate.i18n import _
from osc_image_migrate.planning import columns
from osc_image_migrate.planning import drift
from osc_image_migrate.planning import metadata
from osc_image_migrate.planning import planner
from osc_image_migrate.run import signals

PLAN_COLUMNS = columns.PLAN
PLAN_LONG_COLUMNS = columns.PLAN_LONG

# ``plan --detailed-exit-code``: 1 and 2 stay errors and usage errors.
EXIT_IN_SYNC = 0
EXIT_CHANGES = 3    # migrate has something to do
EXIT_ATTENTION = 4  # an operator must act: blocked, source-deleted, fixed
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT
EXIT_TERMINATED = 143  # SIGTERM (run/signals.py), as a shell reports it

WHOLE_CLOUD = _('No image or project selected: that migrates every image '
                'of the source cloud; add --all to confirm')


def plan_row(item, long=False):
    row = (item.source_id, item.name, item.owner, item.visibility,
           item.size, item.action, item.path, item.dest_id, item.dest_owner,
           item.reason, format_columns.ListColumn(item.selected))
    if not long:
        return row
    image = item.source_image or {}
    properties = {k: v for k, v in image.items()
                  if k not in metadata.CORE and not metadata.is_read_only(k)}
    return row + (
        item.status, item.disk_format, item.container_format,
        format_columns.ListColumn(
            ['%s:%s' % (m['member_id'], m['status'])
             for m in item.members]),
        format_columns.ListColumn(image.get('tags') or []),
        format_columns.DictColumn(properties),
        format_columns.ListColumn(item.depends_on),
        format_columns.DictColumn(drift.as_dict(item.changes)),
        item.dest_store,
    )


def plan_exit_status(plan):
    """What ``plan --detailed-exit-code`` answers for ``plan``."""
    attention = (planner.BLOCKED, planner.SOURCE_DELETED)
    if any(item.action in attention or item.quota or item.attention
           or any(not c.syncable for c in item.changes) for item in plan):
        return EXIT_ATTENTION
    if any(item.action not in (planner.SKIP, planner.REUSE)
           for item in plan):
        return EXIT_CHANGES
    return EXIT_IN_SYNC


RESULT_COLUMNS = columns.RESULTS


def result_row(result):
    """One result row; Rate is in MiB/s."""
    rate = round(result.rate / 2 ** 20, 1)
    return (result.source_id, result.dest_id, result.name, result.result,
            result.size, result.seconds, rate, result.detail)


def missing_row(item):
    """The result row of a plan file's image gone from the source."""
    return (item.source_id, None, None, image_copy.FAILED, None, 0, 0,
            _(plan_file.MISSING))


def run_exit_status(results, missing, interrupted):
    """``migrate``'s exit status: 1 if an image was not migrated.

    ``interrupted``: False, or what stopped the run (True or the
    KeyboardInterrupt for Ctrl-C, signals.Terminated for SIGTERM).
    """
    if isinstance(interrupted, signals.Terminated):
        return EXIT_TERMINATED
    if interrupted:
        return EXIT_INTERRUPTED
    if missing or not all(r.ok for r in results):
        return 1
    return 0
