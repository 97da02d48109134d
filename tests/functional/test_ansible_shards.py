# SPDX-License-Identifier: Apache-2.0
"""The documented Ansible play, run by ansible-core against the sandbox.

Three inventory hosts on this machine (local connection), each with a
plan folder that does not exist yet, run the play of the shards guide
itself (doc/source/user/examples/ansible-shards.yaml): what differs from
an operator's run comes in through -i and -e only.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
import uuid

from tests.functional.fixtures import sandbox as sandbox_fixture
from tests.functional.test_plan import ensure_project

KiB = 1024
PLAY = (sandbox_fixture.REPO / 'doc' / 'source' / 'user' / 'examples'
        / 'ansible-shards.yaml')
HOSTS = ('host-a', 'host-b', 'host-c')
RECAP = re.compile(r'^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+'
                   r'unreachable=(\d+)\s+failed=(\d+)', re.M)
BIN = pathlib.Path(sys.executable).parent


class Play:
    """An inventory of fresh hosts and the files the play hands out."""

    def __init__(self, sandbox, tmp_path):
        self.files = tmp_path / 'control'
        self.files.mkdir()
        shutil.copy(sandbox.clouds_yaml, self.files / 'clouds.yaml')
        self.roots = {h: tmp_path / h for h in HOSTS}
        self.inventory = tmp_path / 'hosts'
        self.inventory.write_text('[image_migrate]\n' + ''.join(
            '%s ansible_connection=local ansible_python_interpreter=%s '
            'image_migrate_plan_dir=%s\n' % (host, sys.executable,
                                             self.plan_dir(host))
            for host in HOSTS))
        self.env = dict(sandbox.env(), LC_ALL='C.UTF-8', ANSIBLE_NOCOLOR='1',
                        ANSIBLE_HOME=str(tmp_path / 'ansible-home'),
                        ANSIBLE_FORCE_COLOR='0')

    def plan_dir(self, host):
        return self.roots[host] / 'var' / 'lib' / 'image-migrate'

    def run(self, *extra, openstack=BIN / 'openstack'):
        """ansible-playbook on the documented play: (recap, output)."""
        result = subprocess.run(
            [str(BIN / 'ansible-playbook'), '-i', str(self.inventory),
             str(PLAY), '-e', 'image_migrate_files=%s' % self.files,
             '-e', 'image_migrate_openstack=%s' % openstack, *extra],
            env=self.env, capture_output=True, text=True, timeout=900)
        output = result.stdout + result.stderr
        recap = {m[0]: dict(zip(('ok', 'changed', 'unreachable', 'failed'),
                                map(int, m[1:])))
                 for m in RECAP.findall(output)}
        return result.returncode, recap, output

    def rows(self, host):
        path = self.plan_dir(host) / ('result-%s.json' % host)
        return json.loads(path.read_text())


def test_documented_play_on_three_fresh_hosts(sandbox, tmp_path):
    name = 'ansible-%s' % uuid.uuid4().hex[:8]
    owner = ensure_project(sandbox, 'src', name)
    ensure_project(sandbox, 'dst', name)
    ids = [sandbox.create_image(data=os.urandom((n + 1) * 32 * KiB),
                                owner=owner)['id'] for n in range(12)]
    play = Play(sandbox, tmp_path)
    plan = sandbox.openstack(
        'image', 'migrate', 'plan', '--dest-cloud', 'dst', '--project', name,
        '--no-public-and-shared', '--shards', str(len(HOSTS)),
        '-f', 'json').stdout
    (play.files / 'plan.json').write_text(plan)
    shard_of = {row['Source ID']: row['Shard'] for row in json.loads(plan)}
    assert sorted(shard_of) == sorted(ids)
    assert set(shard_of.values()) == set(range(len(HOSTS)))
    for host in HOSTS:
        assert not play.roots[host].exists()

    started = time.monotonic()
    code, recap, output = play.run()
    print('three-host ansible run: %.1f s' % (time.monotonic() - started))
    assert code == 0, output
    assert sorted(recap) == sorted(HOSTS), output
    rows = []
    for index, host in enumerate(HOSTS):
        assert recap[host]['failed'] == 0 and recap[host]['changed'] > 0
        mine = play.rows(host)
        assert {r['Source ID'] for r in mine} == {
            i for i, shard in shard_of.items() if shard == index}, host
        assert {r['Result'] for r in mine} == {'migrated'}, mine
        rows += mine
    assert sorted(r['Source ID'] for r in rows) == sorted(ids)
    for image_id in ids:
        assert sandbox.image('dst', image_id)['status'] == 'active'
        assert sandbox.image_data('dst', image_id) == sandbox.image_data(
            'src', image_id)

    # Again: nothing to do, nothing changed, every row skipped.
    code, recap, output = play.run()
    assert code == 0, output
    assert {h: r['changed'] for h, r in recap.items()} == dict.fromkeys(
        HOSTS, 0), output
    assert {r['Result'] for h in HOSTS for r in play.rows(h)} == {'skipped'}

    # One host again with --limit: its own shard, not shard 0 of 1.
    (play.plan_dir('host-c') / 'result-host-c.json').unlink()
    code, recap, output = play.run('--limit', 'host-c')
    assert code == 0, output
    assert sorted(recap) == ['host-c'], output
    assert {r['Source ID'] for r in play.rows('host-c')} == {
        i for i, shard in shard_of.items() if shard == 2}


def test_a_host_without_the_tool_is_told_what_it_needs(sandbox, tmp_path):
    play = Play(sandbox, tmp_path)
    (play.files / 'plan.json').write_text('[]')
    code, recap, output = play.run(
        '--limit', 'host-a', openstack=tmp_path / 'no-such' / 'openstack')
    assert code != 0
    assert recap['host-a']['failed'] == 1, output
    assert 'host-a cannot run' in output, output
    assert 'pip install osc-image-migrate==' in output, output
    # It stopped before touching the host.
    assert not play.roots['host-a'].exists()


def test_a_failed_image_fails_its_host_after_its_rows_are_written(
        sandbox, tmp_path):
    name = 'ansible-fail-%s' % uuid.uuid4().hex[:8]
    owner = ensure_project(sandbox, 'src', name)
    ensure_project(sandbox, 'dst', name)
    ids = [sandbox.create_image(data=os.urandom(32 * KiB), owner=owner)['id']
           for _ in HOSTS]
    play = Play(sandbox, tmp_path)
    plan = sandbox.openstack(
        'image', 'migrate', 'plan', '--dest-cloud', 'dst', '--project', name,
        '--no-public-and-shared', '--shards', str(len(HOSTS)),
        '-f', 'json').stdout
    (play.files / 'plan.json').write_text(plan)
    shard_of = {row['Source ID']: row['Shard'] for row in json.loads(plan)}
    # The source Glance loses the data of one image (its file is removed).
    lost = ids[0]
    data, = (sandbox_fixture.state_dir() / 'src' / 'glance').rglob(lost)
    data.unlink()
    failing = HOSTS[shard_of[lost]]

    code, recap, output = play.run()
    assert code != 0, output
    assert {h for h, r in recap.items() if r['failed']} == {failing}, output
    assert 'Shard %d/3 failed' % shard_of[lost] in output, output
    result = {r['Source ID']: r['Result']
              for h in HOSTS for r in play.rows(h)}
    assert result.pop(lost) == 'failed'
    assert set(result.values()) <= {'migrated'}
    assert sorted(result) == sorted(ids[1:])
