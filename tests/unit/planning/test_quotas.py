# SPDX-License-Identifier: Apache-2.0
"""Destination quotas: what Glance counts, refuses, and who ends over."""

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import limits
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import quotas
from tests.unit.fakes.quota import ADMIN
from tests.unit.fakes.quota import DEMO
from tests.unit.fakes.quota import item
from tests.unit.fakes.quota import MiB

NAMES = {ADMIN: 'admin', DEMO: 'demo'}


def record(image_id, owner, status='active', size=MiB):
    return {'id': image_id, 'owner': owner, 'status': status, 'size': size}


def check(plan, images=(), registered=None, projects=None, caller=ADMIN):
    return quotas.check(plan, {i['id']: i for i in images},
                        limits.Limits(registered or {}, projects or {}),
                        caller, NAMES)


def test_usage_counts_what_glance_counts_per_owner():
    images = {i['id']: i for i in [
        record('a', DEMO), record('b', DEMO, 'queued', None),
        record('c', DEMO, 'deactivated', 3 * MiB),
        record('d', DEMO, 'killed'), record('e', DEMO, 'deleted'),
        record('f', DEMO, 'pending_delete'), record('g', ADMIN)]}
    assert quotas.usage(images, DEMO) == (3, 4 * MiB)
    assert quotas.usage(images, 'nobody') == (0, 0)


def test_needs_of_each_action():
    assert quotas.needs(item('a', DEMO)) == (1, MiB)
    assert quotas.needs(item('a', DEMO, planner.NEW_ID)) == (1, MiB)
    assert quotas.needs(item('a', DEMO, planner.METADATA_ONLY,
                             size=None)) == (1, 0)
    queued = record('a', DEMO, 'queued', None)
    assert quotas.needs(item('a', DEMO, planner.RESUME,
                             dest_image=queued)) == (0, MiB)
    staged = record('a', DEMO, 'uploading', MiB)  # Glance counts it already
    assert quotas.needs(item('a', DEMO, planner.RESUME,
                             dest_image=staged)) == (0, 0)
    for action in (planner.SKIP, planner.FINISH, planner.UPDATE,
                   planner.BLOCKED, planner.SOURCE_DELETED):
        assert quotas.needs(item('a', DEMO, action)) == (0, 0)


def test_everything_fits_or_no_limits():
    plan = [item('a', ADMIN), item('b', DEMO)]
    assert check(plan, registered={quotas.COUNT: 2}) == []
    assert quotas.check(plan, {}, None, ADMIN) == []


def test_the_callers_own_images_beyond_its_count_are_refused():
    plan = [item(n, ADMIN) for n in 'abcd']
    [shortfall] = check(plan, [record('x', ADMIN)],
                        registered={quotas.COUNT: 3})
    assert (shortfall.project_name, shortfall.resource, shortfall.limit,
            shortfall.used, shortfall.needed) == ('admin', quotas.COUNT,
                                                  3, 1, 4)
    assert shortfall.refused and shortfall.images == ['c', 'd']
    assert shortfall.numbers() == ('project admin: image_count_total '
                                   'limit 3, used 1, the plan adds 4')
    assert 'Glance will refuse 2 image(s) with HTTP 413' in \
        shortfall.warning('admin')


def test_sizes_are_checked_as_glance_does_in_whole_mib():
    # Glance: usage // MiB + size // MiB > limit, image after image.
    plan = [item('a', ADMIN, size=2 * MiB), item('b', ADMIN, size=2 * MiB),
            item('c', ADMIN, size=MiB - 1), item('d', ADMIN, size=MiB)]
    [shortfall] = check(plan, registered={quotas.SIZE: 4})
    assert shortfall.resource == quotas.SIZE
    assert shortfall.images == ['d']  # c adds 0 whole MiB, d one too many
    assert (shortfall.used, shortfall.needed) == (0, 6 * MiB - 1)
    assert shortfall.numbers() == (
        'project admin: image_size_total limit 4 MiB, used 0 bytes '
        '(0.0 MiB), the plan adds 6291455 bytes (6.0 MiB)')


