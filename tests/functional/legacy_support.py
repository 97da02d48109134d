"""Source records as real clouds hold them: made by editing Glance's DB.

Upgrades and other tools (Nova's Ceph RBD direct snapshots, images
registered from a location) leave records that today's Glance API cannot
make: no hash, no size. They are made the way they arise, by editing the
source Glance's ``images`` table; :func:`edit_images_table` is the one
place that knows where that table is (sqlite in the sandbox state folder).
"""

import os
import sqlite3

from tests.functional import conftest

# The columns a legacy record lacks.
NO_HASH = {'checksum': None, 'os_hash_algo': None, 'os_hash_value': None}
NO_SIZE = dict(NO_HASH, size=None)
MD5_ONLY = {'os_hash_algo': None, 'os_hash_value': None}


def glance_db(box, cloud='src'):
    """The path of a sandbox Glance's sqlite database."""
    state_dir = getattr(box, 'state_dir', None) or str(conftest.state_dir())
    return os.path.join(state_dir, cloud, 'glance', 'glance.db')


def edit_images_table(box, image_id, cloud='src', **columns):
    """``UPDATE images SET <columns> WHERE id = <image_id>``.

    As an upgrade leaves records; returns the row as it is afterwards.
    """
    names = sorted(columns)
    with sqlite3.connect(glance_db(box, cloud), timeout=30) as db:
        changed = db.execute(
            'UPDATE images SET %s WHERE id = ?' % ', '.join(
                '%s = ?' % name for name in names),
            [columns[name] for name in names] + [image_id]).rowcount
        assert changed == 1, image_id
        db.row_factory = sqlite3.Row
        return dict(db.execute('SELECT * FROM images WHERE id = ?',
                               [image_id]).fetchone())
