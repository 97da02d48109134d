# SPDX-License-Identifier: Apache-2.0
"""The ``rbd`` and ``ceph`` commands (Debian's ceph-common) on one cluster.

The rbd path talks to both clouds' Ceph clusters with the commands that
operators use, reaching each with the settings of its cloud's clouds.yaml
entry (planning/rbd_path.CephSettings). A command that fails raises
CephError with the last line it printed.
"""

import json
import shutil
import subprocess
from typing import Any

from osc_image_migrate.planning import rbd_path

# What one metadata command may take (connect, answer) before it is
# given up: a cluster that does not answer in this time is unreachable.
TIMEOUT = 60.0


class CephError(Exception):
    """A Ceph command failed; the message says which and why."""


def rbd(settings: rbd_path.CephSettings, *args: str) -> list[str]:
    """The argv of an rbd command on the cluster of ``settings``."""
    return ['rbd'] + settings.args() + list(args)


def run(argv: list[str], timeout: float = TIMEOUT) -> str:
    """Run a Ceph command; its standard output, or CephError."""
    if shutil.which(argv[0]) is None:
        raise CephError('%s is not installed on this host (Debian: '
                        'apt-get install ceph-common)' % argv[0])
    try:
        done = subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL,
                              check=False)
    except subprocess.TimeoutExpired:
        raise CephError('%s %s: no answer within %d s'
                        % (argv[0], ' '.join(_action(argv)), timeout))
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ['exit %d'
                                                     % done.returncode]
        raise CephError('%s %s: %s' % (argv[0], ' '.join(_action(argv)),
                                       lines[-1]))
    return done.stdout


def _action(argv: list[str]) -> list[str]:
    """The words of a command after its connection switches."""
    words, skip = [], False
    for word in argv[1:]:
        if skip:
            skip = False
        elif word in ('--conf', '--id', '--keyring'):
            skip = True
        else:
            words.append(word)
    return words[:3]


def rbd_json(settings: rbd_path.CephSettings, *args: str) -> Any:
    """An rbd command's ``--format json`` answer."""
    return json.loads(run(rbd(settings, *args, '--format', 'json')) or
                      'null')


def fsid(settings: rbd_path.CephSettings) -> str:
    """The fsid of the cluster the settings reach (proves it answers)."""
    argv = ['ceph'] + settings.args() + [
        '--connect-timeout', str(int(TIMEOUT)), 'fsid', '--format', 'json']
    return str(json.loads(run(argv))['fsid'])
