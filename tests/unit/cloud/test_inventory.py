# SPDX-License-Identifier: Apache-2.0
"""One cloud read into plain data: images, members, projects, stores."""

import types

from keystoneauth1 import exceptions as ks_exc
import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import inventory


class API:
    """An adapter answering GETs from ``answers`` (url -> body or error)."""

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def get(self, url):
        self.asked.append(url)
        answer = self.answers[url]
        if isinstance(answer, Exception):
            raise answer
        return types.SimpleNamespace(json=lambda: answer)


def clients(image=None, identity=None):
    return types.SimpleNamespace(name='src', image=API(image or {}),
                                 identity=API(identity or {}))


def listing(hidden):
    return ('/v2/images?visibility=all&os_hidden=%s&limit=%d'
            % (hidden, inventory.PAGE_SIZE))


def test_images_are_listed_hidden_or_not_following_next_links():
    src = clients(image={
        listing('false'): {'images': [{'id': 'a'}], 'next': '/page2'},
        '/page2': {'images': [{'id': 'b'}]},
        listing('true'): {'images': [{'id': 'h', 'os_hidden': True}]}})
    assert inventory.read_images(src) == {
        'a': {'id': 'a'}, 'b': {'id': 'b'},
        'h': {'id': 'h', 'os_hidden': True}}
    assert src.image.asked == [listing('false'), '/page2', listing('true')]


def test_members_are_read_for_the_shared_images_wanted_only():
    images = {i: {'id': i, 'visibility': v} for i, v in [
        ('s1', 'shared'), ('s2', 'shared'), ('s3', 'shared'),
        ('p', 'private'), ('pub', 'public')]}
    src = clients(image={
        '/v2/images/%s/members' % i: {'members': [
            {'member_id': 'm-' + i, 'status': 'accepted',
             'created_at': 'x'}]} for i in ('s1', 's2')})
    members = inventory.read_members(src, images,
                                     wanted=lambda i: i['id'] != 's3')
    assert members == {
        's1': [{'member_id': 'm-s1', 'status': 'accepted'}],
        's2': [{'member_id': 'm-s2', 'status': 'accepted'}]}
    assert sorted(src.image.asked) == ['/v2/images/s1/members',
                                       '/v2/images/s2/members']


ACCESS = types.SimpleNamespace(project_id='own', project_name='demo',
                               project_domain_name=None)


def test_projects_get_their_domain_names():
    src = clients(identity={
        '/domains': {'domains': [{'id': 'd1', 'name': 'Default'}]},
        '/projects': {'projects': [
            {'id': 'p1', 'name': 'alt', 'domain_id': 'd1'},
            {'id': 'p2', 'name': 'x', 'domain_id': 'gone'}]}})
    projects, complete = inventory.read_projects(src, ACCESS)
    assert complete
    assert {p.id: (p.name, p.domain) for p in projects.values()} == {
        'p1': ('alt', 'Default'), 'p2': ('x', 'gone'),
        'own': ('demo', 'Default')}


def test_without_the_right_to_list_projects_only_its_own_is_known():
    forbidden = http.from_library(ks_exc.Forbidden())
    src = clients(identity={'/domains': forbidden})
    projects, complete = inventory.read_projects(src, ACCESS)
    assert not complete
    assert list(projects) == ['own']


def test_other_failures_to_list_projects_are_raised():
    src = clients(identity={'/domains': http.status_error('identity', 500)})
    with pytest.raises(http.CloudError):
        inventory.read_projects(src, ACCESS)


def test_stores_are_their_ids():
    src = clients(image={'/v2/info/stores': {'stores': [
        {'id': 'fast', 'default': True}, {'id': 'slow'}]}})
    assert inventory.read_stores(src) == ['fast', 'slow']
