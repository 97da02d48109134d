# SPDX-License-Identifier: Apache-2.0
"""The rows the commands print, and their exit status."""

from unittest import mock

from osc_lib.test import base
import pytest

from osc_image_migrate.planning import planner
from osc_image_migrate.v1 import rows
from tests.unit.fakes.plan_rows import plan_item
from tests.unit.fakes.quota import ADMIN
from tests.unit.fakes.quota import item


def test_a_quota_shortfall_asks_for_the_operator():
    plan = [item('a', ADMIN), item('b', ADMIN)]
    assert rows.plan_exit_status(plan) == rows.EXIT_CHANGES
    plan[1].quota.append('quota: ...')
    assert rows.plan_exit_status(plan) == rows.EXIT_ATTENTION


class TestExitStatus(base.TestCase):

    def test_run_exit_status(self):
        ok = mock.Mock(ok=True)
        failed = mock.Mock(ok=False)
        status = rows.run_exit_status
        self.assertEqual(0, status([ok], [], False))
        self.assertEqual(0, status([], [], False))
        self.assertEqual(1, status([ok, failed], [], False))
        self.assertEqual(1, status([ok], ['gone'], False))
        self.assertEqual(130, status([ok], [], True))
        self.assertEqual(130, status([failed], ['gone'], True))


class TestPlanRows(base.TestCommand):

    def test_long_row_has_structured_values(self):
        row = rows.plan_row(plan_item(), long=True)
        columns = rows.PLAN_COLUMNS + \
            rows.PLAN_LONG_COLUMNS
        values = dict(zip(columns, row))
        self.assertEqual({'hw_disk_bus': 'virtio'},
                         values['Properties'].machine_readable())
        self.assertEqual(['t'], values['Tags'].machine_readable())
        self.assertEqual(['named'], values['Selected'].machine_readable())


@pytest.mark.parametrize('actions, status', [
    ([], 0), ([planner.SKIP], 0),
    ([planner.SKIP, planner.UPDATE], 3), ([planner.COPY], 3),
    ([planner.FINISH, planner.BLOCKED], 4),
    ([planner.SOURCE_DELETED], 4), ([planner.REUSE, planner.SKIP], 0)])
def test_plan_exit_status(actions, status):
    plan = [planner.PlanItem('s%d' % n, action=a)
            for n, a in enumerate(actions)]
    assert rows.plan_exit_status(plan) == status
