# SPDX-License-Identifier: Apache-2.0
"""model.py: an inventory's project lookups (no rescans), data hashes."""

from osc_image_migrate import model
from osc_image_migrate.planning import planner
from tests.unit import fakes


class ScannedProjects(dict):
    """An inventory's project list that notes every full scan of it."""

    scans = 0

    def _scanned(self):
        self.scans += 1

    def __iter__(self):
        self._scanned()
        return super().__iter__()

    def keys(self):
        self._scanned()
        return super().keys()

    def values(self):
        self._scanned()
        return super().values()

    def items(self):
        self._scanned()
        return super().items()


def test_lookup_by_name_and_key_across_domains():
    one = fakes.project('web', domain='Default')
    other = fakes.project('web', domain='ops')
    alone = fakes.project('db')
    inv = fakes.make_inventory(projects=[one, other, alone])
    assert sorted(p.id for p in inv.projects_named('web')) == sorted(
        [one.id, other.id])
    assert inv.projects_keyed(('ops', 'web')) == [other]
    assert inv.projects_keyed(('ops', 'db')) == []
    assert inv.projects_named('nope') == []
    assert inv.project_by_ref('web') is None  # ambiguous
    assert inv.project_by_ref('db') == alone
    assert inv.project_by_ref(other.id) == other


def test_index_follows_a_grown_or_replaced_project_list():
    inv = fakes.make_inventory(projects=[fakes.project('a')])
    assert inv.projects_named('b') == []
    late = fakes.project('b')
    inv.projects[late.id] = late
    assert inv.projects_named('b') == [late]
    inv.projects = {}
    assert inv.projects_named('b') == []


def test_plan_maps_owners_without_scanning_projects_per_image():
    # 1,000 images over 500 projects, each shared with the next project:
    # every owner and member is mapped by name, and each cloud's project
    # list is scanned once (to index it), not once per image.
    count, projects = 1000, 500
    src = [fakes.project('p%d' % i) for i in range(projects)]
    dst = [fakes.project('p%d' % i, 'dst') for i in range(projects)]
    images = [fakes.image('i%d' % i, src[i % projects], visibility='shared')
              for i in range(count)]
    members = {image['id']: [fakes.member(src[(n + 1) % projects])]
               for n, image in enumerate(images)}
    source = fakes.make_inventory(images, src, members)
    dest = fakes.make_inventory((), dst)
    source.projects = ScannedProjects(source.projects)
    dest.projects = ScannedProjects(dest.projects)
    plan = planner.make_plan(source, dest,
                             {i: ['all'] for i in source.images})
    by_name = {project.name: project.id for project in dst}
    items = {item.source_id: item for item in plan}
    assert len(plan) == len(items) == count
    for n, image in enumerate(images):
        item = items[image['id']]
        assert item.action == planner.COPY
        assert item.dest_owner == by_name[item.owner_name]
        assert item.dest_owner_name == item.owner_name
        assert item.members == [{
            'member_id': by_name['p%d' % ((n + 1) % projects)],
            'status': 'accepted'}]
    assert source.projects.scans <= 1
    assert dest.projects.scans == 1


def test_expected_digest_prefers_multihash():
    image = {'os_hash_algo': 'sha512', 'os_hash_value': 'f' * 128,
             'checksum': 'a' * 32}
    assert model.data_hash(image) == ('sha512', 'f' * 128)
    assert model.data_hash({'checksum': 'a' * 32}) == (
        'md5', 'a' * 32)
    assert model.data_hash({}) == (None, None)
