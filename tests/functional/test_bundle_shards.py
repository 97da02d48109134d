# SPDX-License-Identifier: Apache-2.0
"""Bundles with a reviewed plan file, spread over hosts by ``--shard``.

A plan of an export in two shards; each "host" exports its shard into a
bundle of its own, and only its shard. A bundle is then imported with a
reviewed plan file of its own: what it lists, nothing else.
"""

import json
import os

from tests.functional.fixtures import faults as fs

MiB = 1024 * 1024


def run(sandbox, *argv, cloud='src'):
    """``openstack image migrate <argv> -f json``: (status, rows, stderr)."""
    ran = sandbox.openstack('image', 'migrate', *argv, '-f', 'json',
                            cloud=cloud, check=False)
    rows = json.loads(ran.stdout) if ran.stdout.strip() else []
    return ran.returncode, {row['Source ID']: row for row in rows}, ran.stderr


def bundle_ids(root):
    return sorted(name[:-len('.data')]
                  for name in os.listdir(os.path.join(root, 'images'))
                  if name.endswith('.data'))


def test_an_export_and_its_import_spread_over_two_hosts(sandbox, tmp_path):
    images = fs.Images(sandbox)
    made = [images.make('shard-%d' % n, MiB + n) for n in range(3)]
    ids = [image['id'] for image in made]
    bundles = [str(tmp_path / ('host-%d' % n)) for n in range(2)]
    status, planned, err = run(sandbox, 'plan', '--to-bundle', bundles[0],
                               '--shards', '2', *ids)
    assert (status, err) == (0, '')
    plan = tmp_path / 'export-plan.json'
    plan.write_text(json.dumps(list(planned.values())))
    shard_of = {i: row['Shard'] for i, row in planned.items()}

    for index, root in enumerate(bundles):
        status, rows, err = run(sandbox, '--to-bundle', root, '--plan-file',
                                str(plan), '--shard', '%d/2' % index)
        assert (status, err) == (0, ''), rows
        mine = sorted(i for i in ids if shard_of[i] == index)
        assert sorted(rows) == mine
        assert {r['Result'] for r in rows.values()} == {'migrated'}
        assert bundle_ids(root) == mine

    # The import of the bundle with two images, from a reviewed plan of
    # one of them: the run imports what was reviewed, nothing else.
    root = max(bundles, key=lambda r: len(bundle_ids(r)))
    kept, other = bundle_ids(root)
    status, planned, err = run(sandbox, 'plan', '--from-bundle', root,
                               '--dest-cloud', 'dst', kept, cloud=None)
    assert (status, err) == (0, '')
    plan = tmp_path / 'import-plan.json'
    plan.write_text(json.dumps(list(planned.values())))
    status, rows, err = run(sandbox, '--from-bundle', root, '--dest-cloud',
                            'dst', '--plan-file', str(plan), '--shard',
                            '0/1', cloud=None)
    assert (status, err) == (0, ''), rows
    assert {i: r['Result'] for i, r in rows.items()} == {kept: 'migrated'}
    assert fs.dest_status(sandbox, kept) == 'active'
    assert fs.dest_status(sandbox, other) is None