def test_a_refused_upload_still_created_its_record():
    plan = [item('a', ADMIN, size=5 * MiB), item('b', ADMIN, size=0)]
    shortfalls = check(plan, registered={quotas.COUNT: 1, quotas.SIZE: 4})
    assert [(s.resource, s.images) for s in shortfalls] == [
        (quotas.COUNT, ['b']), (quotas.SIZE, ['a'])]


def test_other_owners_end_over_their_limits_without_refusals():
    plan = [item(n, DEMO, size=3 * MiB) for n in 'abc']
    shortfalls = check(plan, [record('x', DEMO, size=2 * MiB)],
                       registered={quotas.COUNT: 10, quotas.SIZE: 100},
                       projects={DEMO: {quotas.COUNT: 2, quotas.SIZE: 8}})
    assert [(s.project_name, s.resource, s.limit, s.used, s.needed,
             s.refused, s.images) for s in shortfalls] == [
        ('demo', quotas.COUNT, 2, 1, 3, False, ['a', 'b', 'c']),
        ('demo', quotas.SIZE, 8, 2 * MiB, 9 * MiB, False,
         ['a', 'b', 'c'])]
    assert 'demo ends over its limit' in shortfalls[0].warning('admin')
    assert "quota of the credential's project, admin" in \
        shortfalls[0].warning('admin')


def test_the_callers_count_gates_creates_for_other_owners():
    plan = [item('a', DEMO), item('b', DEMO)]
    [shortfall] = check(plan, [record('x', ADMIN)],
                        registered={quotas.COUNT: 1})
    assert shortfall.project_id == ADMIN and shortfall.refused
    assert shortfall.images == ['a', 'b']
    # Refused creates do not count against demo.
    assert (shortfall.used, shortfall.needed) == (1, 0)


def test_annotate_adds_a_note_to_the_rows_concerned():
    plan = [item('a', ADMIN), item('b', ADMIN)]
    plan[0].reason = plan[1].reason = 'ID free in destination'
    quotas.annotate(plan, check(plan, registered={quotas.COUNT: 1}))
    assert plan[0].reason == 'ID free in destination' and not plan[0].quota
    assert plan[1].reason.startswith('ID free in destination; quota: Glance '
                                     'will refuse it (HTTP 413): project '
                                     'admin: image_count_total limit 1')
    assert plan[1].quota


def test_upload_slots_only_for_the_callers_project():
    found = limits.Limits({quotas.UPLOADING: 2}, {DEMO: {quotas.UPLOADING:
                                                         0}})
    assert quotas.upload_slots(found, ADMIN) == {ADMIN: 2}
    assert quotas.upload_slots(found, DEMO) == {DEMO: 1}
    assert quotas.upload_slots(limits.Limits({quotas.UPLOADING: -1}),
                               ADMIN) == {}
    assert quotas.upload_slots(None, ADMIN) == {}


def test_glances_413_is_read_into_one_line():
    body = ('<html><body>The response body:\nProject 0ba1 is over a limit '
            'for [Resource image_size_total is over limit of 4 due to '
            'current usage 4 and delta 2]<br /></body></html>')
    assert quotas.over_limit(body) == (
        'over the destination quota image_size_total of project 0ba1 '
        '(limit 4 MiB, usage 4 MiB, this request adds 2 MiB)')
    assert quotas.over_limit('<html>413 Request Entity Too Large') is None
    assert quotas.over_limit(None) is None
    error = http.status_error('destination create', 413, body.replace(
        'image_size_total', 'image_count_total'))
    assert str(error) == (
        'destination create: HTTP 413, over the destination quota '
        'image_count_total of project 0ba1 (limit 4, usage 4, this '
        'request adds 2)')
    assert not error.retriable
    assert 'image_size_cap' in str(http.status_error('upload', 413))
