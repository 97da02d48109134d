# SPDX-License-Identifier: Apache-2.0
"""Reading both clouds into a plan: the two read at once, the summary."""

import threading
import types

from keystoneauth1 import exceptions as ks_exc
from osc_lib import exceptions
import pytest

from osc_image_migrate.cloud import inventory
from osc_image_migrate.cloud import sessions
from osc_image_migrate.cloud import survey
from osc_image_migrate import model
from osc_image_migrate.planning import planner


def test_summary():
    plan = [planner.PlanItem('a', action=planner.COPY, size=10),
            planner.PlanItem('b', action=planner.RESUME, size=5),
            planner.PlanItem('c', action=planner.NEW_ID, size=None),
            planner.PlanItem('d', action=planner.SKIP, size=100),
            planner.PlanItem('e', action=planner.COPY, size=1)]
    assert survey.summary(plan) == {
        'actions': {'copy': 2, 'resume': 1, 'new-id': 1, 'skip': 1},
        'images': 5, 'bytes': 16}
    assert survey.summary([]) == {'actions': {}, 'images': 0, 'bytes': 0}


def listing(images):
    return model.Inventory(images=images, members={}, projects={},
                           project_id='p', is_admin=True,
                           projects_complete=True)


def test_the_destination_is_read_while_the_source_is(monkeypatch):
    """Its listing starts before the caller reads the source, in a thread."""
    started, source_read = threading.Event(), threading.Event()
    shared = {'id': 'a', 'visibility': 'shared'}
    other = {'id': 'b', 'visibility': 'shared'}

    def read_listing(clients):
        started.set()
        # Waits for the source: were it read in turn, this would block.
        assert source_read.wait(30)
        return listing({'a': shared, 'b': other})

    asked = []
    monkeypatch.setattr(inventory, 'read_listing', read_listing)
    monkeypatch.setattr(inventory, 'read_members',
                        lambda clients, images, wanted: {
                            i: asked.append(i) or [] for i in images
                            if wanted(images[i])})
    reading = survey.DestinationRead(types.SimpleNamespace(name='dst'))
    assert started.wait(30)
    source_read.set()
    dest = reading.inventory({'a': []})
    assert set(dest.images) == {'a', 'b'}
    assert asked == ['a']  # members of possible copies only
    assert dest.members == {'a': []}


def test_a_failed_destination_read_is_raised_as_the_destinations():
    class Clients:
        name = 'dst-x'

        def access(self):
            raise ks_exc.Unauthorized('The request you have made requires '
                                      'authentication.')

    reading = survey.DestinationRead(Clients())
    with pytest.raises(exceptions.CommandError) as failed:
        reading.inventory({})
    assert str(failed.value).startswith('destination cloud dst-x: ')


def test_the_limits_are_read_once_for_the_plan_and_the_run(monkeypatch):
    """The quota check and the upload slots share one read of Keystone."""
    reads = []

    def read(clients):
        reads.append(clients.name)
        return None

    monkeypatch.setattr(survey.limits_mod, 'read', read)
    dest = sessions.CloudClients(name='dst', session=None, glance=None,
                                 image=None, identity=None)
    assert survey.read_limits(dest) is None
    assert survey.upload_slots(dest) == {}
    assert reads == ['dst']
    other = sessions.CloudClients(name='other', session=None, glance=None,
                                  image=None, identity=None)
    survey.read_limits(other)
    assert reads == ['dst', 'other']
