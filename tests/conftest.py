# SPDX-License-Identifier: Apache-2.0
"""The fixtures every test may ask for, as pytest plugins.

pytest takes ``pytest_plugins`` only from the conftest it loads first (this
one: ``pytest``, ``pytest tests/unit`` and ``pytest tests/functional`` all
start here), so the functional sandboxes' fixtures are listed here rather
than imported into tests/functional/conftest.py.
"""

pytest_plugins = [
    'tests.functional.fixtures.sandbox',
    'tests.functional.fixtures.variants',
    'tests.functional.fixtures.faults',
]
