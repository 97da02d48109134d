# SPDX-License-Identifier: Apache-2.0
"""What every test run needs, unit or functional.

The functional tests' fixtures are in tests/functional/conftest.py, so
that a unit run loads none of them.
"""

import signal


def pytest_configure(config):
    """Ctrl-C raises KeyboardInterrupt here and in the commands we start.

    A shell starts a background job (``nohup tox ... &``) with SIGINT
    ignored; children inherit that, so the ``openstack`` a functional test
    interrupts would never see its Ctrl-C. A handler set here is reset to
    the default in each child, where Python installs its own.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
