# SPDX-License-Identifier: Apache-2.0
"""The commands: parsers, selection from options, rows and exit status."""

import io
import logging
from unittest import mock

import fixtures
from osc_lib.command import command
from osc_lib.test import base
import pytest
import yaml

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import plan_file
from osc_image_migrate.cloud import survey
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import selection
from osc_image_migrate.run import executor
from osc_image_migrate.v1 import image_migrate
from osc_image_migrate.v1 import rows
from osc_image_migrate.v1 import selection_options
from tests.unit.fakes.plan_rows import plan_item


def parse_error(cmd, args):
    """(exit status, stderr) of a command line that argparse refuses."""
    stderr = io.StringIO()
    with mock.patch('sys.stderr', stderr):
        try:
            cmd.get_parser('image migrate').parse_args(args)
        except SystemExit as e:
            return e.code, stderr.getvalue()
    raise AssertionError('%s parsed' % args)


class TestParsers(base.TestCommand):

    def setUp(self):
        super().setUp()
        self.plan_cmd = image_migrate.PlanImageMigration(self.app, None)
        self.migrate_cmd = image_migrate.MigrateImage(self.app, None)

    def test_plan_options(self):
        parsed = self.check_parser(self.plan_cmd, [
            '--dest-cloud', 'dst', 'a', '--image', 'b', '--exclude-image',
            'c', '--project', 'p1', '--project', 'p2', '--updated-since',
            '2024-01-31', '--no-public-and-shared', '--map-project',
            'old=new', '--long'], [
            ('dest_cloud', 'dst'), ('images', ['a']),
            ('more_images', ['b']), ('exclude_image', ['c']),
            ('project', ['p1', 'p2']), ('updated_since', '2024-01-31'),
            ('public_and_shared', False), ('map_project', {'old': 'new'}),
            ('long', True)])
        chosen = selection_options.selection_from_args(parsed)
        self.assertEqual(['a', 'b'], chosen.images)
        self.assertFalse(chosen.include_public_and_shared)
        self.assertEqual({'old': 'new'}, chosen.project_map)

    def test_public_and_shared_defaults_to_none(self):
        parsed = self.check_parser(self.plan_cmd, ['--dest-cloud', 'd'],
                                   [('public_and_shared', None)])
        self.assertTrue(
            selection_options.selection_from_args(parsed)
            .include_public_and_shared)

    def test_dest_cloud_is_required(self):
        self.assertRaises(base.ParserException, self.check_parser,
                          self.plan_cmd, [], [])

    def test_migrate_options(self):
        self.check_parser(self.migrate_cmd, [
            '--dest-cloud', 'dst', '--all', '--parallel', '8', '--retries',
            '0', '--no-progress', '--keep-ids', '--plan-file', 'p.json',
            '--dry-run'], [
            ('all', True), ('parallel', 8), ('retries', 0),
            ('progress', False), ('keep_ids', True),
            ('plan_file', 'p.json'), ('dry_run', True)])

    def test_option_values_are_parsed_by_their_types(self):
        self.check_parser(self.migrate_cmd, [
            '--dest-cloud', 'd', '--plan-file', 'p.json', '--shard', '1/3',
            '--limit-rate', '1.5M', '--parallel', '1', '--retries', '0'], [
            ('shard', (1, 3)), ('limit_rate', 3 * 2 ** 19), ('parallel', 1),
            ('retries', 0)])
        self.check_parser(self.migrate_cmd, ['--dest-cloud', 'd'], [
            ('shard', None), ('limit_rate', None), ('parallel', 4),
            ('retries', 3)])
        self.check_parser(self.plan_cmd, ['--dest-cloud', 'd', '--shards',
                                          '1'], [('shards', 1)])

    def test_bad_option_values_are_usage_errors(self):
        for cmd, args, message in [
                (self.migrate_cmd, ['--parallel', 'x'],
                 "argument --parallel: 'x' is not a whole number"),
                (self.migrate_cmd, ['--retries', '-1'],
                 'argument --retries: must be at least 0, not -1'),
                (self.migrate_cmd, ['--limit-rate', '0'],
                 "argument --limit-rate: '0' is not a rate"),
                (self.migrate_cmd, ['--shard', '3/3'],
                 "argument --shard: '3/3': the index counts from 0"),
                (self.migrate_cmd, ['--shard', '1'],
                 "argument --shard: '1' is not <index>/<count>"),
                (self.plan_cmd, ['--shards', '0'],
                 'argument --shards: must be at least 1, not 0')]:
            with self.subTest(args=args):
                status, stderr = parse_error(cmd, ['--dest-cloud', 'd']
                                             + args)
                self.assertEqual(2, status)
                self.assertIn(message, stderr)
                self.assertTrue(stderr.startswith('usage: '), stderr)

    def test_filter_file_switch_applies_unless_option_given(self):
        path = self.write_tmp('f.yaml', yaml.safe_dump({'images': {
            'dont_include_public_and_members_from_other_tenants': True}}))
        parsed = self.check_parser(self.plan_cmd, [
            '--dest-cloud', 'd', '--filter-file', path], [])
        self.assertFalse(selection_options.selection_from_args(parsed)
                         .include_public_and_shared)

    def test_bad_date_is_usage_error(self):
        for value in ('soon', ''):
            parsed = self.check_parser(self.plan_cmd, [
                '--dest-cloud', 'd', '--updated-since', value], [])
            self.assertRaises(model.UsageError,
                              selection_options.selection_from_args, parsed)

    def write_tmp(self, name, text):
        folder = self.useFixture(fixtures.TempDir()).path
        path = '%s/%s' % (folder, name)
        with open(path, 'w') as f:
            f.write(text)
        return path


