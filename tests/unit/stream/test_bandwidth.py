# SPDX-License-Identifier: Apache-2.0
"""--limit-rate: the rate parser and the shared schedule."""

import threading
import time

import pytest

from osc_image_migrate.stream import bandwidth

MiB = 1024 * 1024


@pytest.mark.parametrize('text,rate', [
    ('1000', 1000), ('800K', 800 * 1024), ('50M', 50 * MiB),
    ('1.5G', 3 * 512 * MiB), ('2m', 2 * MiB), ('10MiB', 10 * MiB),
    (' 4 M ', 4 * MiB), ('.5M', MiB // 2),
])
def test_rates(text, rate):
    assert bandwidth.parse_rate(text) == rate


@pytest.mark.parametrize('text', ['', 'M', '0', '0.1', '-5M', '10X',
                                  '1e6', '5 M M', None])
def test_not_rates(text):
    with pytest.raises(ValueError, match='is not a rate'):
        bandwidth.parse_rate(text)


class FakeTime:
    def __init__(self):
        self.now = 100.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += max(0, seconds)


def test_each_take_waits_for_its_own_slot():
    """2 MiB at 1 MiB/s: 2 s, less the one credit of MAX_WAIT."""
    fake = FakeTime()
    limiter = bandwidth.Limiter(MiB, clock=fake.clock, sleep=fake.sleep)
    for _ in range(8):
        limiter.take(MiB // 4)
    assert fake.now == pytest.approx(100 + 2 - bandwidth.MAX_WAIT)


def test_idle_time_is_saved_for_no_more_than_a_short_burst():
    fake = FakeTime()
    limiter = bandwidth.Limiter(MiB, clock=fake.clock, sleep=fake.sleep)
    limiter.take(MiB)
    fake.now += 10
    limiter.take(MiB)
    limiter.take(MiB)
    assert fake.now == pytest.approx(113.0 - 2 * bandwidth.MAX_WAIT)


def test_time_spent_reading_is_not_lost():
    """A stream whose reads take time still gets the whole rate."""
    fake = FakeTime()
    limiter = bandwidth.Limiter(MiB, clock=fake.clock, sleep=fake.sleep)
    for _ in range(40):
        limiter.take(MiB // 10)
        fake.now += 0.05   # reading 100 KiB takes 50 ms
    assert fake.now - 100 == pytest.approx(
        4.0 - bandwidth.MAX_WAIT + 0.05, abs=1e-3)


def test_pieces_keep_each_wait_short():
    assert bandwidth.Limiter(40 * MiB).piece == 10 * MiB
    assert bandwidth.Limiter(1000).piece == bandwidth.MIN_PIECE


def test_threads_share_one_rate():
    """Four streams together read no faster than the one limit."""
    limiter = bandwidth.Limiter(4 * MiB)
    started = time.monotonic()

    def stream():
        for _ in range(4):
            limiter.take(MiB // 4)

    threads = [threading.Thread(target=stream) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= 1 - bandwidth.MAX_WAIT


def test_a_stop_ends_the_wait():
    limiter = bandwidth.Limiter(1024)
    stop = threading.Event()
    stop.set()
    limiter.take(1024)
    started = time.monotonic()
    assert limiter.take(1024 * 1024, stop) is False
    assert time.monotonic() - started < 1
