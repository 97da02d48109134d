# SPDX-License-Identifier: Apache-2.0
"""The executor: waves, parallel copies, upload slots, the rows it keeps."""

import threading
import time

import pytest

from osc_image_migrate.copying import image_copy
from osc_image_migrate.planning import planner
from osc_image_migrate.run import executor
from tests.unit.fakes.plan_rows import plan_item
from tests.unit.fakes.quota import ADMIN
from tests.unit.fakes.quota import DEMO
from tests.unit.fakes.quota import item


def test_dependencies_run_in_earlier_waves():
    plan = [plan_item('k'), plan_item('r'),
            plan_item('s', depends_on=['k', 'r']), plan_item('x')]
    waves = executor.waves(plan)
    assert [[i.source_id for i in w] for w in waves] == [
        ['k', 'r', 'x'], ['s']]


class Clients:
    name = 'cloud'

    def refresh_token_if_expiring(self, within_seconds):
        return False


@pytest.mark.parametrize('slots, expected', [(1, 1), (2, 2), (None, 4)])
def test_uploads_in_flight_per_project_stay_within_the_slots(
        monkeypatch, slots, expected):
    lock = threading.Lock()
    running = {ADMIN: 0, DEMO: 0}
    most = {ADMIN: 0, DEMO: 0}

    class Copy:
        def __init__(self, src, dst, item, keep_ids, stream_options=None,
                     offloads=None):
            self.item = item
            self.dest_id = None

        def run(self, id_map, on_bytes=None, stop=None):
            owner = self.item.dest_owner
            if self.item.action not in planner.DATA_ACTIONS:
                return image_copy.Outcome(image_copy.SKIPPED, 'd')
            with lock:
                running[owner] += 1
                most[owner] = max(most[owner], running[owner])
            time.sleep(0.05)
            with lock:
                running[owner] -= 1
            return image_copy.Outcome(image_copy.MIGRATED, 'd', 1)

    monkeypatch.setattr(image_copy, 'ImageCopy', Copy)
    plan = [item('a%d' % n, ADMIN) for n in range(6)]
    plan += [item('d%d' % n, DEMO) for n in range(4)]
    plan += [item('s%d' % n, ADMIN, planner.SKIP) for n in range(4)]
    runner = executor.Executor(
        Clients(), Clients(), parallel=4,
        upload_slots={} if slots is None else {ADMIN: slots})
    results = runner.run(plan)
    assert all(r.ok for r in results)
    assert most[ADMIN] == expected
    # Demo's images do not wait behind admin's busy slots.
    assert most[DEMO] == 4 - expected if slots else most[DEMO] >= 1


def test_a_result_is_ok_unless_failed_or_blocked():
    def result(outcome):
        return executor.Result(source_id='s', dest_id=None, name='n',
                               result=outcome, size=1)

    assert result(image_copy.MIGRATED).ok and result(image_copy.SKIPPED).ok
    assert not result(image_copy.FAILED).ok
    assert not result(image_copy.BLOCKED).ok


def test_a_reused_image_is_reported_and_nothing_runs_for_it():
    """Reuse writes nothing, even when its kernel failed.

    Its dependants follow the reused image's ID.
    """
    copies = {}

    class Copy:
        dest_id = None

        def __init__(self, item):
            copies[item.source_id] = self

        def run(self, id_map, on_bytes=None, stop=None):
            self.id_map = id_map
            return image_copy.Outcome(image_copy.MIGRATED, 'new')

    kernel = plan_item('kernel', action=planner.BLOCKED, reasons=['no'])
    reused = plan_item('reused', action=planner.REUSE, dest_id='seeded',
                       depends_on=['kernel'], reasons=['identical'])
    server = plan_item('server', depends_on=['reused'])
    runner = executor.Executor(Clients(), Clients(), make_copy=Copy)
    results = runner.run([kernel, reused, server])
    assert [(r.result, r.dest_id, r.detail) for r in results[1:]] == [
        (image_copy.REUSED, 'seeded', 'identical'),
        (image_copy.MIGRATED, 'new', '')]
    assert results[1].ok
    assert list(copies) == ['server']
    assert copies['server'].id_map == {'reused': 'seeded'}


def test_rows_of_images_never_started_say_so():
    runner = executor.Executor(Clients(), Clients())
    done, later = plan_item('done'), plan_item('later')
    runner.results['done'] = executor.Result(
        source_id='done', dest_id='done', name='img',
        result=image_copy.MIGRATED, size=10, seconds=1.0, rate=10.0)
    rows = runner.run_results([done, later])
    assert rows[0] is runner.results['done']
    assert (rows[1].result, rows[1].dest_id, rows[1].detail) == (
        image_copy.FAILED, None, 'not started: the run was interrupted')
