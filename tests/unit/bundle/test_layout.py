# SPDX-License-Identifier: Apache-2.0
"""A bundle's file names, and files that are whole or absent."""

import hashlib
import io
import os

import pytest

from osc_image_migrate.bundle import layout


def test_every_file_of_an_image_is_named_after_its_id():
    assert layout.metadata_name('a1') == 'images/a1.json'
    assert layout.data_name('a1') == 'images/a1.data'
    assert layout.part_name('a1') == 'images/a1.data.part'
    assert layout.sums_name('a1') == 'images/a1.data.part.sha256'
    for bad in ('', '../x', 'a/b', '.hidden'):
        with pytest.raises(layout.BundleError):
            layout.data_name(bad)


def test_the_chunk_size_is_a_whole_number_of_stream_blocks():
    assert layout.CHUNK_SIZE % layout.BLOCK_SIZE == 0


def test_a_file_is_replaced_whole_and_leaves_no_temporary(tmp_path):
    path = str(tmp_path / 'doc.json')
    layout.write_atomic(path, layout.dump({'a': 1}))
    assert layout.load(path) == {'a': 1}
    layout.write_atomic(path, layout.dump({'a': 2}))
    assert layout.load(path) == {'a': 2}
    assert os.listdir(tmp_path) == ['doc.json']
    assert layout.load(str(tmp_path / 'none.json')) is None
    (tmp_path / 'bad.json').write_text('{')
    with pytest.raises(layout.BundleError, match='bad.json'):
        layout.load(str(tmp_path / 'bad.json'))


def test_chunk_sha256_reads_one_chunk_and_stops_at_the_end():
    data = bytes(range(256)) * 40  # 10240 bytes
    f = io.BytesIO(data)
    assert layout.chunk_sha256(f, 4096, block_size=1000) == (
        hashlib.sha256(data[:4096]).hexdigest(), 4096)
    assert f.tell() == 4096
    layout.chunk_sha256(f, 4096, block_size=1000)
    # The last chunk is short: what was there, and how much.
    assert layout.chunk_sha256(f, 4096, block_size=1000) == (
        hashlib.sha256(data[8192:]).hexdigest(), 2048)
