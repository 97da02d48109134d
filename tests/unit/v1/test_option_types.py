# SPDX-License-Identifier: Apache-2.0
"""argparse types of the option values."""

import argparse

import pytest

from osc_image_migrate.v1 import option_types


def test_stall_timeout_must_be_positive():
    assert option_types.positive_seconds('2.5') == 2.5
    for bad in ('0', '-1', 'soon', 'nan'):
        with pytest.raises(argparse.ArgumentTypeError):
            option_types.positive_seconds(bad)