def _clients():
    """Mock (source, destination) clients that answer once() by asking."""
    source, dest = mock.Mock(), mock.Mock()
    for clients in (source, dest):
        clients.once.side_effect = lambda question, ask: ask()
    return source, dest


class TestRunAndExitStatus(base.TestCommand):

    def setUp(self):
        super().setUp()
        self.cmd = image_migrate.MigrateImage(self.app, None)
        self.cmd.clients = mock.Mock(return_value=_clients())
        self.app.stderr = mock.Mock(isatty=mock.Mock(return_value=False))

    def run_cmd(self, args, plan, results=None, whole=False):
        parsed = self.check_parser(self.cmd, ['--dest-cloud', 'd'] + args,
                                   [])
        resolved = selection.ResolvedSelection()
        with mock.patch.object(
                survey, 'compute_plan',
                return_value=(plan, resolved)), \
                mock.patch.object(selection, 'is_whole_cloud',
                                  return_value=whole), \
                mock.patch.object(executor.Executor, 'run',
                                  return_value=results or []), \
                mock.patch.object(self.cmd, 'produce_output') as output:
            status = self.cmd.run(parsed)
        return status, output

    def result(self, outcome):
        return executor.Result(source_id='s1', dest_id='s1', name='img',
                               result=outcome, size=10, seconds=1.0,
                               rate=2 * 2 ** 20, detail='')

    def test_all_migrated_exits_zero(self):
        status, output = self.run_cmd(['a'], [plan_item()],
                                      [self.result('migrated')])
        self.assertEqual(0, status)
        columns, listed = output.call_args[0][1:]
        self.assertEqual(rows.RESULT_COLUMNS, columns)
        self.assertEqual(('s1', 's1', 'img', 'migrated', 10, 1.0, 2.0, ''),
                         list(listed)[0])

    def test_failure_exits_one_after_printing_rows(self):
        status, output = self.run_cmd(
            ['a'], [plan_item(), plan_item('s2')],
            [self.result('migrated'), self.result('failed')])
        self.assertEqual(1, status)
        self.assertEqual(2, len(list(output.call_args[0][2])))

    def test_blocked_counts_as_not_migrated(self):
        status, _ = self.run_cmd(['a'], [plan_item()],
                                 [self.result('blocked')])
        self.assertEqual(1, status)

    def test_whole_cloud_needs_all(self):
        status, output = self.run_cmd([], [plan_item()], whole=True)
        self.assertEqual(2, status)
        output.assert_not_called()

    def test_whole_cloud_with_all_runs(self):
        status, _ = self.run_cmd(['--all'], [plan_item()],
                                 [self.result('skipped')], whole=True)
        self.assertEqual(0, status)

    def test_bad_parallel_is_usage_error(self):
        status, stderr = parse_error(self.cmd, [
            '--dest-cloud', 'd', 'a', '--parallel', '0'])
        self.assertEqual(2, status)
        self.assertIn('argument --parallel: must be at least 1', stderr)

    def test_dry_run_prints_plan_and_runs_nothing(self):
        with mock.patch.object(executor, 'Executor') as executor_class:
            status, output = self.run_cmd(['a', '--dry-run'], [plan_item()])
        executor_class.assert_not_called()
        columns, listed = output.call_args[0][1:]
        self.assertEqual(rows.PLAN_COLUMNS, columns)

    def test_dry_run_of_whole_cloud_prints_plan_and_warns(self):
        with mock.patch.object(executor, 'Executor') as executor_class, \
                mock.patch.object(self.cmd.log, 'warning') as warning:
            status, output = self.run_cmd(['--dry-run'], [plan_item()],
                                          whole=True)
        self.assertEqual(0, status)
        executor_class.assert_not_called()
        self.assertEqual(['s1'], [row[0] for row in output.call_args[0][2]])
        self.assertIn('--all', warning.call_args[0][1])

    def test_ctrl_c_prints_rows_and_exits_130(self):
        parsed = self.check_parser(self.cmd, ['--dest-cloud', 'd', 'a'], [])
        named = selection.ResolvedSelection(image_ids=['s1'])
        with mock.patch.object(survey, 'compute_plan',
                               return_value=([plan_item()], named)), \
                mock.patch.object(executor.Executor, 'run',
                                  side_effect=KeyboardInterrupt), \
                mock.patch.object(self.cmd, 'produce_output') as output:
            status = self.cmd.run(parsed)
        self.assertEqual(130, status)
        row, = output.call_args[0][2]
        self.assertEqual(('s1', None, 'img', 'failed'), row[:4])

    def test_shard_needs_plan_file(self):
        with mock.patch.object(self.cmd.log, 'error') as error:
            status, output = self.run_cmd(['a', '--shard', '0/3'], [])
        self.assertEqual(2, status)
        self.assertIn('--shard needs --plan-file', error.call_args[0][0])
        output.assert_not_called()


