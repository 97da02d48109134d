# SPDX-License-Identifier: Apache-2.0
"""The run's cancellation signal: a wait that a stop ends."""

import threading

import pytest

from osc_image_migrate import cancel


def test_a_pause_with_the_stop_set_is_interrupted():
    stop = threading.Event()
    stop.set()
    with pytest.raises(cancel.Interrupted) as raised:
        cancel.pause(stop, 0)
    assert str(raised.value) == 'interrupted'


def test_a_pause_without_a_stop_returns_after_the_wait():
    stop = threading.Event()
    assert cancel.pause(stop, 0) is None
    assert not stop.is_set()


def test_without_an_event_a_pause_only_sleeps():
    assert cancel.pause(None, 0) is None


def test_interrupted_is_no_oserror_and_keeps_its_message():
    assert not issubclass(cancel.Interrupted, OSError)
    assert str(cancel.Interrupted('stopped by SIGTERM')) == (
        'stopped by SIGTERM')
