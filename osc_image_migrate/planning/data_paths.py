# SPDX-License-Identifier: Apache-2.0
"""Which way each image's bytes travel: the plan's ``Path`` column.

One vocabulary for every data path, so that a plan row says how its data
would move whatever the destination is:

    stream   the source download piped into the destination upload,
             through this host (stream/transfer.py)
    bundle   into or out of a bundle directory (bundle/)
    -        the row moves no data (skip, sync, metadata only, blocked...)

``--data-path`` chooses among the cloud-to-cloud paths; ``auto`` picks the
best one the two clouds allow, which today is always ``stream``. A bundle
is chosen by ``--to-bundle`` instead. Later paths (``glance-download``,
``rbd``) join this list.
"""

AUTO = 'auto'
STREAM = 'stream'
BUNDLE = 'bundle'
NONE = '-'

# --data-path's choices, the default first.
CHOICES = (AUTO, STREAM)
