# SPDX-License-Identifier: Apache-2.0
"""plan and migrate --from-bundle: no source login, options checked."""

from unittest import mock

import pytest

from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.v1 import from_bundle
from osc_image_migrate.v1 import image_migrate


def parsed(command, *args):
    parser = command(mock.Mock(), None).get_parser('image migrate')
    return parser.parse_args(list(args))


@pytest.mark.parametrize('argv, named', [
    (['--os-cloud', 'd', 'image', 'migrate', '--from-bundle', '/b'], True),
    (['image', 'migrate', '--from-bundle=/b', '--dest-cloud', 'd'], True),
    (['image', 'migrate', '--from-b', '/b'], True),
    (['image', 'migrate', '--fr', '/b'], True),
    (['image', 'migrate', '--f', '/b'], False),
    (['image', 'migrate', '--dest-cloud', 'd', 'img'], False),
    (['image', 'migrate', '--dest-cloud', 'd', '--', '--from-bundle'],
     False),
    (None, False),
])
def test_a_bundle_source_is_seen_before_the_arguments_are_parsed(
        argv, named):
    assert from_bundle.named(argv) is named


@pytest.mark.parametrize('command', [image_migrate.PlanImageMigration,
                                     image_migrate.MigrateImage])
def test_osc_logs_in_to_no_source_for_a_bundle(command):
    app = mock.Mock(command_options=['image', 'migrate', '--from-bundle',
                                     '/b', '--dest-cloud', 'd'])
    assert command(app, None).auth_required is False
    app.command_options = ['image', 'migrate', '--dest-cloud', 'd']
    assert command(app, None).auth_required is True


@pytest.mark.parametrize('args, message', [
    (['--to-bundle', '/c'], '--to-bundle (copy the directory instead): '
     'not with --from-bundle'),
    (['--dest-cloud', 'd', '--data-path', 'stream'],
     '--data-path stream: not with --from-bundle'),
])
def test_options_of_other_paths_are_one_usage_error(args, message):
    with pytest.raises(model.UsageError) as e:
        from_bundle.check_options(parsed(image_migrate.MigrateImage,
                                         '--from-bundle', '/b', *args))
    assert str(e.value).startswith(message)
    assert e.value.exit_status == 2 and '\n' not in str(e.value)


def test_a_plan_file_and_its_shards_spread_an_import_over_hosts():
    from_bundle.check_options(parsed(
        image_migrate.MigrateImage, '--from-bundle', '/b', '--dest-cloud',
        'd', '--plan-file', 'p.json', '--shard', '0/2'))


def test_upload_method_and_mappings_are_the_import_s(tmp_path):
    args = parsed(image_migrate.MigrateImage, '--from-bundle', '/b',
                  '--dest-cloud', 'd', '--upload-method', 'glance-direct',
                  '--map-project', 'a=b', '--orphans-to', 'c')
    from_bundle.check_options(args)


def test_a_directory_that_is_no_bundle_is_one_line(caplog, tmp_path):
    app = mock.Mock()
    cmd = image_migrate.MigrateImage(app, None)
    args = cmd.get_parser('image migrate').parse_args(
        ['--from-bundle', str(tmp_path), '--dest-cloud', 'd', 'img'])
    assert cmd.run(args) == 2
    assert not app.client_manager.mock_calls
    assert not app.cloud_config.mock_calls
    assert len(caplog.messages) == 1
    assert 'no manifest' in caplog.messages[0]


def test_rows_whose_data_the_bundle_lacks_are_blocked():
    bundle = mock.Mock()
    bundle.missing_data.side_effect = lambda i: (
        'not there' if i == 'a' else None)
    plan = [planner.PlanItem('a', action=planner.COPY),
            planner.PlanItem('b', action=planner.COPY),
            planner.PlanItem('c', action=planner.UPDATE)]
    from_bundle.block_missing(plan, bundle)
    assert [(i.action, i.reason) for i in plan] == [
        (planner.BLOCKED, 'not there'), (planner.COPY, ''),
        (planner.UPDATE, '')]
