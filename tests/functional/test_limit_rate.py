# SPDX-License-Identifier: Apache-2.0
"""--limit-rate caps the whole run, all parallel copies together.

The test holds the run to the cap's upper bound, the promise (a loaded
machine can only be slower); how close to the cap a run gets is measured by
the benchmark (benchmarks/limits.py, "limit-rate"), not asserted here.
"""

import os

MiB = 1024 * 1024


def test_parallel_copies_share_one_rate(sandbox):
    demo = sandbox.project_id('src', 'demo')
    images = [sandbox.create_image(data=os.urandom(8 * MiB), owner=demo,
                                   visibility='private') for _ in range(3)]
    args = []
    for image in images:
        args += ['--image', image['id']]
    rows, _ = sandbox.migrate_json('--dest-cloud', 'dst', '--no-progress',
                                   '--parallel', '3', '--limit-rate', '4M',
                                   *args)
    assert {rows[i['id']]['Result'] for i in images} == {'migrated'}
    sent = sum(rows[i['id']]['Size'] for i in images)
    seconds = max(rows[i['id']]['Seconds'] for i in images)
    rate = sent / seconds / (4 * MiB)
    assert rate <= 1.05, (sent, seconds)
    for image in images:
        assert sandbox.image_data('dst', image['id']) == sandbox.image_data(
            'src', image['id'])
