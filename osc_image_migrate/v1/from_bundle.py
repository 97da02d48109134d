# SPDX-License-Identifier: Apache-2.0
"""``plan --from-bundle`` and ``migrate --from-bundle``: a bundle as source.

The bundle's manifest and documents are the source inventory
(bundle/source.py), planned against the destination cloud by the same
planner as between two clouds; each copy is the same ImageCopy, its data
step streaming the bundle's file instead of a source download. No source
cloud is logged in to: the commands tell OSC so before it would
(``auth_required``, see named()).
"""

import dataclasses

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import source as bundle_source
from osc_image_migrate.cloud import plan_file
from osc_image_migrate.cloud import sessions
from osc_image_migrate.cloud import survey
from osc_image_migrate.copying import image_copy
from osc_image_migrate.copying import upload_method
from osc_image_migrate import model
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import planner
from osc_image_migrate.v1 import rows
from osc_image_migrate.v1 import selection_options
from osc_image_migrate.v1 import to_bundle

OPTION = '--from-bundle'
# The shortest prefix argparse takes for it (no other option starts so).
_SHORTEST = '--fr'


def named(argv) -> bool:
    """True when a command line names ``--from-bundle`` (or a prefix).

    OSC decides whether to log in (the command's ``auth_required``)
    before the command's arguments are parsed, so this reads the words
    as OSC's shell keeps them (``command_options``); ``--`` ends options.
    """
    for word in argv or ():
        if word == '--':
            return False
        option = word.split('=', 1)[0]
        if option.startswith(_SHORTEST) and OPTION.startswith(option):
            return True
    return False


def check_options(parsed_args):
    """Options that have no meaning for a bundle source: one line, exit 2."""
    refused = to_bundle.other_paths_options(parsed_args)
    if parsed_args.to_bundle:
        refused.insert(0, '--to-bundle (copy the directory instead)')
    if refused:
        raise model.UsageError(
            '%s: not with --from-bundle (a bundle is its own data path, '
            'read with a fresh plan)' % ', '.join(refused))


@dataclasses.dataclass
class ImportPlan:
    """An import's plan, with what it was made of."""

    plan: list
    # None for a plan file's rows (no selection of the whole bundle then).
    resolved: object
    bundle: bundle_source.BundleSource
    dest: sessions.CloudClients
    # A plan file's rows whose image the bundle no longer holds.
    missing: list = dataclasses.field(default_factory=list)


def load(root):
    """The bundle at ``root``, read; a usage error if it is not one."""
    try:
        return bundle_source.BundleSource(root).load()
    except layout.BundleError as e:
        raise model.UsageError(str(e))


def block_missing(plan, bundle):
    """Rows whose data the bundle lacks (an unfinished export): blocked."""
    for item in plan:
        if item.action not in planner.DATA_ACTIONS:
            continue
        reason = bundle.missing_data(item.source_id)
        if reason:
            item.action, item.reason = planner.BLOCKED, reason


def plan(cmd, parsed_args, selection=None):
    """The import's plan (ImportPlan), read from the bundle and dest."""
    check_options(parsed_args)
    if selection is None:
        selection = selection_options.selection_from_args(parsed_args)
    bundle = load(parsed_args.from_bundle)
    dest = sessions.dest_clients(cmd.app.cloud_config,
                                 parsed_args.dest_cloud)
    dest_read = survey.DestinationRead(dest)
    source = bundle.inventory()

    def replan(resolved):
        items = survey.plan_selected(None, dest, source, resolved,
                                     parsed_args.keep_ids, dest_read,
                                     data_path=data_paths.BUNDLE)
        block_missing(items, bundle)
        return items

    if getattr(parsed_args, 'plan_file', None):
        # The rows of a reviewed plan (of --shard only), planned again.
        saved = plan_file.load_plan_file(parsed_args.plan_file)
        items, missing = plan_file.recheck(saved, source, selection, replan,
                                           parsed_args.shard)
        return ImportPlan(
            upload_method.annotate_plan(items, parsed_args.upload_method,
                                        dest), None, bundle, dest,
            [plan_file.missing_item(i, saved[i]) for i in missing])
    resolved = survey.resolve(selection, source)
    items = upload_method.annotate_plan(
        replan(resolved), parsed_args.upload_method, dest)
    return ImportPlan(items, resolved, bundle, dest)


def migrate(cmd, parsed_args):
    """``migrate --from-bundle``: ``(columns, rows)``; sets the exit status."""
    planned = plan(cmd, parsed_args, cmd.selection(parsed_args))
    if planned.resolved is not None:
        cmd.check_whole_cloud(parsed_args, planned.resolved)
    if parsed_args.dry_run:
        return cmd.plan_listing(planned.plan + planned.missing,
                                parsed_args.long)
    runner = cmd.executor(parsed_args, None, planned.dest)
    runner.make_copy = lambda item: image_copy.ImageCopy(
        None, planned.dest, item, parsed_args.keep_ids,
        runner.stream_options, data_source=planned.bundle)
    results, interrupted = cmd.carry_out(runner, planned.plan)
    cmd.exit_status = rows.run_exit_status(results, planned.missing,
                                           interrupted)
    return rows.RESULT_COLUMNS, (
        [rows.result_row(r) for r in results]
        + [rows.missing_row(item) for item in planned.missing])
