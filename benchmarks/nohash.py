# SPDX-License-Identifier: Apache-2.0
"""The real ``openstack`` CLI with the data hash verification turned off.

Benchmark use only, never for a migration: it measures what hashing costs
the migrate process (CPU seconds per GiB, and whether it limits the rate)
without adding a hidden switch to the product. It replaces
``model.data_hash`` so that every image looks as if its source
record had no hash. Since issue 17 a stream of such a record hashes what
it reads (``model.READ_ALGOS``: sha512 and md5) to verify the copy
against; this file empties that list and replaces the post-upload check
with a status check, so that the stream is really copied unhashed (the
size is still checked by the stream; the destination's hash is not
compared, and copies are not recorded as verified: a re-run copies them
again under new IDs, so run it against a fresh destination).

    python benchmarks/nohash.py --os-cloud src image migrate ...
"""

import sys

from openstackclient import shell

from osc_image_migrate.cloud import http
from osc_image_migrate.copying import verify
from osc_image_migrate import model


def _no_digest(image):
    return None, None


def _status_only(dst, dest_id, source_image, read=None):
    record = dst.glance.images.get(dest_id)
    if record.get('status') != 'active':
        raise http.CloudError('destination image is %s after upload'
                              % record.get('status'), retriable=True)
    return record


def main(argv):
    missing = [name for module, name in (
        (model, 'data_hash'), (model, 'READ_ALGOS'),
        (verify, 'verify_destination')) if not hasattr(module, name)]
    if missing:
        sys.stderr.write('nohash: %s gone; update this file\n'
                         % ', '.join(missing))
        return 3
    model.data_hash = _no_digest
    model.READ_ALGOS = ()
    verify.verify_destination = _status_only
    return shell.main(argv)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
