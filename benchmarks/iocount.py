# SPDX-License-Identifier: Apache-2.0
"""The real ``openstack`` CLI, saying at exit how many bytes it moved.

Benchmark use only: at exit it writes ``client-io rchar=<n> wchar=<n>``
(Linux ``/proc/self/io``: every byte read and written through system
calls, sockets and files alike) to stderr, so that benchmarks/regions.py
can tell a copy whose data went through this host from one whose data
did not.

    python benchmarks/iocount.py --os-cloud src image migrate ...
"""

import atexit
import sys

from openstackclient import shell


def report():
    with open('/proc/self/io') as f:
        counters = dict(line.split(':', 1) for line in f if ':' in line)
    sys.stderr.write('client-io rchar=%d wchar=%d\n' % (
        int(counters['rchar']), int(counters['wchar'])))


if __name__ == '__main__':
    atexit.register(report)
    sys.exit(shell.main(sys.argv[1:]))
