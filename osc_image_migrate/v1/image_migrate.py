# SPDX-License-Identifier: Apache-2.0
"""The ``image migrate`` and ``image migrate plan`` commands."""

import argparse
import logging
from typing import Any

from osc_lib.command import command

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import inspection
from osc_image_migrate.cloud import plan_file
from osc_image_migrate.cloud import sessions
from osc_image_migrate.cloud import survey
from osc_image_migrate.copying import glance_download
from osc_image_migrate.copying import offload
from osc_image_migrate.copying import rbd_copy
from osc_image_migrate.copying import upload_method
from osc_image_migrate.i18n import _
from osc_image_migrate import model
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import selection as selection_mod
from osc_image_migrate.planning import sharding
from osc_image_migrate.run import executor
from osc_image_migrate.run import progress as progress_mod
from osc_image_migrate.run import signals
from osc_image_migrate.stream import bandwidth
from osc_image_migrate.stream import options
from osc_image_migrate.v1 import from_bundle
from osc_image_migrate.v1 import option_types
from osc_image_migrate.v1 import rows
from osc_image_migrate.v1 import selection_options
from osc_image_migrate.v1 import to_bundle

LOG = logging.getLogger(__name__)


class _MigrateCommand(command.Lister):
    """Common ground: the clients, the plan rows and the exit status.

    ``take_action`` sets ``exit_status`` (one assignment per command) for
    ``run`` to return once the rows are printed.
    """

    exit_status = 0

    def __init__(self, app, app_args, cmd_name=None):
        super().__init__(app, app_args, cmd_name=cmd_name)
        # OSC logs in to the source cloud between building and running the
        # command: a discovery warning there would come before its error.
        sessions.demote_discovery_warnings()

    @property
    def auth_required(self):
        """OSC logs in to the source cloud, unless it is a bundle.

        Read by OSC before the arguments are parsed: from its words
        (from_bundle.named); the destination is logged in to all the same.
        """
        return not from_bundle.named(
            getattr(self.app, 'command_options', None))

    def run(self, parsed_args):
        """Report usage errors with status 2 and bulk failures after rows.

        SIGTERM is Ctrl-C while the command runs (run/signals.py); outside
        the copies (logging in, planning) it ends the command with one
        line and 143.
        """
        try:
            with signals.sigterm_as_interrupt(), \
                    sessions.discovery_warnings_at_debug():
                result = super().run(parsed_args)
        except model.UsageError as e:
            self.log.error(str(e))
            return e.exit_status
        except signals.Terminated:
            self.log.error(_('Terminated (SIGTERM)'))
            return rows.EXIT_TERMINATED
        return result or self.exit_status

    def source_clients(self) -> sessions.CloudClients:
        """The source cloud's clients, logged in by OSC on first use.

        ``image_migrate`` is the attribute OSC's client manager gets from
        this plugin (plugin.make_client), unknown to its type.
        """
        manager: Any = self.app.client_manager
        with http.translated('source cloud'):
            clients: sessions.CloudClients = manager.image_migrate
        return clients

    def clients(self, parsed_args: argparse.Namespace) -> tuple[
            sessions.CloudClients, sessions.CloudClients]:
        return self.source_clients(), sessions.dest_clients(
            self.app.cloud_config, parsed_args.dest_cloud)

    def plan_listing(self, plan, long=False):
        columns = rows.PLAN_COLUMNS + (rows.PLAN_LONG_COLUMNS if long else ())
        return columns, [rows.plan_row(item, long) for item in plan]


