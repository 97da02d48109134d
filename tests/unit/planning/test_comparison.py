# SPDX-License-Identifier: Apache-2.0
"""What a destination record holds of a source image: the verdicts."""

import pytest

from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from tests.unit.fakes.legacy import as_read as _as_read
from tests.unit.fakes.legacy import legacy as _legacy


@pytest.mark.parametrize('change', [
    {'size': 3}, {model.READ_SIZE: '3'},
    {model.READ_HASH_VALUE: 'f' * 128}, {model.READ_HASH_ALGO: 'sha256'},
    {model.READ_HASH_VALUE: None}])
def test_a_copy_whose_record_does_not_match_what_was_read_is_other_data(
        change):
    image = _legacy()
    copy = _as_read(image, **change)
    assert not model.same_as_read(image, copy)
    assert comparison.verdict(image, copy) == comparison.OTHER
