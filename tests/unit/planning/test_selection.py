# SPDX-License-Identifier: Apache-2.0
"""The selection: its errors, dates, names resolved, images selected."""

import datetime

import pytest

from osc_image_migrate.planning import selection
from tests.unit import fakes
from tests.unit.fakes.scene import GONE
from tests.unit.fakes.scene import in_src
from tests.unit.fakes.selection_errors import problems as _problems

UTC = datetime.timezone.utc
ADMIN = fakes.project('admin')
DEMO = fakes.project('demo')
ALT = fakes.project('alt')
OTHER = fakes.project('other')


# -- SelectionError

def test_error_is_one_line_joining_problems():
    error = selection.SelectionError(['a\nb', 'c'])
    assert str(error) == 'a b; c'
    assert error.problems == ['a b', 'c']
    assert str(selection.SelectionError('only')) == 'only'


# -- parse_date

@pytest.mark.parametrize('text, expected', [
    ('2024-01-31', datetime.datetime(2024, 1, 31, tzinfo=UTC)),
    ('2024-01-31T10:30', datetime.datetime(2024, 1, 31, 10, 30, tzinfo=UTC)),
    ('2024-01-31T10:30:00Z',
     datetime.datetime(2024, 1, 31, 10, 30, tzinfo=UTC)),
    ('2024-01-31T12:30:00+02:00',
     datetime.datetime(2024, 1, 31, 10, 30, tzinfo=UTC)),
])
def test_parse_date(text, expected):
    parsed = selection.parse_date(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize('text', ['', 'yesterday', '2024-02-30', '31/01/2024',
                                  None, 20240131])
def test_parse_date_errors(text):
    with pytest.raises(selection.SelectionError, match='invalid date'):
        selection.parse_date(text)


# -- resolve

def _source(projects_complete=True):
    images = [
        fakes.image('cirros', DEMO), fakes.image('twin', DEMO),
        fakes.image('twin', ALT),
        fakes.image('orphan', 'c0ffee00c0ffee00c0ffee00c0ffee00'),
    ]
    return fakes.make_inventory(images, [ADMIN, DEMO, ALT],
                                projects_complete=projects_complete)


def test_resolve_names_and_ids():
    source = _source()
    cirros = fakes.make_id('image', 'cirros', DEMO.id)
    twin = fakes.make_id('image', 'twin', ALT.id)
    resolved = selection.resolve(selection.Selection(
        images=['cirros', twin, cirros], exclude_images=['orphan'],
        projects=['demo', ALT.id, 'alt'],
        project_map={'demo': 'demo2', ALT.id: 'x'}), source)
    orphan = fakes.make_id('image', 'orphan',
                           'c0ffee00c0ffee00c0ffee00c0ffee00')
    assert resolved.image_ids == [cirros, twin]
    assert resolved.exclude_ids == [orphan]
    assert resolved.project_ids == [DEMO.id, ALT.id]
    assert resolved.project_map == {DEMO.id: 'demo2', ALT.id: 'x'}


def test_resolve_lists_every_problem():
    source = _source()
    with pytest.raises(selection.SelectionError) as excinfo:
        selection.resolve(selection.Selection(
            images=['twin', 'nothing'], exclude_images=['gone'],
            projects=['ghost', 'c0ffee00c0ffee00c0ffee00c0ffee00'],
            project_map={'nobody': 'x'}), source)
    problems = _problems(excinfo)
    assert len(problems) == 6
    assert problems[0].startswith("image name 'twin' is ambiguous (")
    assert problems[1:] == [
        "no image 'nothing' in the source", "no image 'gone' in the source",
        "no project 'ghost' in the source",
        "no project 'c0ffee00c0ffee00c0ffee00c0ffee00' in the source",
        "no project 'nobody' in the source"]


def test_resolve_ambiguous_project_name():
    source = fakes.make_inventory(
        [], [DEMO, fakes.project('demo', domain='other')])
    with pytest.raises(selection.SelectionError, match='ambiguous'):
        selection.resolve(selection.Selection(projects=['demo']), source)


def test_resolve_accepts_ids_when_projects_cannot_be_listed():
    source = _source(projects_complete=False)
    hex_id = 'ab' * 16
    resolved = selection.resolve(selection.Selection(
        projects=[hex_id, 'c0ffee00c0ffee00c0ffee00c0ffee00',
                  '2e0a3d9c-8a3b-4c0e-9a51-0cc1f9e1b5a4']), source)
    assert resolved.project_ids == [
        hex_id, 'c0ffee00c0ffee00c0ffee00c0ffee00',
        '2e0a3d9c-8a3b-4c0e-9a51-0cc1f9e1b5a4']
    with pytest.raises(selection.SelectionError, match="no project 'x'"):
        selection.resolve(selection.Selection(projects=['x']), source)


def test_resolve_owner_ids_seen_on_images_when_projects_incomplete():
    source = fakes.make_inventory(
        [fakes.image('a', 'ldap-project')], [DEMO], projects_complete=False)
    resolved = selection.resolve(
        selection.Selection(projects=['ldap-project']), source)
    assert resolved.project_ids == ['ldap-project']


def test_resolve_named_images_must_fit_the_projects():
    source = _source()
    with pytest.raises(selection.SelectionError,
                       match='not selected by the given projects'):
        selection.resolve(selection.Selection(
            images=['cirros'], projects=['alt']), source)
    resolved = selection.resolve(selection.Selection(
        images=['cirros'], projects=['demo']), source)
    assert selection.select(source, resolved) == {
        fakes.make_id('image', 'cirros', DEMO.id): ['named', 'project:demo']}


# -- select

def _cloud():
    """A source with every kind of image that selection tells apart."""
    kernel = fakes.image('kernel', ADMIN, visibility='public',
                         disk_format='aki')
    ramdisk = fakes.image('ramdisk', ADMIN, disk_format='ari')
    images = [
        fakes.image('own', DEMO),
        fakes.image('booting', DEMO, kernel_id=kernel['id'],
                    ramdisk_id=ramdisk['id']),
        fakes.image('public', ADMIN, visibility='public'),
        fakes.image('community', OTHER, visibility='community'),
        fakes.image('shared-in', OTHER, visibility='shared'),
        fakes.image('shared-pending', OTHER, visibility='shared'),
        fakes.image('shared-out', OTHER, visibility='shared'),
        fakes.image('private-other', OTHER),
        fakes.image('old', DEMO, updated_at='2020-01-01T00:00:00Z'),
        kernel, ramdisk,
    ]
    by_name = {i['name']: i['id'] for i in images}
    members = {
        by_name['shared-in']: [fakes.member(DEMO)],
        by_name['shared-pending']: [fakes.member(DEMO, 'pending'),
                                    fakes.member(ALT, 'rejected')],
        by_name['shared-out']: [fakes.member(ADMIN)],
    }
    source = fakes.make_inventory(images, [ADMIN, DEMO, ALT, OTHER],
                                  members)
    return source, by_name


def _select(source, **kwargs):
    resolved = selection.resolve(selection.Selection(**kwargs), source)
    return selection.select(source, resolved)


def _names(chosen, by_name):
    names = {v: k for k, v in by_name.items()}
    return {names[i]: reasons for i, reasons in chosen.items()}


def test_select_named_images_only():
    source, by_name = _cloud()
    chosen = _names(_select(source, images=['own', 'public']), by_name)
    assert chosen == {'own': ['named'], 'public': ['named']}


def test_select_projects_with_public_and_shared():
    source, by_name = _cloud()
    chosen = _names(_select(source, projects=['demo', 'alt']), by_name)
    assert chosen == {
        'own': ['project:demo'],
        'booting': ['project:demo'],
        'old': ['project:demo'],
        'public': ['public'],
        'community': ['community'],
        'shared-in': ['member:demo'],
        'shared-pending': ['member:demo', 'member:alt'],
        'kernel': ['public', 'dependency:' + by_name['booting']],
        'ramdisk': ['dependency:' + by_name['booting']],
    }


def test_select_projects_without_public_and_shared():
    source, by_name = _cloud()
    chosen = _names(_select(source, projects=['demo'],
                            include_public_and_shared=False), by_name)
    assert set(chosen) == {'own', 'booting', 'old', 'kernel', 'ramdisk'}
    assert chosen['kernel'] == ['dependency:' + by_name['booting']]


def test_select_everything_when_nothing_is_named():
    source, by_name = _cloud()
    resolved = selection.resolve(selection.Selection(), source)
    assert selection.is_whole_cloud(resolved)
    chosen = selection.select(source, resolved)
    assert list(chosen) == list(source.images)
    assert chosen[by_name['own']] == ['all']
    assert chosen[by_name['kernel']] == [
        'all', 'dependency:' + by_name['booting']]


def test_is_whole_cloud():
    source, _ = _cloud()
    for kwargs in ({'images': ['own']}, {'projects': ['demo']}):
        resolved = selection.resolve(selection.Selection(**kwargs), source)
        assert not selection.is_whole_cloud(resolved)
    resolved = selection.resolve(
        selection.Selection(exclude_images=['own']), source)
    assert selection.is_whole_cloud(resolved)


def test_excluded_images_are_removed_but_dependencies_stay():
    source, by_name = _cloud()
    chosen = _names(_select(source, projects=['demo'],
                            exclude_images=['own', 'kernel', 'public']),
                    by_name)
    assert 'own' not in chosen
    assert 'public' not in chosen
    assert chosen['kernel'] == ['dependency:' + by_name['booting']]


def test_updated_since_spares_dependencies():
    source, by_name = _cloud()
    source.images[by_name['kernel']]['updated_at'] = '2019-01-01T00:00:00Z'
    del source.images[by_name['ramdisk']]['updated_at']
    chosen = _names(_select(
        source, projects=['demo'], include_public_and_shared=False,
        updated_since=datetime.datetime(2023, 1, 1, tzinfo=UTC)), by_name)
    assert set(chosen) == {'own', 'booting', 'kernel', 'ramdisk'}


def test_updated_since_boundary_is_inclusive_and_naive_is_utc():
    source, by_name = _cloud()
    chosen = _names(_select(
        source, images=['own', 'old'],
        updated_since=datetime.datetime(2024, 3, 1, 12)), by_name)
    assert chosen == {'own': ['named']}


def test_dependencies_are_transitive_and_missing_ones_ignored():
    base = fakes.image('base', DEMO)
    middle = fakes.image('middle', DEMO, kernel_id=base['id'])
    top = fakes.image('top', DEMO, kernel_id=middle['id'],
                      ramdisk_id=fakes.make_id('gone'))
    selfish = fakes.image('selfish', DEMO)
    selfish['kernel_id'] = selfish['id']
    source = fakes.make_inventory([base, middle, top, selfish], [DEMO])
    chosen = _select(source, images=['top', 'selfish'])
    assert chosen == {
        base['id']: ['dependency:' + middle['id']],
        middle['id']: ['dependency:' + top['id']],
        top['id']: ['named'],
        selfish['id']: ['named'],
    }


def test_select_does_not_mutate_the_inventory():
    source, _ = _cloud()
    before = repr(source)
    _select(source, projects=['demo'], exclude_images=['own'])
    assert repr(source) == before


def test_map_project_accepts_owner_and_member_ids_keystone_lost():
    image = fakes.image('x', GONE, visibility='shared')
    member_only = 'e' * 32
    source = in_src([image])
    resolved = selection.resolve(selection.Selection(
        images=[image['id']], project_map={GONE: 'admin',
                                           member_only: 'alt',
                                           'f' * 32: 'alt'}), source)
    assert resolved.project_map == {GONE: 'admin', member_only: 'alt',
                                    'f' * 32: 'alt'}
    assert resolved.unlisted_map == [member_only, 'f' * 32]
    source.members[image['id']] = [fakes.member(member_only)]
    with pytest.raises(selection.SelectionError) as excinfo:
        selection.check_unlisted(source, resolved)
    assert excinfo.value.problems == [
        "no project '%s' in the source (neither in Keystone nor an owner "
        "or member of a selected image)" % ('f' * 32)]
