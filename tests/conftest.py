# SPDX-License-Identifier: Apache-2.0
"""The fixtures every test may ask for, as pytest plugins.

pytest takes ``pytest_plugins`` only from the conftest it loads first (this
one: ``pytest``, ``pytest tests/unit`` and ``pytest tests/functional`` all
start here), so the functional sandboxes' fixtures are listed here rather
than imported into tests/functional/conftest.py.
"""

import signal

pytest_plugins = [
    'tests.functional.fixtures.sandbox',
    'tests.functional.fixtures.variants',
    'tests.functional.fixtures.faults',
]


def pytest_configure(config):
    """Ctrl-C raises KeyboardInterrupt here and in the commands we start.

    A shell starts a background job (``nohup tox ... &``) with SIGINT
    ignored; children inherit that, so the ``openstack`` a functional test
    interrupts would never see its Ctrl-C. A handler set here is reset to
    the default in each child, where Python installs its own.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
