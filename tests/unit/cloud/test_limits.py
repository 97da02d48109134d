# SPDX-License-Identifier: Apache-2.0
"""The destination's unified limits of images, read from Keystone."""

from keystoneauth1 import exceptions as ks_exc
import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import limits
from osc_image_migrate.planning import quotas
from tests.unit.fakes.quota import ADMIN
from tests.unit.fakes.quota import DEMO


def test_limit_is_the_projects_else_the_registered_one():
    found = limits.Limits({quotas.COUNT: 5, quotas.SIZE: -1},
                          {DEMO: {quotas.COUNT: 2}})
    assert found.limit(DEMO, quotas.COUNT) == 2
    assert found.limit(ADMIN, quotas.COUNT) == 5
    assert found.limit(ADMIN, quotas.SIZE) is None      # -1: unlimited
    assert found.limit(ADMIN, quotas.UPLOADING) is None  # not registered


class Response:
    def __init__(self, status, body):
        self.status_code = status
        self._body = body

    def json(self):
        return self._body


class Adapter:
    def __init__(self, answers, region_name='RegionOne'):
        self.answers = answers
        self.region_name = region_name
        self.asked = []

    def get(self, url, raise_exc=True):
        self.asked.append(url)
        answer = self.answers[url.split('?')[0]]
        if isinstance(answer, Exception):
            raise answer
        return answer


class LimitClients:
    name = 'dst'

    def __init__(self, usage, identity):
        self.image = Adapter({'/v2/info/usage': usage})
        self.identity = Adapter(identity)

    def access(self):
        class Catalog:
            catalog = [{'type': 'identity', 'id': 'ks'},
                       {'type': 'image', 'id': 'svc'}]

        class Access:
            service_catalog = Catalog()
        return Access()


def test_limits_are_read_for_the_catalogs_image_service():
    clients = LimitClients(Response(200, {'usage': {quotas.COUNT: {}}}), {
        '/registered_limits': Response(200, {'registered_limits': [
            {'resource_name': quotas.COUNT, 'default_limit': 10}]}),
        '/limits': Response(200, {'limits': [
            {'project_id': DEMO, 'resource_name': quotas.COUNT,
             'resource_limit': 2},
            {'project_id': None, 'domain_id': 'd',
             'resource_name': quotas.COUNT, 'resource_limit': 1}]})})
    found = limits.read(clients)
    assert found == limits.Limits({quotas.COUNT: 10},
                                  {DEMO: {quotas.COUNT: 2}})
    assert clients.identity.asked == [
        '/registered_limits?service_id=svc&region_id=RegionOne',
        '/limits?service_id=svc&region_id=RegionOne']


REGISTERED = Response(200, {'registered_limits': [
    {'resource_name': quotas.COUNT, 'default_limit': 10}]})


@pytest.mark.parametrize('usage, identity', [
    # Glance without use_keystone_limits answers an empty usage.
    (Response(200, {'usage': {}}), {'/registered_limits': REGISTERED}),
    (Response(404, None), {'/registered_limits': REGISTERED}),
    (Response(200, {'usage': {quotas.COUNT: {}}}), {
        '/registered_limits': http.from_library(ks_exc.Forbidden())}),
    (Response(200, {'usage': {quotas.COUNT: {}}}), {
        '/registered_limits': REGISTERED,
        '/limits': http.from_library(ks_exc.Forbidden())}),
])
def test_limits_that_cannot_be_read_mean_no_quota_check(usage, identity):
    assert limits.read(LimitClients(usage, identity)) is None


def test_without_registered_limits_glance_is_not_asked():
    clients = LimitClients(Response(200, {'usage': {quotas.COUNT: {}}}), {
        '/registered_limits': Response(200, {'registered_limits': []})})
    assert limits.read(clients) is None
    assert clients.image.asked == []
