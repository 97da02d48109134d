# SPDX-License-Identifier: Apache-2.0
"""The sandbox's Python API for tests: the cloudsandbox package in tools/.

tools/ is not an installed package, so it is put on sys.path first.
"""

import importlib
import pathlib
import sys

TOOLS = pathlib.Path(__file__).resolve().parents[1] / 'tools'


def load():
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module('cloudsandbox')
