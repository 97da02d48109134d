# SPDX-License-Identifier: Apache-2.0
"""The offloaded paths two clouds allow."""

from osc_image_migrate.cloud import path_offers


def test_no_offloaded_path_is_in_play_between_unrelated_clouds():
    assert path_offers.offerers(object(), object()) == []
