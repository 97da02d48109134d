# SPDX-License-Identifier: Apache-2.0
"""An offloaded path sends the data, or hands it back to the stream."""

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.copying import journal
from osc_image_migrate.copying import offload
from osc_image_migrate.planning import planner


class Refusing:
    def __init__(self):
        self.calls = []

    def send(self, item, dest_id, copy_journal, stop, on_bytes=None):
        self.calls.append(dest_id)
        raise offload.PathRefused('the destination refused the import')


class Moving:
    def send(self, item, dest_id, copy_journal, stop, on_bytes=None):
        copy_journal.note('moved by the clouds')
        if on_bytes is not None:
            on_bytes(5)
        return 0


def item(path):
    return planner.PlanItem('s', action=planner.COPY, data_path=path)


def test_the_rows_path_moves_the_data():
    notes = journal.CopyJournal()
    offloads = offload.Offloads({'rbd': Moving()})
    assert offloads.send(item('rbd'), 'd', notes, None) == 0
    assert notes.notes == ['moved by the clouds']


def test_a_stream_row_is_left_to_the_stream():
    offloads = offload.Offloads({'rbd': Moving()})
    assert offloads.send(item('stream'), 'd', journal.CopyJournal(),
                         None) is None


def test_a_refusal_falls_back_to_the_stream_and_says_why():
    notes = journal.CopyJournal()
    refusing = Refusing()
    offloads = offload.Offloads({'glance-download': refusing})
    assert offloads.send(item('glance-download'), 'd', notes, None) is None
    assert refusing.calls == ['d']
    assert notes.notes == [
        'stream, not glance-download: the destination refused the import']


def test_a_refusal_of_a_path_asked_for_by_name_fails_the_row():
    offloads = offload.Offloads({'glance-download': Refusing()}, forced=True)
    with pytest.raises(http.CloudError) as e:
        offloads.send(item('glance-download'), 'd', journal.CopyJournal(),
                      None)
    assert str(e.value) == (
        'glance-download: the destination refused the import')
    assert not e.value.retriable


def test_the_bytes_through_this_host_reach_the_runs_progress():
    told = []
    offloads = offload.Offloads({'rbd': Moving()})
    offloads.send(item('rbd'), 'd', journal.CopyJournal(), None,
                  on_bytes=told.append)
    assert told == [5]


def test_what_a_path_left_is_cleared_before_any_stream():
    cleared = []
    offloads = offload.Offloads(
        {'rbd': Refusing()},
        before_stream=lambda it, dest_id, notes: cleared.append(
            (it.path, dest_id)))
    offloads.send(item('stream'), 'd', journal.CopyJournal(), None)
    offloads.send(item('rbd'), 'e', journal.CopyJournal(), None)
    offloads.send(item('glance-download'), 'f', journal.CopyJournal(), None)
    assert cleared == [('stream', 'd'), ('rbd', 'e'),
                       ('glance-download', 'f')]
    moving = offload.Offloads({'rbd': Moving()},
                              before_stream=lambda *a: cleared.append(a))
    moving.send(item('rbd'), 'g', journal.CopyJournal(), None)
    assert len(cleared) == 3
