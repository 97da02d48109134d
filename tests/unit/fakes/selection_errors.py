# SPDX-License-Identifier: Apache-2.0
"""The problems a SelectionError lists."""


def problems(excinfo):
    return excinfo.value.problems
