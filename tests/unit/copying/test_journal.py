# SPDX-License-Identifier: Apache-2.0
"""The state a copy's steps share, declared in one place."""

import dataclasses

from osc_image_migrate.copying import journal
from osc_image_migrate import model


def test_a_new_journal_knows_nothing_yet():
    state = journal.CopyJournal()
    assert (state.notes, state.import_request, state.upload_broke_at,
            state.data_read) == ([], None, None, None)
    assert state.detail() == ''


def test_notes_keep_their_order_and_empty_ones_are_dropped():
    state = journal.CopyJournal(notes=['check the snapshots'])
    state.note('')
    state.note('new ID: the source ID is taken')
    assert state.detail() == ('check the snapshots; new ID: the source ID '
                              'is taken')


def test_what_the_steps_tell_is_kept_for_the_next_step():
    state = journal.CopyJournal()
    read = model.DataRead(3, {'md5': 'abc'})
    state.import_started('req-1')
    state.upload_broke()
    state.stream_read(read)
    assert state.import_request == 'req-1'
    assert state.upload_broke_at > 0
    assert state.data_read is read


def test_every_field_is_declared():
    names = {f.name for f in dataclasses.fields(journal.CopyJournal)}
    assert names == {'notes', 'import_request', 'upload_broke_at',
                     'data_read', 'stream_hint'}