class TestPlanFileRun(base.TestCommand):
    """``--plan-file``: the same plan with and without --dry-run."""

    SAVED = {'s1': {'Source ID': 's1', 'Action': 'copy'},
             'gone': {'Source ID': 'gone', 'Name': 'old', 'Action': 'copy',
                      'Dest ID': 'gone', 'Selected': ['named']}}

    def setUp(self):
        super().setUp()
        self.cmd = image_migrate.MigrateImage(self.app, None)
        self.cmd.clients = mock.Mock(return_value=_clients())
        self.app.stderr = mock.Mock(isatty=mock.Mock(return_value=False))

    def run_cmd(self, *args):
        """(status, columns, rows, recheck_plan mock, Executor.run mock)."""
        parsed = self.check_parser(self.cmd, [
            '--dest-cloud', 'd', '--plan-file', 'plan.json', '--shard',
            '0/3'] + list(args), [])
        result = executor.Result(source_id='s1', dest_id='s1', name='img',
                                 result='migrated', size=10, seconds=1.0,
                                 rate=1, detail='')
        with mock.patch.object(plan_file, 'load_plan_file',
                               return_value=self.SAVED), \
                mock.patch.object(plan_file, 'recheck_plan', return_value=(
                    [plan_item()], ['gone'])) as recheck, \
                mock.patch.object(survey, 'compute_plan') as fresh, \
                mock.patch.object(executor.Executor, 'run',
                                  return_value=[result]) as run, \
                mock.patch.object(self.cmd, 'produce_output') as output:
            status = self.cmd.run(parsed)
        fresh.assert_not_called()
        self.assertEqual((0, 3), recheck.call_args[1]['shard'])
        self.assertEqual(self.SAVED, recheck.call_args[0][2])
        columns, listed = output.call_args[0][1:]
        return status, columns, list(listed), run

    def test_dry_run_shows_the_rechecked_shard_and_missing_rows(self):
        status, columns, listed, run = self.run_cmd('--dry-run')
        self.assertEqual(0, status)
        run.assert_not_called()
        self.assertEqual(rows.PLAN_COLUMNS, columns)
        self.assertEqual(['s1', 'gone'], [row[0] for row in listed])
        gone = dict(zip(columns, listed[1]))
        self.assertEqual(('old', planner.BLOCKED, 'gone',
                          'source image no longer exists'),
                         (gone['Name'], gone['Action'], gone['Dest ID'],
                          gone['Reason']))
        self.assertEqual(['named'], gone['Selected'].machine_readable())

    def test_the_run_carries_out_the_rows_the_dry_run_shows(self):
        dry_ids = [row[0] for row in self.run_cmd('--dry-run')[2]]
        status, columns, listed, run = self.run_cmd()
        self.assertEqual(1, status)  # an image of the plan is gone
        self.assertEqual(['s1'], [i.source_id for i in run.call_args[0][0]])
        self.assertEqual(rows.RESULT_COLUMNS, columns)
        self.assertEqual(dry_ids, [row[0] for row in listed])
        self.assertEqual(('gone', None, None, 'failed'), listed[1][:4])


