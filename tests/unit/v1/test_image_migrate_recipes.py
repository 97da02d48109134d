# SPDX-License-Identifier: Apache-2.0
"""The Kubernetes and Ansible recipes of the docs run a valid command.

The recipes are parsed, and the command each would run, with each index it
would give, goes through the real parser and the shard rules. The Ansible
play itself is run by ansible-core in tests/functional/test_ansible_shards.py;
the Job is validated against the Kubernetes API schema in
test_k8s_job_schema.py.
"""

import pathlib
import re
import shlex

from osc_lib.test import base
import yaml

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
            self.assertEqual((index, spec['completions']), parsed.shard)
            self.assertTrue(parsed.plan_file)

    def test_ansible_play(self):
        play, = yaml.safe_load((EXAMPLES / 'ansible-shards.yaml').read_text())
        task, = [t for t in play['tasks']
                 if '--shard' in t.get('ansible.builtin.command',
                                       {}).get('argv', ())]
        argv = task['ansible.builtin.command']['argv']
        group = ['host-a', 'host-b', 'host-c']
        for host in group:
            rendered = [self.render(arg, host, group, play['vars'])
                        for arg in argv]
            parsed = self.parse(rendered)
            self.assertEqual((group.index(host), len(group)), parsed.shard)

    @classmethod
    def render(cls, arg, host, group, variables):
        """The few Jinja expressions the play uses, for one host.

        The play's settings are ``name | default('value')``: no inventory
        variable here, so each takes its default.
        """
        def value(match):
            expression = match.group(1).strip()
            if expression == 'groups.image_migrate.index(inventory_hostname)':
                return str(group.index(host))
            if expression == 'groups.image_migrate | length':
                return str(len(group))
            default = re.fullmatch(r"\w+ \| default\('(.*)'\)", expression)
            if default:
                return default.group(1)
            return cls.render(variables[expression], host, group, variables)
        return re.sub(r'\{\{(.*?)\}\}', value, arg)
