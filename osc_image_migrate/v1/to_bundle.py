# SPDX-License-Identifier: Apache-2.0
"""``plan --to-bundle`` and ``migrate --to-bundle``: a bundle as destination.

The commands' other half for a bundle: the same selection, plan rows,
progress, results and exit statuses, with the bundle's plan
(bundle/plan.py) and copies (copying/bundle_copy.py) instead of a
destination cloud's. No destination cloud is logged in to.
"""

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import plan as bundle_plan
from osc_image_migrate.bundle import writer as bundle_writer
from osc_image_migrate.cloud import plan_file
from osc_image_migrate.copying import bundle_copy
from osc_image_migrate.copying import upload_method
from osc_image_migrate import model
from osc_image_migrate.planning import data_paths
from osc_image_migrate.run import executor
from osc_image_migrate.stream import bandwidth
from osc_image_migrate.stream import options
from osc_image_migrate.v1 import rows
from osc_image_migrate.v1 import selection_options


def other_paths_options(parsed_args):
    """The options given that a bundle, either way, has no use for.

    A bundle is its own data path.
    """
    refused = []
    if parsed_args.data_path != data_paths.AUTO:
        refused.append('--data-path %s' % parsed_args.data_path)
    if getattr(parsed_args, 'inspect', None):
        refused.append('--inspect')
    return refused


def check_options(parsed_args):
    """Options that have no meaning for a bundle: one line, exit 2."""
    refused = other_paths_options(parsed_args)
    if parsed_args.upload_method != upload_method.AUTO:
        refused.insert(1 if parsed_args.data_path != data_paths.AUTO else 0,
                       '--upload-method %s' % parsed_args.upload_method)
    if refused:
        raise model.UsageError(
            '%s: not with --to-bundle (a bundle is its own data path, '
            'written from a fresh plan)' % ', '.join(refused))


def plan(cmd, parsed_args, selection=None):
    """The export's plan (bundle_plan.ExportPlan); it must fit the bundle."""
    check_options(parsed_args)
    if selection is None:
        selection = selection_options.selection_from_args(parsed_args)
    source = cmd.source_clients()
    if getattr(parsed_args, 'plan_file', None):
        # The rows of a reviewed plan (of --shard only), planned again.
        planned = bundle_plan.recheck_plan(
            source, parsed_args.to_bundle,
            plan_file.load_plan_file(parsed_args.plan_file), selection,
            parsed_args.shard)
    else:
        planned = bundle_plan.compute_plan(source, parsed_args.to_bundle,
                                           selection)
    bundle_plan.check_space(parsed_args.to_bundle, planned.plan,
                            planned.contents)
    return planned


def _write_manifest(cmd, writer):
    """The run's manifest, then the lock released; True if it failed.

    A manifest that cannot be written is one line after the rows (which
    say what each image got), not an error that would hide them.
    """
    try:
        writer.write_manifest()
    except layout.BundleError as e:
        cmd.log.error(str(e))
        return True
    finally:
        writer.unlock()
    return False


def migrate(cmd, parsed_args):
    """``migrate --to-bundle``: ``(columns, rows)``; sets the exit status."""
    check_options(parsed_args)
    planned = plan(cmd, parsed_args, cmd.selection(parsed_args))
    if planned.resolved is not None:
        cmd.check_whole_cloud(parsed_args, planned.resolved)
    if parsed_args.dry_run:
        return cmd.plan_listing(planned.plan + planned.missing,
                                parsed_args.long)
    source = cmd.source_clients()
    writer = bundle_writer.BundleWriter(
        parsed_args.to_bundle, bundle_writer.source_description(
            source, getattr(cmd.app.options, 'cloud', None)),
        planned.source.projects)
    try:
        writer.create()
        writer.lock()
    except layout.BundleError as e:
        raise model.UsageError(str(e))
    stream_options = options.StreamOptions(
        check_format=False,
        limiter=(bandwidth.Limiter(parsed_args.limit_rate)
                 if parsed_args.limit_rate is not None else None),
        stall_timeout=parsed_args.stall_timeout)
    runner = executor.Executor(
        source, None, parallel=parsed_args.parallel,
        retries=parsed_args.retries, stream_options=stream_options,
        progress=cmd._progress(parsed_args),
        make_copy=lambda item: bundle_copy.BundleCopy(
            source, writer, item, stream_options))
    try:
        results, interrupted = cmd.carry_out(runner, planned.plan)
    finally:
        manifest_error = _write_manifest(cmd, writer)
    cmd.exit_status = rows.run_exit_status(results, planned.missing,
                                           interrupted)
    if manifest_error and not cmd.exit_status:
        cmd.exit_status = 1
    return rows.RESULT_COLUMNS, (
        [rows.result_row(r) for r in results]
        + [rows.missing_row(item) for item in planned.missing])