def test_osc_login_to_the_source_shows_no_discovery_warning(caplog):
    """OSC logs in to the source between building the command and its run.

    A cacert that does not verify the source's Keystone fails that login,
    before the command runs: its discovery warning must not come first.
    """
    logger = logging.getLogger('keystoneauth.identity.generic.base')

    def discovery_warning():
        logger.warning('Failed to discover available identity versions '
                       'when contacting %s.', 'https://k')

    with caplog.at_level(logging.DEBUG):
        cmd = image_migrate.PlanImageMigration(mock.Mock(), None)
        discovery_warning()  # OSC's login, before the run
        with mock.patch.object(command.Lister, 'run', return_value=0):
            assert cmd.run(mock.Mock()) == 0
        discovery_warning()  # after the run: the warning's own level
    assert [r.levelname for r in caplog.records
            if r.name == logger.name] == ['DEBUG', 'WARNING']


def _parse(*args):
    parser = image_migrate.MigrateImage(mock.Mock(), None).get_parser('x')
    return parser.parse_args(['--dest-cloud', 'd', 'img'] + list(args))


def test_stall_timeout_option_defaults_to_the_documented_value():
    assert _parse().stall_timeout == http.STALL_TIMEOUT == 30
    assert _parse('--stall-timeout', '2').stall_timeout == 2.0


def test_stall_timeout_option_refuses_zero(capsys):
    with pytest.raises(SystemExit) as stopped:
        _parse('--stall-timeout', '0')
    assert stopped.value.code == 2
    assert 'must be more than 0 seconds' in capsys.readouterr().err


@pytest.mark.parametrize('command', [image_migrate.PlanImageMigration,
                                     image_migrate.MigrateImage])
def test_data_path_is_auto_unless_chosen(command):
    parser = command(mock.Mock(), None).get_parser('image migrate')
    assert parser.parse_args(['--dest-cloud', 'd']).data_path == 'auto'
    assert parser.parse_args(['--dest-cloud', 'd', '--data-path',
                              'stream']).data_path == 'stream'


def test_an_unknown_data_path_is_a_usage_error():
    status, stderr = parse_error(
        image_migrate.MigrateImage(mock.Mock(), None),
        ['--dest-cloud', 'd', '--data-path', 'rsync'])
    assert status == 2
    assert "argument --data-path: invalid choice: 'rsync'" in stderr
