# SPDX-License-Identifier: Apache-2.0
"""How data gets into the destination: direct upload or glance-direct import.

Clouds that must run import plugins forbid direct upload by policy
(``upload_image``): ``PUT /v2/images/{id}/file`` answers 403 while the
interoperable import (``glance-direct``: stage, then import) still works.
Policies cannot be read through the API, so ``auto`` learns it from the
first 403 of an upload (Glance 33 answers it before reading the body and
leaves the record ``queued``), then stages every later image directly; the
destination's ``GET /v2/info/import`` tells whether glance-direct is there
to fall back on.

Through a TLS load balancer that 403 is often lost: the server closes as
soon as it has answered, the balancer drops the connection while the
client is still sending the body, the client's write fails (an SSL EOF)
and the answer goes with the connection. So ``auto`` also switches when
direct uploads into one record broke off ``UNANSWERED_BREAKS`` times with
no answer, each time by the server closing (not a timeout) and leaving
the record ``queued``, untouched: a server that had taken any of the data
would have put it in ``saving``. A break that happens once (a network
hiccup) is retried as before; the switch, when it comes, applies to the
next attempt into the same record (never a second record), which stages
the whole verified stream.
"""

import threading
from typing import Callable
from typing import Iterable
from typing import Sequence

from osc_image_migrate.cloud import inventory
from osc_image_migrate.cloud import sessions
from osc_image_migrate.i18n import _
from osc_image_migrate import model
from osc_image_migrate.planning import planner

AUTO = 'auto'
PUT = 'put'
GLANCE_DIRECT = 'glance-direct'
CHOICES = (AUTO, PUT, GLANCE_DIRECT)
# Direct uploads into one record that ended with no answer, the server
# closing, before ``auto`` takes it for a refusal it did not hear.
UNANSWERED_BREAKS = 2
# What a lost connection's CloudError.cause is when the server closed it
# (not ConnectTimeout: a stall, seen from our side).
SERVER_CLOSED = ('SSLError', 'ConnectFailure')


def offered(dst: sessions.CloudClients) -> tuple[str, ...]:
    """Import methods the destination offers (inventory.import_methods)."""
    return inventory.import_methods(dst)


def check_offered(requested: str, methods: Sequence[str]) -> None:
    """A usage error when glance-direct is asked for and not offered."""
    if requested == GLANCE_DIRECT and GLANCE_DIRECT not in methods:
        raise model.UsageError(_(
            '--upload-method glance-direct: the destination does not offer '
            'the glance-direct import method (it offers: %s)')
            % (', '.join(methods) or 'none'))


class Chooser:
    """The method of a run, shared by its parallel copies.

    ``offered`` is a callable returning the destination's import methods,
    called at most once (only ``auto`` needs it, at its first 403).
    """

    def __init__(self, requested: str = AUTO,
                 offered: Callable[[], Iterable[str]] = tuple) -> None:
        self.requested = requested
        self._offered = offered
        self._methods: tuple[str, ...] | None = None
        self._lock = threading.Lock()
        self._unanswered: dict[str, int] = {}
        self.current = GLANCE_DIRECT if requested == GLANCE_DIRECT else PUT

    def forbidden(self) -> bool:
        """Direct upload answered 403: True if glance-direct is to be used.

        Only ``auto`` switches, and only to a method the destination
        offers; the switch holds for the rest of the run.
        """
        if self.requested != AUTO:
            return False
        with self._lock:
            self._switch()
        return self.current == GLANCE_DIRECT

    def unanswered(self, dest_id: str) -> bool:
        """A direct upload into ``dest_id`` broke off unanswered.

        The server closed and the record stayed ``queued``. True when
        that made the run switch to glance-direct (``auto`` only: at the
        UNANSWERED_BREAKS-th such break of one record, and only to a
        method the destination offers).
        """
        if self.requested != AUTO:
            return False
        with self._lock:
            breaks = self._unanswered.get(dest_id, 0) + 1
            self._unanswered[dest_id] = breaks
            if breaks >= UNANSWERED_BREAKS:
                self._switch()
        return self.current == GLANCE_DIRECT

    def _switch(self) -> None:
        if self._methods is None:
            self._methods = tuple(self._offered())
        if GLANCE_DIRECT in self._methods:
            self.current = GLANCE_DIRECT


def plan_note(requested: str) -> str:
    """What the plan says about the method of a data copy, or ''.

    Nothing for ``auto``: whether a destination forbids direct upload is
    in its policy, which the API does not show; only an upload can tell.
    """
    return {PUT: 'upload: put',
            GLANCE_DIRECT: 'upload: glance-direct'}.get(requested, '')


def annotate(plan: list[planner.PlanItem],
             requested: str) -> list[planner.PlanItem]:
    """Add the upload method to the reason of every data copy."""
    note = plan_note(requested)
    for item in plan:
        if item.action in planner.DATA_ACTIONS and note:
            item.reasons.append(note)
    return plan


def chooser_for(requested: str, dst: sessions.CloudClients) -> Chooser:
    """The run's Chooser, checked before anything is written.

    glance-direct asked for and not offered is a usage error; ``auto``
    reads the offered methods only if it meets a 403.
    """
    if requested == GLANCE_DIRECT:
        check_offered(requested, offered(dst))
    return Chooser(requested, lambda: offered(dst))


def annotate_plan(plan: list[planner.PlanItem], requested: str,
                  dst: sessions.CloudClients) -> list[planner.PlanItem]:
    """The plan with each data copy's method noted, as far as known.

    Only an explicit glance-direct reads the destination again (to check
    that it is offered), so a default plan sends no more requests.
    """
    if requested == GLANCE_DIRECT:
        check_offered(requested, offered(dst))
    return annotate(plan, requested)
