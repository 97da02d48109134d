# SPDX-License-Identifier: Apache-2.0
"""The column names: printed by v1, read back by plan files and shards."""

import json

from osc_image_migrate.cloud import plan_file
from osc_image_migrate.planning import columns
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import sharding
from osc_image_migrate.v1 import rows


def saved_row(item):
    """The row as ``plan -f json`` saves it (cliff's JSON formatter)."""
    values = [v.machine_readable() if hasattr(v, 'machine_readable') else v
              for v in rows.plan_row(item)]
    return json.loads(json.dumps(dict(zip(rows.PLAN_COLUMNS, values))))


def test_every_header_is_named_once_and_no_two_agree():
    for group in (columns.PLAN, columns.PLAN_LONG, columns.RESULTS):
        assert len(set(group)) == len(group)
    assert not set(columns.PLAN) & set(columns.PLAN_LONG)
    assert rows.PLAN_COLUMNS is columns.PLAN
    assert rows.RESULT_COLUMNS is columns.RESULTS


def test_a_saved_row_is_read_back_by_the_plan_file_and_the_shards():
    item = planner.PlanItem(
        source_id='img-1', name='web', owner='p-1', visibility='shared',
        size=5, action=planner.COPY, dest_id='img-1', dest_owner='q-1',
        selected=['--project demo'])
    row = saved_row(item)
    back = plan_file.missing_item('img-1', row)
    assert (back.name, back.owner, back.visibility, back.size,
            back.dest_id, back.dest_owner, back.selected) == (
        'web', 'p-1', 'shared', 5, 'img-1', 'q-1', ['--project demo'])
    for column, attr in plan_file.SAVED_FIELDS:
        assert column in columns.PLAN
        assert row[column] == getattr(item, attr)
    small = dict(row, **{columns.SOURCE_ID: 'img-2', columns.SIZE: 1})
    saved = {'img-1': row, 'img-2': small}
    assert sharding.saved_plan_shards(saved, {}, 2) == \
        sharding.plan_shards([item, planner.PlanItem(
            source_id='img-2', size=1, action=planner.COPY)], 2)


def test_path_follows_action_in_the_plan_rows():
    assert columns.PLAN.index(columns.PATH) == (
        columns.PLAN.index(columns.ACTION) + 1)
    row = saved_row(planner.PlanItem(source_id='img-1', size=5,
                                     action=planner.COPY, dest_id='img-1'))
    assert (row[columns.ACTION], row[columns.PATH]) == ('copy', 'stream')
    row = saved_row(planner.PlanItem(source_id='img-1',
                                     action=planner.SKIP))
    assert row[columns.PATH] == '-'


def test_a_plan_saved_before_the_path_column_still_loads(tmp_path):
    item = planner.PlanItem(
        source_id='img-1', name='web', size=5, action=planner.COPY,
        dest_id='img-1', dest_owner='q-1', selected=['--project demo'])
    old = {k: v for k, v in saved_row(item).items() if k != columns.PATH}
    path = tmp_path / 'plan.json'
    path.write_text(json.dumps([old]))
    saved = plan_file.load_plan_file(str(path))
    assert list(saved) == ['img-1']
    back = plan_file.missing_item('img-1', saved['img-1'])
    assert (back.name, back.dest_id, back.path) == ('web', 'img-1', '-')
    assert sharding.saved_plan_shards(saved, {}, 2) == {'img-1': 0}
