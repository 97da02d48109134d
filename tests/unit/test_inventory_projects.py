"""Project lookups of an inventory: by name and key, without rescans."""

from osc_image_migrate import model
from osc_image_migrate.planning import planner
from tests.unit import fakes


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


def test_plan_maps_owners_without_scanning_projects_per_image(monkeypatch):
    # 1,000 images over 500 projects: each project's key is read a few
    # times (index built once per inventory), not once per image.
    count, projects = 1000, 500
    src = [fakes.project('p%d' % i) for i in range(projects)]
    dst = [fakes.project('p%d' % i, 'dst') for i in range(projects)]
    images = [fakes.image('i%d' % i, src[i % projects], visibility='shared')
              for i in range(count)]
    members = {image['id']: [fakes.member(src[(n + 1) % projects])]
               for n, image in enumerate(images)}
    source = fakes.make_inventory(images, src, members)
    dest = fakes.make_inventory((), dst)
    reads = []
    key = model.Project.key.fget
    monkeypatch.setattr(model.Project, 'key', property(
        lambda self: reads.append(1) or key(self)))
    plan = planner.make_plan(source, dest,
                             {i: ['all'] for i in source.images})
    assert {item.action for item in plan} == {planner.COPY}
    assert all(item.dest_owner_name == item.owner_name for item in plan)
    assert len(reads) < 4 * (count + projects)