class PlanImageMigration(_MigrateCommand):
    _description = _('Show what migrating images to another cloud would do '
                     '(writes nothing)')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        selection_options.add_selection_options(parser)
        parser.add_argument(
            '--long', action='store_true', default=False,
            help=_('List additional fields in output'),
        )
        parser.add_argument(
            '--inspect', action='store_true', default=False,
            help=_('Read the first MiB of each image to copy and block '
                   'those whose data Glance would refuse (default: not '
                   'read; migrate stops them after their first MiB)'),
        )
        parser.add_argument(
            '--shards', metavar='<count>', type=option_types.count(1),
            help=_('Add a Shard column: the index (from 0) of the shard '
                   'each image falls in when this plan, saved to a file, '
                   'is run in <count> shards by "image migrate --shard '
                   '<index>/<count>"'),
        )
        parser.add_argument(
            '--detailed-exit-code', action='store_true', default=False,
            help=_('Exit with 0 when the destination is in sync, 3 when '
                   'migrate has something to do, 4 when an image needs the '
                   'operator (default: 0 whatever the plan)'),
        )
        return parser

    def take_action(self, parsed_args):
        if parsed_args.from_bundle:
            plan = from_bundle.plan(self, parsed_args).plan
        elif parsed_args.to_bundle:
            plan = to_bundle.plan(self, parsed_args).plan
        else:
            plan = self.plan(parsed_args)
        if parsed_args.inspect:
            source = self.source_clients()
            with http.translated('source cloud'):
                inspection.inspect_plan(source, plan)
        if parsed_args.detailed_exit_code:
            self.exit_status = rows.plan_exit_status(plan)
        columns, listed = self.plan_listing(plan, parsed_args.long)
        if parsed_args.shards is None:
            return columns, listed
        shard_of = sharding.plan_shards(plan, parsed_args.shards)
        return columns + ('Shard',), [
            row + (shard_of[item.source_id],)
            for item, row in zip(plan, listed)]

    def plan(self, parsed_args):
        selection = selection_options.selection_from_args(parsed_args)
        source, dest = self.clients(parsed_args)
        plan = survey.compute_plan(source, dest, selection,
                                   keep_ids=parsed_args.keep_ids)[0]
        return upload_method.annotate_plan(plan, parsed_args.upload_method,
                                           dest)


