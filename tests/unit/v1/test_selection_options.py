# SPDX-License-Identifier: Apache-2.0
"""The options plan and migrate share, and the selection they make."""

import argparse

import pytest

from osc_image_migrate.v1 import selection_options


def test_option_is_shared_by_plan_and_migrate_and_checked():
    parser = selection_options.add_selection_options(argparse.ArgumentParser())
    assert parser.parse_args(['--dest-cloud', 'd']).upload_method == 'auto'
    assert parser.parse_args(['--dest-cloud', 'd', '--upload-method',
                              'glance-direct']).upload_method == \
        'glance-direct'
    with pytest.raises(SystemExit) as raised:
        parser.parse_args(['--dest-cloud', 'd', '--upload-method', 'ftp'])
    assert raised.value.code == 2
