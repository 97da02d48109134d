# SPDX-License-Identifier: Apache-2.0
"""Reading both clouds into a plan: the summary of a plan."""

from osc_image_migrate.cloud import survey
from osc_image_migrate.planning import planner


def test_summary():
    plan = [planner.PlanItem('a', action=planner.COPY, size=10),
            planner.PlanItem('b', action=planner.RESUME, size=5),
            planner.PlanItem('c', action=planner.NEW_ID, size=None),
            planner.PlanItem('d', action=planner.SKIP, size=100),
            planner.PlanItem('e', action=planner.COPY, size=1)]
    assert survey.summary(plan) == {
        'actions': {'copy': 2, 'resume': 1, 'new-id': 1, 'skip': 1},
        'images': 5, 'bytes': 16}
    assert survey.summary([]) == {'actions': {}, 'images': 0, 'bytes': 0}
