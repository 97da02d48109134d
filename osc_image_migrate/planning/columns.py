# SPDX-License-Identifier: Apache-2.0
"""The columns the commands print, each header named once.

The headers are the keys of ``-f json``, which operators save and feed
back (``migrate --plan-file``) and split into shards: the printer
(v1/rows.py), the reader of a saved plan (cloud/plan_file.py) and the
shard planner (planning/sharding.py) all use these names, so that a
renamed column cannot break a saved plan silently. They are stable.
"""

SOURCE_ID = 'Source ID'
NAME = 'Name'
OWNER = 'Owner'
VISIBILITY = 'Visibility'
SIZE = 'Size'
ACTION = 'Action'
# How the row's data moves (planning/data_paths.py); '-' for none.
PATH = 'Path'
DEST_ID = 'Dest ID'
DEST_OWNER = 'Dest Owner'
REASON = 'Reason'
SELECTED = 'Selected'
# plan --long
STATUS = 'Status'
DISK_FORMAT = 'Disk Format'
CONTAINER_FORMAT = 'Container Format'
MEMBERS = 'Members'
TAGS = 'Tags'
PROPERTIES = 'Properties'
DEPENDS_ON = 'Depends On'
CHANGES = 'Changes'
DEST_STORE = 'Dest Store'
# migrate
RESULT = 'Result'
SECONDS = 'Seconds'
RATE = 'Rate'
DETAIL = 'Detail'

PLAN = (SOURCE_ID, NAME, OWNER, VISIBILITY, SIZE, ACTION, PATH, DEST_ID,
        DEST_OWNER, REASON, SELECTED)
PLAN_LONG = (STATUS, DISK_FORMAT, CONTAINER_FORMAT, MEMBERS, TAGS,
             PROPERTIES, DEPENDS_ON, CHANGES, DEST_STORE)
RESULTS = (SOURCE_ID, DEST_ID, NAME, RESULT, SIZE, SECONDS, RATE, DETAIL)
# bundle verify
VERIFY = (SOURCE_ID, NAME, SIZE, RESULT, DETAIL)
