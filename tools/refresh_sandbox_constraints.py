#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Refresh the sandbox's constraints files from fresh, unconstrained venvs.

Each server venv of the sandbox installs under a constraints file of its
own (tools/cloudsandbox/constraints/<label>.txt). This makes a new venv per
server in a temporary folder, installs that server's requirements with no
constraints (what PyPI gives today), and writes the complete ``pip freeze``
as the new file. Run it on purpose, then prove the new set with
``tox -e functional`` from wiped state folders before committing it::

    python3 tools/refresh_sandbox_constraints.py [--only barbican]

uWSGI is compiled (a few minutes of one core).
"""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudsandbox import barbican  # noqa: E402
from cloudsandbox import cinder  # noqa: E402
from cloudsandbox import venv  # noqa: E402

SERVERS = {
    venv.LABEL: venv.REQUIREMENTS,
    'barbican': barbican.REQUIREMENTS,
    'cinder': cinder.REQUIREMENTS,
}
HEADER = """\
# The complete, known-good set of the sandbox's {label} venv (pip install -c).
# Made by tools/refresh_sandbox_constraints.py on {day} with Python {python};
# refresh it on purpose, as the contributor guide says, never by hand.
"""


def frozen(label, requirements, python, work):
    """``pip freeze`` of a new venv holding ``requirements``, sorted."""
    folder = os.path.join(work, label)
    vpython = os.path.join(folder, 'bin', 'python')
    env = dict(os.environ, CPUCOUNT='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
    subprocess.check_call([python, '-m', 'venv', folder])
    subprocess.check_call([vpython, '-m', 'pip', 'install', '--quiet']
                          + requirements, env=env, stdin=subprocess.DEVNULL)
    out = subprocess.check_output([vpython, '-m', 'pip', 'freeze'], env=env)
    return sorted(out.decode().split(), key=str.lower)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', choices=sorted(SERVERS), action='append',
                        help='refresh only this venv\'s file (repeatable)')
    parser.add_argument('--python', default=sys.executable,
                        help='the interpreter of the new venvs')
    args = parser.parse_args(argv)
    version = subprocess.check_output(
        [args.python, '-c', 'import sys; print("%d.%d" % sys.version_info'
         '[:2])']).decode().strip()
    day = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')
    with tempfile.TemporaryDirectory(prefix='constraints-') as work:
        for label in args.only or sorted(SERVERS):
            lines = frozen(label, SERVERS[label], args.python, work)
            with open(venv.constraints_file(label), 'w') as f:
                f.write(HEADER.format(label=label, day=day, python=version))
                f.write('\n'.join(lines) + '\n')
            print('%s: %d packages' % (venv.constraints_file(label),
                                       len(lines)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
