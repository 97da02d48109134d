# SPDX-License-Identifier: Apache-2.0
"""A saved plan file is checked before anything is planned or copied."""

import copy
import json

import pytest

from osc_image_migrate.cloud import plan_file
from osc_image_migrate.cloud import survey
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import selection
from osc_image_migrate.planning import sharding


@pytest.mark.parametrize('content', [
    '[{"Source ID": null}]', '[{"Source ID": 5}]', '[{"Source ID": ""}]',
    '[{"Source ID": ["a"]}]', '[{"Name": "x"}]', '[5]', '{"Source ID": "a"}',
    '"plan"', 'null', '[' * 100000, 'not json', '\udcff',
])
def test_malformed_plan_is_a_usage_error(tmp_path, content):
    path = tmp_path / 'plan.json'
    path.write_text(content, errors='surrogateescape')
    with pytest.raises(model.UsageError) as raised:
        plan_file.load_plan_file(str(path))
    assert str(path) in str(raised.value)
    assert '\n' not in str(raised.value)


def test_saved_plan_is_keyed_by_source_id(tmp_path):
    path = tmp_path / 'plan.json'
    rows = [{'Source ID': 'a', 'Action': 'copy'}, {'Source ID': 'b'}]
    path.write_text(json.dumps(rows))
    assert plan_file.load_plan_file(str(path)) == {
        'a': rows[0], 'b': rows[1]}


def _recheck(monkeypatch, saved, images, chosen, shard=None):
    """recheck_plan on a source holding ``images``; the selections seen."""
    source = model.Inventory(images={i: {'id': i} for i in images})
    seen = []

    def resolve(selection, inventory):
        seen.append(selection)
        return selection

    def plan_selected(src, dst, inventory, resolved, keep_ids):
        return [planner.PlanItem(source_id=i, action=planner.COPY,
                                 dest_id=i, dest_owner='d')
                for i in resolved.images]

    monkeypatch.setattr(survey, 'read_source', lambda clients: source)
    monkeypatch.setattr(survey, 'resolve', resolve)
    monkeypatch.setattr(survey, 'plan_selected', plan_selected)
    return plan_file.recheck_plan(None, None, saved, chosen, False,
                                  shard=shard), seen


def _saved(*ids):
    return {i: {'Source ID': i, 'Action': planner.COPY, 'Dest ID': i,
                'Dest Owner': 'd', 'Size': 10} for i in ids}


def test_recheck_leaves_the_callers_selection_unchanged(monkeypatch):
    chosen = selection.Selection(images=['x'], projects=['p'],
                                 exclude_images=['b'],
                                 project_map={'p': 'q'})
    before = copy.deepcopy(chosen)
    (plan, missing), seen = _recheck(monkeypatch, _saved('a', 'b', 'gone'),
                                     ['a', 'b'], chosen)
    assert chosen == before
    replanned, = seen
    assert replanned is not chosen
    assert (replanned.images, replanned.projects,
            replanned.include_public_and_shared) == (['a', 'b'], [], False)
    # The other options given with the plan file still apply.
    assert (replanned.exclude_images, replanned.project_map) == (
        ['b'], {'p': 'q'})
    assert [item.source_id for item in plan] == ['a', 'b']
    assert missing == ['gone']


def test_recheck_keeps_the_rows_of_its_shard(monkeypatch):
    ids = ['i%d' % n for n in range(7)]
    saved = _saved(*ids)
    shard_of = sharding.saved_plan_shards(
        saved, {i: {'id': i} for i in ids}, 3)
    for index in range(3):
        (plan, missing), _ = _recheck(monkeypatch, saved, ids,
                                      selection.Selection(),
                                      shard=(index, 3))
        mine = [i for i in ids if shard_of[i] == index]
        assert mine
        assert [item.source_id for item in plan] == mine
        assert missing == []


def test_missing_item_is_blocked_with_the_saved_fields():
    item = plan_file.missing_item('gone', {
        'Source ID': 'gone', 'Name': 'old', 'Size': 5, 'Dest ID': 'gone',
        'Selected': 'not a list'})
    assert (item.source_id, item.name, item.size, item.action,
            item.dest_id, item.reason, item.selected) == (
        'gone', 'old', 5, planner.BLOCKED, 'gone',
        'source image no longer exists', [])


def test_a_reused_row_replanned_as_a_copy_says_what_is_missing(monkeypatch):
    saved = _saved('a')
    saved['a'].update({'Action': planner.REUSE, 'Dest ID': 'seeded'})
    (plan, _), _ = _recheck(monkeypatch, saved, ['a'],
                            selection.Selection())
    assert plan[0].action == planner.BLOCKED
    assert plan[0].reason.endswith(
        'the plan reused identical data: give --reuse-identical as when '
        'it was made')


def test_recheck_plans_against_any_destination_the_caller_gives(
        monkeypatch):
    """A bundle's plan (export or import) is re-checked like a cloud's."""
    source = model.Inventory(images={i: {'id': i} for i in 'abc'})
    monkeypatch.setattr(survey, 'resolve',
                        lambda selection, inventory: selection)
    replanned = []

    def replan(resolved):
        replanned.append(sorted(resolved.images))
        return [planner.PlanItem(source_id='a', action=planner.NEW_ID,
                                 dest_id='a2', dest_owner='d'),
                planner.PlanItem(source_id='b', action=planner.BLOCKED,
                                 dest_id='b', dest_owner='d')]

    saved = {i: {'Source ID': i, 'Action': 'copy', 'Dest ID': i,
                 'Dest Owner': 'd'} for i in 'abx'}
    plan, missing = plan_file.recheck(saved, source, selection.Selection(),
                                      replan)
    assert replanned == [['a', 'b']]
    assert missing == ['x']
    # A copy the plan saved now needs a new ID: changed, so blocked.
    assert plan[0].action == planner.BLOCKED
    assert plan[0].reason == (
        'changed since the plan: Action was copy, now new-id; '
        'Dest ID was a, now a2')
