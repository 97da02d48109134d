# SPDX-License-Identifier: Apache-2.0
"""A saved plan file is checked before anything is planned or copied."""

import json

import pytest

from osc_image_migrate.cloud import plan_file
from osc_image_migrate import model


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
