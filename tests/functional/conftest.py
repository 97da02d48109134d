# SPDX-License-Identifier: Apache-2.0
"""The functional tests' fixtures: the sandboxes they run against.

Imported here, not listed as plugins in the root conftest, so that a unit
run loads none of them (nor openstacksdk, nor the sandbox tooling).
"""

from tests.functional.fixtures.faults import caps_box  # noqa: F401
from tests.functional.fixtures.faults import restart_box  # noqa: F401
from tests.functional.fixtures.sandbox import sandbox  # noqa: F401
from tests.functional.fixtures.variants import services_box  # noqa: F401
from tests.functional.fixtures.variants import variant_sandbox  # noqa: F401
