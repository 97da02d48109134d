# SPDX-License-Identifier: Apache-2.0
"""Progress on stderr: bytes, images, rate and ETA, redrawn sparingly."""

import io

from osc_image_migrate.planning import planner
from osc_image_migrate.run import progress
from tests.unit.fakes.clock import FakeClock
from tests.unit.fakes.plan_rows import plan_item


def test_human_units():
    assert progress.human_bytes(0) == '0 B'
    assert progress.human_bytes(1023) == '1023 B'
    assert progress.human_bytes(1536) == '1.5 KiB'
    assert progress.human_bytes(3 * 2 ** 30) == '3.0 GiB'
    assert progress.human_bytes(5 * 2 ** 50) == '5120.0 TiB'
    assert progress.human_seconds(3725.9) == '1:02:05'


def test_only_data_copies_count_toward_the_total_bytes():
    shown = progress.Progress(io.StringIO(), clock=FakeClock(100.0))
    shown.start([plan_item('a', size=10), plan_item('b', size=5),
                 plan_item('c', action=planner.SKIP, size=99)])
    assert (shown.total_images, shown.total_bytes) == (3, 15)


def test_the_line_says_images_bytes_rate_eta_and_each_running_image():
    clock = FakeClock(100.0)
    stream = io.StringIO()
    shown = progress.Progress(stream, clock=clock)
    big = plan_item('big', name='big-image', size=2 * 2 ** 20)
    shown.start([big, plan_item('small', size=2 ** 20)])
    clock.now += 2
    shown.bytes_done(big)(2 ** 20)
    assert shown.line() == ('[0/2 images] 1.0 MiB / 3.0 MiB, 512.0 KiB/s, '
                            'ETA 0:00:04 | big-image 50%')
    assert stream.getvalue() == '\r\x1b[K' + shown.line()


def test_a_redraw_waits_unless_an_image_ends():
    clock = FakeClock(100.0)
    stream = io.StringIO()
    shown = progress.Progress(stream, clock=clock)
    item = plan_item('a', size=100)
    shown.start([item])
    count = shown.bytes_done(item)
    count(10)
    count(10)  # within REFRESH_SECONDS of the first draw: not drawn
    assert stream.getvalue().count('\r') == 1
    shown.done(item, None)
    assert stream.getvalue().count('\r') == 2
    assert shown.active == {} and shown.done_images == 1
    shown.finish()
    assert stream.getvalue().endswith('\n')
