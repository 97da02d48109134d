# SPDX-License-Identifier: Apache-2.0
"""plan and migrate --to-bundle: their options, checked before any read."""

from unittest import mock

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate import model
from osc_image_migrate.v1 import image_migrate
from osc_image_migrate.v1 import to_bundle


def parsed(command, *args):
    parser = command(mock.Mock(), None).get_parser('image migrate')
    return parser.parse_args(list(args))


@pytest.mark.parametrize('command', [image_migrate.PlanImageMigration,
                                     image_migrate.MigrateImage])
def test_a_bundle_replaces_the_destination_cloud(command):
    args = parsed(command, '--to-bundle', '/b')
    assert (args.to_bundle, args.dest_cloud) == ('/b', None)
    to_bundle.check_options(args)
    with pytest.raises(SystemExit):
        parsed(command, '--to-bundle', '/b', '--dest-cloud', 'd')


@pytest.mark.parametrize('args, message', [
    (['--data-path', 'stream'], '--data-path stream: not with --to-bundle'),
    (['--upload-method', 'put'], '--upload-method put: not with'),
])
def test_options_of_other_paths_are_one_usage_error(args, message):
    with pytest.raises(model.UsageError) as e:
        to_bundle.check_options(parsed(image_migrate.MigrateImage,
                                       '--to-bundle', '/b', *args))
    assert str(e.value).startswith(message)
    assert e.value.exit_status == 2 and '\n' not in str(e.value)
    assert str(e.value).endswith('fresh plan)')


def test_a_plan_file_and_its_shards_spread_an_export_over_hosts():
    args = parsed(image_migrate.MigrateImage, '--to-bundle', '/b',
                  '--plan-file', 'p.json', '--shard', '0/2')
    to_bundle.check_options(args)
    assert (args.plan_file, args.shard) == ('p.json', (0, 2))


def test_the_command_reports_them_before_reading_a_cloud(caplog):
    app = mock.Mock()
    cmd = image_migrate.MigrateImage(app, None)
    args = cmd.get_parser('image migrate').parse_args(
        ['--to-bundle', '/b', '--data-path', 'stream'])
    assert cmd.run(args) == 2
    assert not app.client_manager.mock_calls
    assert caplog.messages == [
        '--data-path stream: not with --to-bundle (a bundle is its own '
        'data path, written from a fresh plan)']


def test_a_manifest_that_cannot_be_written_is_one_line_after_the_rows():
    cmd, writer = mock.Mock(), mock.Mock()
    writer.write_manifest.side_effect = layout.BundleError(
        'bundle /b: cannot write manifest.json: No space left on device; '
        'the next run writes it')
    assert to_bundle._write_manifest(cmd, writer) is True
    cmd.log.error.assert_called_once_with(
        'bundle /b: cannot write manifest.json: No space left on device; '
        'the next run writes it')
    writer.unlock.assert_called_once_with()
    writer = mock.Mock()
    assert to_bundle._write_manifest(cmd, writer) is False
    writer.unlock.assert_called_once_with()
