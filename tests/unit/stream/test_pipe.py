# SPDX-License-Identifier: Apache-2.0
"""The pipe between two commands: counted, limited, stopped, stalled."""

import io
import os
import threading

import pytest

from osc_image_migrate.stream import pipe


class Sink(io.BytesIO):
    def close(self):
        self.closed_at = self.getvalue()


def test_every_byte_is_moved_and_counted():
    data = os.urandom(3 * pipe.PIECE + 5)
    sink = Sink()
    seen = []
    moved = pipe.pump(io.BufferedReader(io.BytesIO(data)), sink,
                      lambda: None, 60, on_bytes=seen.append)
    assert moved == len(data) == sum(seen)
    assert sink.closed_at == data


def test_a_silent_source_is_killed_and_reported_as_stalled():
    read_end, write_end = os.pipe()
    killed = threading.Event()

    def kill():
        killed.set()
        os.close(write_end)
    with open(read_end, 'rb') as source:
        with pytest.raises(pipe.Stalled):
            pipe.pump(source, Sink(), kill, stall_timeout=0.2)
    assert killed.is_set()


def test_a_stop_kills_the_commands():
    read_end, write_end = os.pipe()
    stop = threading.Event()
    stop.set()

    def kill():
        os.close(write_end)
    with open(read_end, 'rb') as source:
        with pytest.raises(pipe.Stopped):
            pipe.pump(source, Sink(), kill, stall_timeout=60, stop=stop)
