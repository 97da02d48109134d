# SPDX-License-Identifier: Apache-2.0
"""The commands: parsers, selection from options, rows and exit status."""

from unittest import mock

import fixtures
from osc_lib.test import base
import yaml

from osc_image_migrate.cloud import survey
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import selection
from osc_image_migrate.run import executor
from osc_image_migrate.v1 import image_migrate


def plan_item(source_id='s1', action=planner.COPY, **kwargs):
    fields = dict(
        source_id=source_id, name='img', owner='o', owner_name='demo',
        visibility='private', size=10, status='active', disk_format='raw',
        container_format='bare', action=action, dest_id=source_id,
        dest_owner='d', dest_owner_name='demo', reason='why',
        selected=['named'], members=[], depends_on=[],
        source_image={'id': source_id, 'hw_disk_bus': 'virtio',
                      'tags': ['t']},
        dest_image=None)
    fields.update(kwargs)
    return planner.PlanItem(**fields)


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
        chosen = image_migrate.selection_from_args(parsed)
        self.assertEqual(['a', 'b'], chosen.images)
        self.assertFalse(chosen.include_public_and_shared)
        self.assertEqual({'old': 'new'}, chosen.project_map)

    def test_public_and_shared_defaults_to_none(self):
        parsed = self.check_parser(self.plan_cmd, ['--dest-cloud', 'd'],
                                   [('public_and_shared', None)])
        self.assertTrue(
            image_migrate.selection_from_args(parsed)
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

    def test_filter_file_switch_applies_unless_option_given(self):
        path = self.write_tmp('f.yaml', yaml.safe_dump({'images': {
            'dont_include_public_and_members_from_other_tenants': True}}))
        parsed = self.check_parser(self.plan_cmd, [
            '--dest-cloud', 'd', '--filter-file', path], [])
        self.assertFalse(image_migrate.selection_from_args(parsed)
                         .include_public_and_shared)

    def test_bad_date_is_usage_error(self):
        for value in ('soon', ''):
            parsed = self.check_parser(self.plan_cmd, [
                '--dest-cloud', 'd', '--updated-since', value], [])
            self.assertRaises(model.UsageError,
                              image_migrate.selection_from_args, parsed)

    def write_tmp(self, name, text):
        folder = self.useFixture(fixtures.TempDir()).path
        path = '%s/%s' % (folder, name)
        with open(path, 'w') as f:
            f.write(text)
        return path


class TestRunAndExitStatus(base.TestCommand):

    def setUp(self):
        super().setUp()
        self.cmd = image_migrate.MigrateImage(self.app, None)
        self.cmd.clients = mock.Mock(return_value=(mock.Mock(), mock.Mock()))
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
        return executor.Result('s1', 's1', 'img', outcome, 10, 1.0,
                               2 * 2 ** 20, '')

    def test_all_migrated_exits_zero(self):
        status, output = self.run_cmd(['a'], [plan_item()],
                                      [self.result('migrated')])
        self.assertEqual(0, status)
        columns, rows = output.call_args[0][1:]
        self.assertEqual(image_migrate.RESULT_COLUMNS, columns)
        self.assertEqual(('s1', 's1', 'img', 'migrated', 10, 1.0, 2.0, ''),
                         list(rows)[0])

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
        status, output = self.run_cmd(['a', '--parallel', '0'], [])
        self.assertEqual(2, status)

    def test_dry_run_prints_plan_and_runs_nothing(self):
        with mock.patch.object(executor, 'Executor') as executor_class:
            status, output = self.run_cmd(['a', '--dry-run'], [plan_item()])
        executor_class.assert_not_called()
        columns, rows = output.call_args[0][1:]
        self.assertEqual(image_migrate.PLAN_COLUMNS, columns)


class TestPlanRows(base.TestCommand):

    def test_long_row_has_structured_values(self):
        row = image_migrate.plan_row(plan_item(), long=True)
        columns = image_migrate.PLAN_COLUMNS + \
            image_migrate.PLAN_LONG_COLUMNS
        values = dict(zip(columns, row))
        self.assertEqual({'hw_disk_bus': 'virtio'},
                         values['Properties'].machine_readable())
        self.assertEqual(['t'], values['Tags'].machine_readable())
        self.assertEqual(['named'], values['Selected'].machine_readable())


class TestWaves(base.TestCase):

    def test_dependencies_run_in_earlier_waves(self):
        plan = [plan_item('k'), plan_item('r'),
                plan_item('s', depends_on=['k', 'r']), plan_item('x')]
        waves = executor.waves(plan)
        self.assertEqual([['k', 'r', 'x'], ['s']],
                         [[i.source_id for i in w] for w in waves])
