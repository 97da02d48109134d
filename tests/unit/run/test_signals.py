# SPDX-License-Identifier: Apache-2.0
"""SIGTERM stops a run as Ctrl-C does, and only while the command runs."""

import signal
import threading

import pytest

from osc_image_migrate.run import signals
from osc_image_migrate.v1 import rows


def test_sigterm_inside_raises_terminated_a_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt) as raised:
        with signals.sigterm_as_interrupt():
            signal.raise_signal(signal.SIGTERM)  # handled before it returns
    assert isinstance(raised.value, signals.Terminated)


def test_the_handler_before_is_restored_after():
    before = signal.getsignal(signal.SIGTERM)
    with signals.sigterm_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_outside_the_main_thread_nothing_is_changed():
    seen = []

    def work():
        with signals.sigterm_as_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [before]


def test_sigterm_exits_143_ctrl_c_130():
    ok = type('Result', (), {'ok': True})()
    assert rows.run_exit_status([ok], [], signals.Terminated()) == 143
    assert rows.run_exit_status([ok], [], KeyboardInterrupt()) == 130
    assert rows.run_exit_status([ok], [], True) == 130
    assert rows.run_exit_status([ok], [], False) == 0
