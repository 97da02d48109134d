# SPDX-License-Identifier: Apache-2.0
"""Ctrl-C during a run: prompt even when a copy is stuck on a stalled peer."""

import os
import signal
import threading

import pytest

from osc_image_migrate.copying import image_copy
from osc_image_migrate.planning import planner
from osc_image_migrate.run import executor


class Clients:
    name = 'cloud'

    def refresh_token_if_expiring(self, within_seconds):
        return False


def items(*names):
    return [planner.PlanItem(source_id=name, name=name,
                             action=planner.COPY, size=1)
            for name in names]


@pytest.fixture
def ctrl_c_raises():
    """Python's own SIGINT handler, which this test's Ctrl-C relies on.

    A shell starts a background job (``nohup tox -e py3 &``) with SIGINT
    ignored, and Python then installs no handler: the signal the test
    sends would be lost and the run would wait for it for good.
    """
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_ctrl_c_abandons_a_stuck_copy_after_the_grace(monkeypatch,
                                                      ctrl_c_raises):
    monkeypatch.setattr(executor, 'STOP_GRACE', 0.3)
    blocked = threading.Event()    # the stuck copy sits in its read
    released = threading.Event()   # the test lets that read end
    came_back = threading.Event()  # the stuck copy returned

    class Copy:
        def __init__(self, src, dst, item, keep_ids, stream_options=None,
                     offloads=None):
            self.item = item
            self.dest_id = None

        def run(self, id_map, on_bytes=None, stop=None):
            if self.item.name == 'quick':
                return image_copy.Outcome(image_copy.MIGRATED, 'd-quick', 1)
            self.dest_id = 'd-stuck'
            blocked.set()
            released.wait()  # blocked in a read that ignores ``stop``
            came_back.set()
            return image_copy.Outcome(image_copy.MIGRATED, 'd-stuck', 1)

    def interrupt():
        blocked.wait()
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(image_copy, 'ImageCopy', Copy)
    runner = executor.Executor(Clients(), Clients(), parallel=1)
    plan = items('quick', 'stuck', 'later')
    threading.Thread(target=interrupt, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run(plan)
        # Ctrl-C ended the run while the stuck copy was still stuck.
        assert not came_back.is_set()
    finally:
        released.set()
    quick, stuck, later = runner.run_results(plan)
    assert (quick.result, quick.dest_id) == ('migrated', 'd-quick')
    assert (stuck.result, stuck.dest_id, stuck.detail) == (
        'failed', 'd-stuck', 'interrupted')
    assert (later.result, later.dest_id) == ('failed', None)
    assert later.detail == 'not started: the run was interrupted'


def test_a_bug_in_one_copy_stops_the_run_and_is_raised(monkeypatch):
    class Copy:
        def __init__(self, src, dst, item, keep_ids, stream_options=None,
                     offloads=None):
            self.dest_id = None

        def run(self, id_map, on_bytes=None, stop=None):
            return image_copy.Outcome(image_copy.MIGRATED, 'd', 1)

    def broken_record(item, outcome, started):
        raise RuntimeError('bug')

    monkeypatch.setattr(image_copy, 'ImageCopy', Copy)
    runner = executor.Executor(Clients(), Clients(), parallel=2)
    monkeypatch.setattr(runner, '_record', broken_record)
    with pytest.raises(RuntimeError):
        runner.run(items('a', 'b', 'c'))
    assert runner.stop.is_set()
