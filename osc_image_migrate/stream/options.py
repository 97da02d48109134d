# SPDX-License-Identifier: Apache-2.0
"""What every stream of a run does besides copying: checks, limits, waits."""

import dataclasses
from typing import Any

from osc_image_migrate.cloud import http
from osc_image_migrate.stream import bandwidth


# Seconds to wait before each reopening of a broken source download, in
# turn; once they are used up without a byte read in between, the attempt
# fails. Short on purpose: the destination's upload is idle meanwhile, and
# a destination Glance gives up an idle upload after its own socket
# timeout (uWSGI's default: 4 s), so all of them together stay below that.
RESUME_BACKOFF = (0, 0.25, 0.5, 1.0)

# Seconds a source download may stay silent before it is asked again from
# its next byte (one Range request), while the destination's upload is
# still open: below the 4 s after which uWSGI drops an idle upload, so a
# source stall costs a reopened download, not a new upload. Each further
# silence in a row without a byte waits twice as long; --stall-timeout
# stays the bound after which the attempt is given up.
SOURCE_HEDGE = 2.0


@dataclasses.dataclass(frozen=True)
class StreamOptions:
    """The run's settings that every stream shares.

    ``limiter`` is a bandwidth.Limiter shared by all streams, or None;
    ``method`` the run's upload_method.Chooser (None: direct upload), shared
    so that what one copy learns (direct upload forbidden) holds for all.
    ``stall_timeout``: seconds without progress on either side after which
    a data request is given up (the source's is then resumed);
    ``resume_backoff``: the waits before each reopening of the source
    (empty: a broken source download fails the attempt);
    ``source_hedge``: seconds of silence after which the source download
    is reopened (see SOURCE_HEDGE).
    """

    check_format: bool = True
    limiter: bandwidth.Limiter | None = None
    # copying/upload_method.Chooser: a layer above, so not named here.
    method: Any = None
    stall_timeout: float = http.STALL_TIMEOUT
    resume_backoff: tuple[float, ...] = RESUME_BACKOFF
    source_hedge: float = SOURCE_HEDGE

    def request_switches(self) -> dict[str, Any]:
        """keystoneauth switches of this run's data requests."""
        return http.no_replay(self.stall_timeout)
