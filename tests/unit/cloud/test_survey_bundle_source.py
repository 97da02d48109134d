# SPDX-License-Identifier: Apache-2.0
"""A source read already (a bundle's inventory): selected with no reads."""

from osc_image_migrate.cloud import survey
from osc_image_migrate.planning import selection as selection_mod
from tests.unit import fakes

DEMO = fakes.project('demo')
ALT = fakes.project('alt_demo')


def test_a_source_without_clients_selects_from_its_own_members():
    shared = fakes.image('shared', DEMO, visibility='shared')
    other = fakes.image('other', ALT)
    source = fakes.make_inventory(
        images=[shared, other], projects=[DEMO, ALT],
        members={shared['id']: [fakes.member(ALT)]})
    resolved = survey.resolve(selection_mod.Selection(projects=['alt_demo']),
                              source)
    selected = survey.select(None, source, resolved)
    assert sorted(selected) == sorted([shared['id'], other['id']])
    assert source.members == {shared['id']: [fakes.member(ALT)]}