class MigrateImage(_MigrateCommand):
    _description = _('Migrate images, with their data and metadata, to '
                     'another cloud')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        selection_options.add_selection_options(parser)
        parser.add_argument(
            '--all', action='store_true', default=False,
            help=_('Allow a run that selects every image of the source '
                   'cloud (no image or project given)'),
        )
        parser.add_argument(
            '--dry-run', action='store_true', default=False,
            help=_('Print the plan rows this command would carry out, '
                   'and write nothing (with --plan-file and --shard: the '
                   're-checked rows of that shard of the plan file; '
                   'default: carry them out)'),
        )
        parser.add_argument(
            '--plan-file', metavar='<plan-file>',
            help=_('Carry out a plan saved with "image migrate plan -f '
                   'json", re-checked against both clouds first'),
        )
        parser.add_argument(
            '--shard', metavar='<index>/<count>', type=option_types.shard,
            help=_('With --plan-file, carry out only this shard of the '
                   'plan; run 0/<count> .. <count-1>/<count> on as many '
                   'hosts (disjoint, balanced by bytes)'),
        )
        parser.add_argument(
            '--parallel', metavar='<count>', type=option_types.count(1),
            default=4,
            help=_('Number of images to copy at once (default: 4)'),
        )
        parser.add_argument(
            '--retries', metavar='<count>', type=option_types.count(0),
            default=3,
            help=_('Attempts per image after a transient error such as a '
                   'reset connection or HTTP 5xx (default: 3)'),
        )
        progress_group = parser.add_mutually_exclusive_group()
        progress_group.add_argument(
            '--progress', dest='progress', action='store_true',
            default=None,
            help=_('Show progress on stderr (default: when stderr is a '
                   'terminal)'),
        )
        progress_group.add_argument(
            '--no-progress', dest='progress', action='store_false',
            help=_('Do not show progress'),
        )
        parser.add_argument(
            '--limit-rate', metavar='<rate>', type=option_types.rate,
            help=_('Cap the bandwidth of the whole run, all parallel copies '
                   'together, in bytes per second; K, M and G mean KiB, MiB '
                   'and GiB (e.g. 50M; default: no limit)'),
        )
        check_group = parser.add_mutually_exclusive_group()
        check_group.add_argument(
            '--check-format', dest='check_format', action='store_true',
            default=None,
            help=_('Inspect the first bytes of each image and stop one '
                   'whose data does not match its disk_format or fails '
                   'the safety checks Glance applies, before the rest is '
                   'sent (default)'),
        )
        check_group.add_argument(
            '--no-check-format', dest='check_format', action='store_false',
            help=_('Send the data without inspecting it; the destination '
                   'Glance still applies its own checks at the end'),
        )
        parser.add_argument(
            '--stall-timeout', metavar='<seconds>',
            type=option_types.positive_seconds,
            default=http.STALL_TIMEOUT,
            help=_('Give up a data connection on which no byte moved for '
                   'this long (a source silent for 2 s is already asked '
                   'again from its next byte); a stalled upload fails the '
                   'attempt (default: %s)')
            % http.STALL_TIMEOUT,
        )
        parser.add_argument(
            '--long', action='store_true', default=False,
            help=_('With --dry-run, list additional fields in output'),
        )
        return parser

    def take_action(self, parsed_args):
        if parsed_args.from_bundle:
            return from_bundle.migrate(self, parsed_args)
        if parsed_args.to_bundle:
            return to_bundle.migrate(self, parsed_args)
        selection = self.selection(parsed_args)
        source, dest = self.clients(parsed_args)
        plan, missing = self.plan_to_carry_out(parsed_args, selection,
                                               source, dest)
        if parsed_args.dry_run:
            return self.plan_listing(upload_method.annotate_plan(
                plan + missing, parsed_args.upload_method, dest),
                parsed_args.long)
        results, interrupted = self.carry_out(
            self.executor(parsed_args, source, dest), plan)
        self.exit_status = rows.run_exit_status(results, missing, interrupted)
        return rows.RESULT_COLUMNS, (
            [rows.result_row(r) for r in results]
            + [rows.missing_row(item) for item in missing])

    def selection(self, parsed_args):
        """What the options select; their usage errors before any read."""
        if parsed_args.shard is not None and not parsed_args.plan_file:
            raise model.UsageError(_('--shard needs --plan-file: '
                                     'every shard runs the same plan'))
        return selection_options.selection_from_args(parsed_args)

    def plan_to_carry_out(self, parsed_args, selection, source, dest):
        """``(plan, missing)``, the same with and without --dry-run.

        With --plan-file: its rows (of --shard only) planned again, and
        ``missing`` the rows of its images gone from the source; otherwise
        a fresh plan of the selection, and no ``missing``.
        """
        if parsed_args.plan_file:
            saved = plan_file.load_plan_file(parsed_args.plan_file)
            plan, missing = plan_file.recheck_plan(
                source, dest, saved, selection, parsed_args.keep_ids,
                shard=parsed_args.shard)
            return plan, [plan_file.missing_item(image_id, saved[image_id])
                          for image_id in missing]
        plan, resolved = survey.compute_plan(
            source, dest, selection, keep_ids=parsed_args.keep_ids)
        self.check_whole_cloud(parsed_args, resolved)
        return plan, []

    def check_whole_cloud(self, parsed_args, resolved):
        """Refuse a selection of every image without --all.

        A dry run prints that plan all the same, so that it can be
        reviewed before --all is added, and warns that the run would not.
        """
        if parsed_args.all or not selection_mod.is_whole_cloud(resolved):
            return
        if not parsed_args.dry_run:
            raise model.UsageError(rows.WHOLE_CLOUD)
        self.log.warning(_('Without --dry-run this is refused: %s'),
                         rows.WHOLE_CLOUD)

    def executor(self, parsed_args, source, dest):
        """The run's executor, its upload method checked first."""
        chooser = upload_method.chooser_for(parsed_args.upload_method, dest)
        limiter = (bandwidth.Limiter(parsed_args.limit_rate)
                   if parsed_args.limit_rate is not None else None)
        stream_options = options.StreamOptions(
            check_format=parsed_args.check_format is not False,
            limiter=limiter, method=chooser,
            stall_timeout=parsed_args.stall_timeout)
        return executor.Executor(
            source, dest, parallel=parsed_args.parallel,
            retries=parsed_args.retries, keep_ids=parsed_args.keep_ids,
            stream_options=stream_options,
            progress=self._progress(parsed_args),
            upload_slots=survey.upload_slots(dest),
            offloads=self.offloads(parsed_args, source, dest,
                                   stream_options))

    @staticmethod
    def offloads(parsed_args, source, dest, stream_options):
        """The run's paths other than the stream (copying/offload.py)."""
        rbd = rbd_copy.RbdCopy(source, dest, stream_options)
        return offload.Offloads(
            paths=dict(glance_download.for_clouds(source, dest),
                       **{data_paths.RBD: rbd}),
            forced=parsed_args.data_path != data_paths.AUTO,
            before_stream=rbd.before_stream)

    @staticmethod
    def carry_out(runner, plan):
        """``(results, interrupted)``: Ctrl-C stops the copies, not the rows.

        The copies stopped by Ctrl-C (or SIGTERM) are in the results as
        failed, so the rows of the whole plan are printed before the exit
        status 130 (143). ``interrupted``: False, or the interruption.
        """
        try:
            return runner.run(plan), False
        except KeyboardInterrupt as interruption:
            return runner.run_results(plan), interruption

    def _progress(self, parsed_args):
        stream = self.app.stderr
        show = parsed_args.progress
        if show is None:
            show = hasattr(stream, 'isatty') and stream.isatty()
        return progress_mod.Progress(stream) if show else None
