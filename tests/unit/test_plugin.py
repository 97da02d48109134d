# SPDX-License-Identifier: Apache-2.0
"""The plugin hooks OSC calls: an unknown API version is a warning."""

import logging
import subprocess
import sys

from osc_image_migrate import plugin


def test_the_one_api_version_passes_quietly(caplog):
    assert plugin.check_api_version(plugin.DEFAULT_API_VERSION) is True
    assert not caplog.records


def test_an_unknown_api_version_is_a_warning_not_a_crash(caplog):
    with caplog.at_level(logging.WARNING):
        assert plugin.check_api_version('2') is True
    assert ('image_migrate API version 2 is not in supported versions: 1'
            in caplog.text)


def test_osc_lists_the_commands_with_an_unknown_api_version(tmp_path):
    # OSC before 8.0.0 crashed on the tuple API_VERSIONS here.
    env = {'PATH': '', 'HOME': str(tmp_path),
           'OS_CLIENT_CONFIG_FILE': str(tmp_path / 'none.yaml'),
           'OS_IMAGE_MIGRATE_API_VERSION': '2'}
    result = subprocess.run(
        [sys.executable, '-m', 'openstackclient.shell', 'help', 'image'],
        capture_output=True, text=True, env=env, timeout=120)
    assert 'keys' not in result.stderr
    assert result.returncode == 0, result.stderr
