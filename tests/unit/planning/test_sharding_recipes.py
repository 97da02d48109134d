# SPDX-License-Identifier: Apache-2.0
"""The Kubernetes and Ansible recipes of the docs run a valid command.

Neither engine runs here: the recipes are parsed, and the command each
would run, with each index it would give, goes through the real parser
and the shard rules.
"""

import pathlib
import re
import shlex

from osc_lib.test import base
import yaml

from osc_image_migrate.planning import sharding
from osc_image_migrate.v1 import image_migrate

EXAMPLES = (pathlib.Path(__file__).resolve().parents[3] / 'doc' / 'source'
            / 'user' / 'examples')


class TestRecipes(base.TestCommand):

    def parse(self, argv):
        """The arguments after ``openstack ... image migrate``."""
        assert argv[:5] == ['openstack', '--os-cloud', 'src', 'image',
                            'migrate'], argv
        command = image_migrate.MigrateImage(self.app, None)
        return command.get_parser('image migrate').parse_args(argv[5:])

    def test_kubernetes_indexed_job(self):
        job = yaml.safe_load((EXAMPLES / 'k8s-indexed-job.yaml').read_text())
        spec = job['spec']
        self.assertEqual('Indexed', spec['completionMode'])
        container = spec['template']['spec']['containers'][0]
        script = container['args'][0]
        for index in range(spec['completions']):
            argv = shlex.split(script.replace('${JOB_COMPLETION_INDEX}',
                                              str(index)))
            self.assertEqual('exec', argv.pop(0))
            parsed = self.parse(argv)
            self.assertEqual((index, spec['completions']),
                             sharding.parse_shard(parsed.shard))
            self.assertTrue(parsed.plan_file)

    def test_ansible_play(self):
        play, = yaml.safe_load((EXAMPLES / 'ansible-shards.yaml').read_text())
        task, = [t for t in play['tasks']
                 if 'ansible.builtin.command' in t]
        argv = task['ansible.builtin.command']['argv']
        group = ['host-a', 'host-b', 'host-c']
        for host in group:
            rendered = [self.render(arg, host, group, play['vars'])
                        for arg in argv]
            parsed = self.parse(rendered)
            self.assertEqual((group.index(host), len(group)),
                             sharding.parse_shard(parsed.shard))

    @staticmethod
    def render(arg, host, group, variables):
        """The few Jinja expressions the play uses, for one host."""
        def value(match):
            expression = match.group(1).strip()
            if expression == 'groups.image_migrate.index(inventory_hostname)':
                return str(group.index(host))
            if expression == 'groups.image_migrate | length':
                return str(len(group))
            return variables[expression]
        return re.sub(r'\{\{(.*?)\}\}', value, arg)
