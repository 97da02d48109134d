# SPDX-License-Identifier: Apache-2.0
"""The translation marker of the user-facing strings."""

from osc_image_migrate import i18n


def test_a_string_without_a_catalog_is_itself():
    assert i18n._('No image or project selected') == (
        'No image or project selected')
