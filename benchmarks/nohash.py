# SPDX-License-Identifier: Apache-2.0
"""The real ``openstack`` CLI with the data hash verification turned off.

Benchmark use only, never for a migration: it measures what hashing costs
the migrate process (CPU seconds per GiB, and whether it limits the rate)
without adding a hidden switch to the product. It replaces
``model.data_hash`` so that every image looks as if its source
record had no hash: the stream is then copied unhashed (the size is still
checked, and so are the destination's own size and hash afterwards).

    python benchmarks/nohash.py --os-cloud src image migrate ...
"""

import sys

from openstackclient import shell

from osc_image_migrate import model


def _no_digest(image):
    return None, None


def main(argv):
    if not callable(getattr(model, 'data_hash', None)):
        sys.stderr.write('nohash: osc_image_migrate.model has no '
                         'data_hash() any more; update this file\n')
        return 3
    model.data_hash = _no_digest
    return shell.main(argv)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
