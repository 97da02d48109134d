# SPDX-License-Identifier: Apache-2.0
"""The sandbox is real and the plugin is wired into ``openstack``."""

import hashlib
import json
import os
import uuid


def test_image_round_trip_and_burned_id_through_cli(sandbox, tmp_path):
    image_id = str(uuid.uuid4())
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / 'in.raw'
    source.write_bytes(data)
    created = json.loads(sandbox.openstack(
        'image', 'create', '--id', image_id, '--disk-format', 'raw',
        '--container-format', 'bare', '--file', str(source),
        'wiring-%s' % image_id[:8], '-f', 'json').stdout)
    assert created['id'] == image_id

    saved = tmp_path / 'out.raw'
    sandbox.openstack('image', 'save', '--file', str(saved), image_id)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == \
        hashlib.sha256(data).hexdigest()

    sandbox.openstack('image', 'delete', image_id)
    reused = sandbox.openstack(
        'image', 'create', '--id', image_id, '--disk-format', 'raw',
        '--container-format', 'bare', 'reuse', check=False)
    assert reused.returncode != 0
    assert '409' in reused.stderr or 'already exists' in reused.stderr


def test_clouds_have_their_own_keystone(sandbox):
    assert sandbox.project_id('src', 'demo') != \
        sandbox.project_id('dst', 'demo')
    assert sandbox.project_id('src', 'alt_demo') != \
        sandbox.project_id('dst', 'alt_demo')


def test_help_image_lists_both_commands(sandbox):
    out = sandbox.openstack('help', 'image', cloud=None, check=False)
    listing = out.stdout + out.stderr
    assert 'image migrate\n' in listing or 'image migrate ' in listing
    assert 'image migrate plan' in listing


def test_plan_help_through_cli(sandbox):
    # cliff turns "cmd --opt x --help" into "help cmd --opt x", which its
    # help command rejects for every OSC command (image list --long --help
    # too); "cmd --help" and "help cmd" work.
    out = sandbox.openstack('image', 'migrate', 'plan', '--help')
    for option in ('--dest-cloud', '--image', '--exclude-image',
                   '--project', '--updated-since', '--no-public-and-shared',
                   '--filter-file', '--map-project', '--long'):
        assert option in out.stdout
    assert 'Traceback' not in out.stderr


def test_migrate_help_has_run_options(sandbox):
    out = sandbox.openstack('image', 'migrate', '--help')
    for option in ('--all', '--dry-run', '--plan-file', '--parallel',
                   '--retries', '--no-progress', '--keep-ids'):
        assert option in out.stdout


def test_word_prefix_routes_to_plan(sandbox):
    out = sandbox.openstack('image', 'migrate', 'pl', '--help')
    assert '--long' in out.stdout and '--plan-file' not in out.stdout


def test_unknown_dest_cloud_is_one_line(sandbox):
    out = sandbox.openstack('image', 'migrate', 'plan', '--dest-cloud',
                            'nosuch', check=False)
    assert out.returncode != 0
    assert 'Traceback' not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert 'nosuch' in lines[0] and 'not found' in lines[0]
    assert out.stdout == ''
