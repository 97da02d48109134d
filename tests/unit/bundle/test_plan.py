# SPDX-License-Identifier: Apache-2.0
"""An export's plan: mappings refused, projects kept, space checked."""

import shutil

import pytest

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import plan as bundle_plan
from osc_image_migrate.bundle import reader
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import selection
from tests.unit import fakes


def test_mapping_options_are_for_the_import():
    bundle_plan.refuse_mappings(selection.Selection())
    with pytest.raises(model.UsageError,
                       match='^--map-project, --orphans-to: a bundle'):
        bundle_plan.refuse_mappings(selection.Selection(
            project_map={'a': 'b'}, orphans_to='c'))
    with pytest.raises(model.UsageError,
                       match='^--reuse-identical: a bundle .* reuse '):
        bundle_plan.refuse_mappings(selection.Selection(
            reuse_identical=True))


def test_projects_the_source_cannot_name_are_kept_by_id():
    demo = fakes.project('demo')
    image = fakes.image('web', 'gone', visibility='shared')
    source = fakes.make_inventory([image], [demo], members={
        image['id']: [fakes.member(demo), fakes.member('left')]})
    dest = model.Inventory(projects=dict(source.projects), is_admin=True)
    kept = bundle_plan._keep_projects(source, dest, [image])
    assert kept == {'gone': 'gone', 'left': 'left'}
    item = planner.make_plan(source, dest, {image['id']: ['named']},
                             project_map=kept)[0]
    assert (item.action, item.dest_owner) == (planner.COPY, 'gone')
    assert [m['member_id'] for m in item.members] == [demo.id, 'left']


def rows(*sizes, action=planner.COPY):
    return [planner.PlanItem('i%d' % n, size=size, action=action)
            for n, size in enumerate(sizes)]


def test_the_space_needed_counts_what_is_not_written_yet(tmp_path):
    contents = reader.BundleContents(str(tmp_path), {}, {
        'i0': layout.CHUNK_SIZE + 5})
    needed, unknown = bundle_plan.space_needed(
        rows(3 * layout.CHUNK_SIZE, None, 10), contents)
    assert unknown == 1
    assert needed == (2 * layout.CHUNK_SIZE + 10 + bundle_plan.RESERVE
                      + 3 * bundle_plan.DOCUMENT_RESERVE)
    needed, _ = bundle_plan.space_needed(rows(10, action=planner.SKIP),
                                         contents)
    assert needed == bundle_plan.RESERVE + bundle_plan.DOCUMENT_RESERVE


def test_a_plan_that_does_not_fit_is_one_line(tmp_path):
    contents = reader.BundleContents(str(tmp_path), {}, {})
    free = shutil.disk_usage(tmp_path).free
    target = str(tmp_path / 'new' / 'bundle')
    assert bundle_plan.check_space(target, rows(10), contents)[1] > 0
    with pytest.raises(model.UsageError) as e:
        bundle_plan.check_space(target, rows(free + 1), contents)
    message = str(e.value)
    assert message.startswith('bundle %s does not fit: ' % target)
    assert '\n' not in message and message.endswith('nothing written')


@pytest.mark.parametrize('action, reason, written, said', [
    (planner.COPY, 'ID free in destination', 0, 'not in the bundle yet'),
    (planner.METADATA_ONLY, 'ID free in destination', 0,
     'not in the bundle yet'),
    (planner.RESUME, 'destination record i0 is queued: upload into it',
     layout.CHUNK_SIZE + 5,
     'in the bundle without its data (images/i0.json): write it after the '
     '64.0 MiB an earlier run wrote in whole chunks'),
    (planner.RESUME, 'destination record i0 is queued: upload into it', 5,
     'in the bundle without its data (images/i0.json): write it'),
    (planner.SKIP, 'already in the destination as i0 with the same data', 0,
     'already in the bundle with the same data'),
    (planner.UPDATE, 'same data in the destination as i0; changed in the '
     'source: property:a', 0,
     'same data in the bundle; changed in the source: property:a'),
])
def test_rows_speak_of_the_bundle_not_of_a_cloud(action, reason, written,
                                                 said):
    item = planner.PlanItem('i0', action=action, dest_id='i0',
                            reasons=[reason, 'no hash'])
    bundle_plan.in_bundle_words(item, reader.BundleContents(
        '/b', {}, {'i0': written}))
    assert item.reasons == [said, 'no hash']
