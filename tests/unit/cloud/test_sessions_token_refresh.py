# SPDX-License-Identifier: Apache-2.0
"""Re-authentication between images: the margin and its thread safety."""

import datetime
import threading
import time

from keystoneauth1 import access
from keystoneauth1 import fixture
import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate.copying import image_copy
from osc_image_migrate.planning import planner
from osc_image_migrate.run import executor


def token(lifetime, left):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    body = fixture.V3Token(
        issued=now - datetime.timedelta(seconds=lifetime - left),
        expires=now + datetime.timedelta(seconds=left))
    return access.create(body=body)


class FakeAuth:
    """An auth plugin whose every authentication gives a fresh token."""

    def __init__(self, lifetime, left):
        self.lifetime = lifetime
        self.current = token(lifetime, left)
        self.authentications = 0
        self.lock = threading.Lock()
        self.delay = 0

    def get_access(self, session):
        with self.lock:
            if self.current is None:
                self.authentications += 1
                self.current = token(self.lifetime, self.lifetime)
            current = self.current
        time.sleep(self.delay)  # the caller holds a stale answer meanwhile
        return current

    def invalidate(self):
        self.current = None
        return True


class FakeSession:
    def __init__(self, auth):
        self.auth = auth


def clients_with(auth):
    return sessions.CloudClients(name='dst', session=FakeSession(auth),
                                 glance=None, image=None, identity=None)


@pytest.mark.parametrize('lifetime,left,renewed', [
    (3600, 3000, False),   # plenty left
    (3600, 500, True),     # inside the 600 s margin
    (60, 50, False),       # a fresh 60 s token is not stale...
    (60, 20, True),        # ...but one with under half its life left is
    (600, 400, False),     # the margin is capped at half the lifetime
    (600, 250, True),
])
def test_margin_is_capped_at_half_the_lifetime(lifetime, left, renewed):
    auth = FakeAuth(lifetime, left)
    result = clients_with(auth).refresh_token_if_expiring(
        sessions.TOKEN_MARGIN)
    assert result is renewed
    assert auth.authentications == (1 if renewed else 0)


def test_a_short_lived_token_is_not_renewed_before_every_image():
    auth = FakeAuth(60, 60)
    dst = clients_with(auth)
    for _ in range(5):
        dst.refresh_token_if_expiring(sessions.TOKEN_MARGIN)
    assert auth.authentications == 0


def test_parallel_copies_renew_the_token_once():
    auth = FakeAuth(3600, 10)
    auth.delay = 0.03
    dst = clients_with(auth)

    def refresh(n):
        time.sleep(0.003 * n)
        dst.refresh_token_if_expiring(sessions.TOKEN_MARGIN)

    threads = [threading.Thread(target=refresh, args=(n,))
               for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert auth.authentications == 1


class RecordingClients:
    """Clients that note each token check and renewal in ``events``."""

    def __init__(self, name, events):
        self.name = name
        self.events = events

    def refresh_token_if_expiring(self, within_seconds):
        self.events.append((self.name, 'check'))
        return False

    def reauthenticate(self):
        self.events.append((self.name, 'renew'))


def test_a_rejected_token_is_renewed_before_the_retry(monkeypatch):
    """A data request never re-authenticates by itself (no replay)."""
    failures = [http.status_error('destination upload', 401)]
    events = []

    class FlakyCopy:
        dest_id = 'dest'

        def __init__(self, *args, **kwargs):
            pass

        def run(self, id_map, on_bytes=None, stop=None):
            events.append(('copy', 'attempt'))
            if failures:
                raise failures.pop()
            return image_copy.Outcome(image_copy.MIGRATED, 'dest', 3)

    monkeypatch.setattr(image_copy, 'ImageCopy', FlakyCopy)
    src = RecordingClients('source', events)
    dst = RecordingClients('dst', events)
    runner = executor.Executor(src, dst, parallel=1, backoff=(0,))
    item = planner.PlanItem(source_id='s', name='s', action=planner.COPY,
                            size=3)
    (result,) = runner.run([item])
    assert result.result == image_copy.MIGRATED
    # The first attempt only checks the tokens; after its 401 both clouds
    # get new ones, and only then is the copy tried again.
    assert events == [
        ('source', 'check'), ('dst', 'check'), ('copy', 'attempt'),
        ('source', 'renew'), ('dst', 'renew'), ('copy', 'attempt')]
