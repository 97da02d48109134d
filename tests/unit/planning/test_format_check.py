# SPDX-License-Identifier: Apache-2.0
"""The first bytes of a stream decide what the destination would refuse."""

import os

import pytest

from osc_image_migrate.planning import format_check
from tests.unit.fakes.disk_images import qcow2

MiB = 1024 * 1024


def feed_all(check, data, piece=64 * 1024):
    for start in range(0, len(data), piece):
        check.feed(data[start:start + piece])
        if check.done:
            return start + piece
    check.finish()
    return len(data)


def stopped_at(check, data, piece=64 * 1024):
    """(bytes fed when the check stopped the stream, its message)."""
    for start in range(0, len(data), piece):
        try:
            check.feed(data[start:start + piece])
        except format_check.FormatProblem as e:
            return start + piece, str(e)
    raise AssertionError('never stopped')


def test_raw_data_declared_raw_passes_early():
    check = format_check.FormatCheck('raw', 'bare')
    seen = feed_all(check, os.urandom(4 * MiB))
    assert check.detected == 'raw'
    assert seen <= MiB


def test_qcow2_declared_qcow2_passes():
    check = format_check.FormatCheck('qcow2', 'bare')
    feed_all(check, qcow2(length=2 * MiB))
    assert check.detected == 'qcow2'


def test_qcow2_declared_raw_is_stopped_in_the_first_mib():
    check = format_check.FormatCheck('raw', 'bare')
    seen, message = stopped_at(check, qcow2(length=8 * MiB))
    assert seen <= MiB
    assert 'data is qcow2 but its disk_format is raw' in message


def test_raw_declared_qcow2_is_stopped_in_the_first_mib():
    check = format_check.FormatCheck('qcow2', 'bare')
    seen, message = stopped_at(check, os.urandom(8 * MiB))
    assert seen <= MiB
    assert 'data is raw but its disk_format is qcow2' in message


def test_qcow2_with_a_backing_file_is_unsafe():
    check = format_check.FormatCheck('qcow2', 'bare')
    with pytest.raises(format_check.FormatProblem, match='backing_file'):
        feed_all(check, qcow2(backing_file='/etc/passwd'))


def test_qcow2_with_an_external_data_file_is_unsafe():
    check = format_check.FormatCheck('qcow2', 'bare')
    with pytest.raises(format_check.FormatProblem, match='data_file'):
        feed_all(check, qcow2(data_file=True))


def test_uninspectable_formats_pass_unrecognised_data_only():
    """ami/aki/ari are not formats Glance can inspect: raw content is fine."""
    feed_all(format_check.FormatCheck('ami', 'bare'), os.urandom(MiB))
    with pytest.raises(format_check.FormatProblem, match='data is qcow2'):
        feed_all(format_check.FormatCheck('aki', 'bare'), qcow2())


def test_only_bare_containers_are_inspected():
    """As in Glance: an ovf or docker container is not looked into."""
    check = format_check.FormatCheck('raw', 'ovf')
    feed_all(check, qcow2())
    assert check.done and check.detected is None


def test_small_image_is_judged_at_its_end():
    check = format_check.FormatCheck('raw', 'bare')
    check.feed(qcow2(length=128 * 1024))
    assert not check.done
    with pytest.raises(format_check.FormatProblem, match='data is qcow2'):
        check.finish()


def test_undecided_after_the_limit_is_left_to_glance():
    check = format_check.FormatCheck('qcow2', 'bare', limit=1024)
    check.feed(b'\0' * 1024)
    assert check.done and check.detected is None
    check.finish()


def test_reads_stop_at_each_mib_while_undecided():
    check = format_check.FormatCheck('raw', 'bare')
    assert check.wanted(4 * MiB) == MiB
    check.feed(b'\0' * 100)
    assert check.wanted(4 * MiB) == MiB - 100
    assert check.wanted(10) == 10
    check.done = True
    assert check.wanted(4 * MiB) == 4 * MiB
