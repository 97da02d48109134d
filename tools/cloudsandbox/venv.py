# SPDX-License-Identifier: Apache-2.0
"""The venv with Keystone, Glance and uWSGI, made once per sandbox.

Every server venv (this one, Barbican's and Cinder's) installs its
requirements under a constraints file of its own (``constraints/<label>.txt``
beside this module): the complete set of versions last proven to work, in
the spirit of OpenStack's upper-constraints. A release elsewhere on PyPI
then changes nothing until that file is refreshed on purpose
(``tools/refresh_sandbox_constraints.py``); a venv made under another
version of the file is brought to the new one by the next ``up``.
"""

import hashlib
import os
import shutil
import subprocess
import sys

from cloudsandbox import common

# uWSGI has no wheel on PyPI: it is compiled (a minute or more of one
# core), by a pip of its own beside the one that fetches the rest.
COMPILED = ['uWSGI==2.0.31']
FETCHED = [
    'keystone==30.0.0',
    'glance==33.0.0',
    'glance-store==5.7.0',
    'keystonemiddleware==13.0.1',
    'SQLAlchemy==2.1.9',
    'python-openstackclient==10.5.0',
    # The MariaDB driver of Keystone and Glance (pure Python).
    'PyMySQL==1.2.4',
]
REQUIREMENTS = FETCHED + COMPILED
LABEL = 'keystone-glance'
# Written into the venv after a complete install: it names what is in it.
VENV_STAMP = '.osc-image-migrate-sandbox'
CONSTRAINTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               'constraints')


def constraints_file(label):
    """The constraints file of the venv named ``label``."""
    return os.path.join(CONSTRAINTS_DIR, label + '.txt')


def stamp_text(requirements, label):
    """A complete venv's stamp: its requirements and its constraints' hash.

    A changed constraints file changes the stamp, so the venv is
    installed again under it.
    """
    with open(constraints_file(label), 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return '\n'.join(sorted(requirements)
                     + ['constraints-sha256:' + digest]) + '\n'


def stamped(folder, stamp_name, requirements, label):
    """Whether ``folder`` holds a complete install of exactly this set."""
    stamp = os.path.join(folder, stamp_name)
    if not os.path.exists(stamp):
        return False
    with open(stamp) as f:
        return f.read() == stamp_text(requirements, label)


def pip_install(python, requirements, label):
    """The pip command that installs ``requirements`` under constraints."""
    return [python, '-m', 'pip', 'install', '-c', constraints_file(label)
            ] + requirements


def venv_python(python=None):
    """The interpreter for a new venv: keystone 30 / glance 33 need 3.11+."""
    if python:
        return python
    if sys.version_info >= (3, 11):
        return sys.executable
    for minor in (11, 12, 13, 14):  # 3.11 is the one measured
        found = shutil.which('python3.%d' % minor)
        # (a pyenv shim exists even when it cannot run: try it)
        if found and subprocess.call(
                [found, '-c', 'import venv'], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) == 0:
            return found
    raise common.SandboxError('the venv needs Python >= 3.11 (keystone 30, '
                              'glance 33) and none was found on PATH; pass '
                              '--python PATH')


def _usable(state, venv):
    """Whether ``venv`` already holds what the servers need."""
    vpython = os.path.join(venv, 'bin', 'python')
    if not os.path.exists(os.path.join(venv, 'bin', 'uwsgi')):
        return False
    if os.path.exists(os.path.join(venv, VENV_STAMP)):
        return stamped(venv, VENV_STAMP, REQUIREMENTS, LABEL)
    if state.data.get('done', {}).get('venv') == venv:
        return True
    # Someone else's venv (--venv): good enough if the servers import.
    if venv != os.path.join(state.dir, 'venv') and subprocess.call(
            [vpython, '-c', 'import keystone, glance, glance_store, '
             'keystonemiddleware'], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL) == 0:
        common.log('reusing existing venv %s' % venv)
        return True
    return False


def ensure(state, python=None):
    """Create and fill the venv unless it is already there."""
    venv = state.venv
    if _usable(state, venv):
        if state.data.get('done', {}).get('venv') != venv:
            state.mark('venv', venv)
        return
    vpython = os.path.join(venv, 'bin', 'python')
    pip_log = os.path.join(state.logs, 'pip.log')
    if not os.path.exists(vpython):
        python = venv_python(python)
        common.log('creating venv %s with %s' % (venv, python))
        with open(pip_log, 'ab') as out:
            if subprocess.call([python, '-m', 'venv', venv],
                               stdout=out, stderr=out) != 0:
                raise common.SandboxError(
                    '"%s -m venv %s" failed (on Debian: apt-get install '
                    'python3-venv); see %s' % (python, venv, pip_log))
    logs = [pip_log, os.path.join(state.logs, 'pip-compiled.log')]
    common.log('pip install %s (a few minutes; uWSGI is compiled; logs: %s)'
               % (' '.join(REQUIREMENTS), ', '.join(logs)))
    # uWSGI's parallel build failed now and then; serially it does not.
    env = dict(os.environ, CPUCOUNT='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
    jobs = []
    for requirements, log in zip((FETCHED, COMPILED), logs):
        out = open(log, 'ab')
        jobs.append((subprocess.Popen(
            pip_install(vpython, requirements, LABEL), stdout=out,
            stderr=out, stdin=subprocess.DEVNULL, env=env), out, log))
    failed = []
    for proc, out, log in jobs:
        rc = proc.wait()
        out.close()
        if rc != 0:
            failed.append('exit %d, see %s' % (rc, log))
    if failed:
        raise common.SandboxError('pip install failed (%s; uWSGI needs gcc '
                                  'and the Python headers)'
                                  % '; '.join(failed))
    common.write_file(os.path.join(venv, VENV_STAMP),
                      stamp_text(REQUIREMENTS, LABEL))
    state.mark('venv', venv)


def ensure_own(state, folder, requirements, stamp_name, label):
    """An optional server's venv of its own, filled once per state folder.

    Barbican and Cinder pin libraries that Keystone and Glance do not
    want, so they never go into the shared venv. The venv is made by the
    sandbox venv's interpreter, so that the sandbox's uWSGI (built against
    that Python) can serve it. Returns True when it installed something.
    """
    if stamped(folder, stamp_name, requirements, label):
        return False
    log = os.path.join(state.logs, 'pip-%s.log' % label)
    python = os.path.join(state.venv, 'bin', 'python')
    started = common.elapsed()
    common.log('installing %s into %s (once; log: %s)'
               % (' '.join(requirements), folder, log))
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK='1')
    with open(log, 'ab') as out:
        for argv in ([python, '-m', 'venv', folder],
                     pip_install(os.path.join(folder, 'bin', 'python'),
                                 requirements, label)):
            if subprocess.call(argv, stdout=out, stderr=out, env=env,
                               stdin=subprocess.DEVNULL) != 0:
                raise common.SandboxError('%s failed; see %s'
                                          % (' '.join(argv[:4]), log))
    common.write_file(os.path.join(folder, stamp_name),
                      stamp_text(requirements, label))
    common.log('%s installed in %.0f s' % (label,
                                           common.elapsed() - started))
    return True
