# SPDX-License-Identifier: Apache-2.0
"""Ceph commands: their argv, and their failures as one line."""

import sys

import pytest

from osc_image_migrate.cloud import ceph_cli
from osc_image_migrate.planning import rbd_path

SETTINGS = rbd_path.CephSettings('/c', 'glance', pool='images')


def test_an_rbd_command_names_the_cluster_first():
    assert ceph_cli.rbd(SETTINGS, 'ls', 'images') == [
        'rbd', '--conf', '/c', '--id', 'glance', 'ls', 'images']


def test_a_failure_says_the_action_and_the_last_line():
    argv = [sys.executable, '-c',
            'import sys; sys.stderr.write("a\\nno such pool\\n"); '
            'sys.exit(2)']
    with pytest.raises(ceph_cli.CephError) as caught:
        ceph_cli.run(argv)
    assert str(caught.value).endswith(': no such pool')


def test_a_missing_command_says_what_to_install():
    with pytest.raises(ceph_cli.CephError, match='ceph-common'):
        ceph_cli.run(['no-such-rbd-command', 'ls'])


def test_a_command_that_hangs_is_given_up():
    with pytest.raises(ceph_cli.CephError, match='no answer within'):
        ceph_cli.run([sys.executable, '-c', 'import time; time.sleep(5)'],
                     timeout=0.2)
