# SPDX-License-Identifier: Apache-2.0
"""Which destination record stands for a source image (matching.py)."""

import pytest

from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import matching
from tests.unit import fakes
from tests.unit.fakes.scene import copy_in_dest
from tests.unit.fakes.scene import in_dst
from tests.unit.fakes.scene import in_src
from tests.unit.fakes.scene import S_DEMO
from tests.unit.fakes.scene import tagged_copy


def find(image, dest):
    return matching.find(image, dest, dest.images_by_source_id())


def test_the_same_id_holding_the_data_is_the_copy():
    image = fakes.image('x', S_DEMO)
    same = copy_in_dest(image)
    assert find(image, in_dst([same])) == (same, comparison.PRESENT)


def test_a_copy_under_a_new_id_wins_over_a_queued_same_id():
    image = fakes.image('x', S_DEMO)
    queued = copy_in_dest(image, status='queued', size=None, checksum=None,
                          os_hash_algo=None, os_hash_value=None)
    tagged = tagged_copy(image)
    found, verdict = find(image, in_dst([queued, tagged]))
    assert found['id'] == tagged['id'] != image['id']
    assert verdict == comparison.PRESENT


def test_no_record_is_none():
    assert find(fakes.image('x', S_DEMO), in_dst()) == (None, None)


def test_a_tagged_copy_with_other_data_is_a_conflict():
    image = fakes.image('x', S_DEMO)
    tagged = tagged_copy(image, os_hash_value='0' * 128, checksum='0' * 32)
    with pytest.raises(matching.Conflict, match='holds other data'):
        find(image, in_dst([tagged]))


def test_a_tagged_copy_that_failed_its_check_says_so():
    image = fakes.image('x', S_DEMO)
    tagged = tagged_copy(image, os_hash_value='0' * 128, checksum='0' * 32,
                         status='deactivated',
                         **{model.CHECK_FAILED: 'sha512 differs'})
    with pytest.raises(matching.Conflict, match='failed the check'):
        find(image, in_dst([tagged]))


def test_dependency_ids_name_only_usable_copies():
    kernel = fakes.image('kernel', S_DEMO, data=b'k')
    ramdisk = fakes.image('ramdisk', S_DEMO, data=b'r')
    server = fakes.image('server', S_DEMO, kernel_id=kernel['id'],
                         ramdisk_id=ramdisk['id'])
    source = in_src([kernel, ramdisk, server])
    moved = tagged_copy(kernel)
    clash = tagged_copy(ramdisk, os_hash_value='0' * 128, checksum='0' * 32)
    dest = in_dst([moved, clash])
    assert matching.dependency_ids(
        source, dest, dest.images_by_source_id(), server) == {
            kernel['id']: moved['id']}
