# SPDX-License-Identifier: Apache-2.0
"""The Kubernetes Indexed Job of the shards guide against the API schema.

kubernetes-validate ships the OpenAPI schemas of each Kubernetes release;
strict validation also refuses fields the API does not have, so a
misspelt ``backoffLimitPerIndex`` cannot pass. The rules the API server
checks beyond the schema, for the fields the guide relies on, are asserted
here too.
"""

import pathlib
import re
import unittest

import kubernetes_validate
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
JOB = REPO / 'doc' / 'source' / 'user' / 'examples' / 'k8s-indexed-job.yaml'
# backoffLimitPerIndex is GA (and on by default) from 1.33 on.
VERSIONS = ('1.33.0', kubernetes_validate.latest_version())


def load():
    return yaml.safe_load(JOB.read_text())


def validate(job, version):
    kubernetes_validate.validate(job, version, strict=True)


class TestIndexedJobSchema(unittest.TestCase):

    def test_valid_for_each_version(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                validate(load(), version)

    def test_indexed_with_a_backoff_limit_per_index(self):
        spec = load()['spec']
        self.assertEqual('Indexed', spec['completionMode'])
        self.assertGreaterEqual(spec['backoffLimitPerIndex'], 1)
        self.assertEqual(spec['completions'], spec['parallelism'])
        self.assertEqual('Never', spec['template']['spec']['restartPolicy'])

    def test_strict_validation_refuses_a_misspelt_field(self):
        job = load()
        job['spec']['backoffLimitPerIndx'] = job['spec'].pop(
            'backoffLimitPerIndex')
        for version in VERSIONS:
            with self.subTest(version=version):
                self.assertRaises(kubernetes_validate.ValidationError,
                                  validate, job, version)

    def test_validation_refuses_a_wrong_type(self):
        job = load()
        job['spec']['completionMode'] = ['Indexed']
        self.assertRaises(kubernetes_validate.ValidationError,
                          validate, job, VERSIONS[-1])

    def test_runs_as_the_user_of_the_containerfile(self):
        pod = load()['spec']['template']['spec']
        user = re.search(r'^USER (\d+)', (REPO / 'Containerfile').read_text(),
                         re.M).group(1)
        self.assertTrue(pod['securityContext']['runAsNonRoot'])
        self.assertEqual(int(user), pod['securityContext']['runAsUser'])
        container = pod['containers'][0]
        self.assertFalse(container['securityContext'][
            'allowPrivilegeEscalation'])
