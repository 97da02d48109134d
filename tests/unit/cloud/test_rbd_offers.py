# SPDX-License-Identifier: Apache-2.0
"""The rbd offerer reads the clouds once, and only for images in RBD."""

from unittest import mock

import pytest

from osc_image_migrate.cloud import ceph_cli
from osc_image_migrate.cloud import rbd_offers
from osc_image_migrate.cloud import sessions
from osc_image_migrate.planning import planner
from tests.unit.fakes import answers

BLOCK = {'image_migrate': {'ceph_conf': '/c', 'ceph_user': 'glance'}}
DEST_BLOCK = {'image_migrate': {'ceph_conf': '/d', 'ceph_user': 'glance'}}
# Each cluster's fsid, by the ceph.conf that reaches it.
FSIDS = {'/c': 'f1', '/d': 'f2'}
URL = 'rbd://f1/images/abc/snap'


class Clients(answers.OnceAnswers):
    def __init__(self, name, settings, roles=('admin',), location=None):
        self.name = name
        self.settings = settings
        self.roles = list(roles)
        self.location = location

    def access(self):
        return mock.Mock(role_names=self.roles)


def rbd_item():
    return planner.PlanItem('abc', source_image={
        'id': 'abc', 'size': 1, 'os_hash_algo': 'sha512',
        'os_hash_value': 'a' * 128, 'direct_url': URL})


def test_not_in_play_without_settings_on_either_side():
    assert rbd_offers.offerer(Clients('s', {}), Clients('d', {})) is None


def test_clusters_are_read_once_and_the_role_decides():
    calls = []

    def fsid(settings):
        calls.append(settings.conf)
        return FSIDS[settings.conf]
    offer = rbd_offers.offerer(Clients('s', BLOCK), Clients('d', DEST_BLOCK))
    with mock.patch.object(ceph_cli, 'fsid', fsid):
        assert offer(planner.PlanItem('x', source_image={
            'direct_url': 'file:///x'})) is None
        assert calls == []
        first, second = offer(rbd_item()), offer(rbd_item())
    assert calls == ['/c', '/d']
    assert first.refusal == second.refusal == (
        'destination credential lacks the service role')


def test_an_unreachable_cluster_is_the_reason():
    def fsid(settings):
        raise ceph_cli.CephError('ceph fsid: no answer within 60 s')
    offer = rbd_offers.offerer(Clients('s', BLOCK),
                               Clients('d', BLOCK, ('service',)))
    with mock.patch.object(ceph_cli, 'fsid', fsid):
        assert offer(rbd_item()).refusal == (
            'Ceph of cloud s: ceph fsid: no answer within 60 s')


def test_settings_on_one_side_bring_the_path_into_play():
    offer = rbd_offers.offerer(Clients('s', BLOCK), Clients('d', {}))
    with mock.patch.object(ceph_cli, 'fsid', lambda s: 'f1'):
        assert offer(rbd_item()).refusal == 'no Ceph settings for cloud d'


def test_the_location_clouds_service_role_is_enough():
    service = Clients('d-service', {}, ('service',))
    offer = rbd_offers.offerer(Clients('s', BLOCK), Clients(
        'd', DEST_BLOCK, ('admin',), location=service))
    with mock.patch.object(ceph_cli, 'fsid', lambda s: FSIDS[s.conf]):
        assert offer(rbd_item()).refusal is None
    dst = Clients('d', DEST_BLOCK, ('admin',), location=service)
    assert rbd_offers.location_clients(dst) is service


@pytest.mark.parametrize('operator, service, chosen', [
    (('service',), ('member',), 'd'),
    (('admin',), ('member',), None),
])
def test_the_location_credential_is_the_first_with_the_role(
        operator, service, chosen):
    dst = Clients('d', DEST_BLOCK, operator,
                  location=Clients('d-service', {}, service))
    found = rbd_offers.location_clients(dst)
    assert (found.name if found else None) == chosen


def test_neither_credential_with_the_role_is_the_reason():
    offer = rbd_offers.offerer(Clients('s', BLOCK), Clients(
        'd', DEST_BLOCK, ('admin',),
        location=Clients('d-service', {}, ('member',))))
    with mock.patch.object(ceph_cli, 'fsid', lambda s: FSIDS[s.conf]):
        assert offer(rbd_item()).refusal == (
            'neither the destination credential nor that of its '
            'location_cloud d-service holds the service role')


def test_a_clusters_fsid_is_asked_once_per_command(monkeypatch):
    """The plan's offer and the run's copies share one ``ceph fsid``."""
    asked = []

    def fsid(settings):
        asked.append(settings.conf)
        return FSIDS[settings.conf]

    monkeypatch.setattr(ceph_cli, 'fsid', fsid)
    clients = sessions.CloudClients(
        name='dst', session=None, glance=None, image=None, identity=None,
        settings=DEST_BLOCK)
    settings = rbd_offers.side(clients).settings
    assert rbd_offers.fsid(clients, settings) == 'f2'
    assert rbd_offers.fsid(clients, settings) == 'f2'
    assert asked == ['/d']
