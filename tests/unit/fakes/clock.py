# SPDX-License-Identifier: Apache-2.0
"""A clock the test moves by hand, for code that takes ``clock=``."""


class FakeClock:
    def __init__(self, now=0.0):
        self.now = now

    def __call__(self):
        return self.now
