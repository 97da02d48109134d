# SPDX-License-Identifier: Apache-2.0
import datetime
import textwrap

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest
import yaml

from osc_image_migrate.planning import filter_file
from osc_image_migrate.planning import selection
from tests.unit import fakes

UTC = datetime.timezone.utc
ADMIN = fakes.project('admin')
DEMO = fakes.project('demo')
ALT = fakes.project('alt')
OTHER = fakes.project('other')


def _write(tmp_path, text, name='filter.yaml'):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def _problems(excinfo):
    return excinfo.value.problems


# -- SelectionError

def test_error_is_one_line_joining_problems():
    error = selection.SelectionError(['a\nb', 'c'])
    assert str(error) == 'a b; c'
    assert error.problems == ['a b', 'c']
    assert str(selection.SelectionError('only')) == 'only'


# -- filter file

def test_cloudferry_file_unchanged(tmp_path):
    path = _write(tmp_path, """\
        tenants:
          tenant_id:
            - demo
        instances:
          id: [1b0a6e1c-3b5f-4b52-9b0e-9a6b3c2f6d1e]
        images:
          images_list:
            - 6a3f1c9e-0d4c-4b6a-8f6e-2c1d0b9a8e7f
          date: "2024-01-31"
          dont_include_public_and_members_from_other_tenants: False
        volumes:
          volumes_list: []
        """)
    loaded = filter_file.load_filter_file(path)
    assert loaded == selection.Selection(
        images=['6a3f1c9e-0d4c-4b6a-8f6e-2c1d0b9a8e7f'],
        projects=['demo'],
        updated_since=datetime.datetime(2024, 1, 31, tzinfo=UTC),
        include_public_and_shared=True)


def test_file_with_project_map_exclusions_and_yaml_date(tmp_path):
    path = _write(tmp_path, """\
        images:
          exclude_images_list: [a, b]
          date: 2024-01-31
          dont_include_public_and_members_from_other_tenants: true
        project_map:
          demo: demo-new
        """)
    loaded = filter_file.load_filter_file(path)
    assert loaded.exclude_images == ['a', 'b']
    assert loaded.updated_since == datetime.datetime(2024, 1, 31,
                                                     tzinfo=UTC)
    assert loaded.include_public_and_shared is False
    assert loaded.project_map == {'demo': 'demo-new'}


@pytest.mark.parametrize('text, expected', [
    ('2024-01-31T10:00:00', datetime.datetime(2024, 1, 31, 10, tzinfo=UTC)),
    ('"2024-01-31T10:00:00Z"',
     datetime.datetime(2024, 1, 31, 10, tzinfo=UTC)),
    ('2024-01-31 12:00:00+02:00',
     datetime.datetime(2024, 1, 31, 10, tzinfo=UTC)),
])
def test_file_dates(tmp_path, text, expected):
    path = _write(tmp_path, 'images:\n  date: %s\n' % text)
    assert filter_file.load_filter_file(path).updated_since == expected


def test_null_values_mean_defaults(tmp_path):
    path = _write(tmp_path, """\
        tenants:
          tenant_id:
        images:
          images_list:
          exclude_images_list: []
          date:
          dont_include_public_and_members_from_other_tenants:
        project_map:
        """)
    assert filter_file.load_filter_file(path) == selection.Selection()


def test_every_problem_at_once(tmp_path):
    path = _write(tmp_path, """\
        tenant:
          tenant_id: [demo]
        tenants:
          tenant_id: demo
          domain: x
        images:
          imagelist: [a]
          images_list: [a, 7, ""]
          exclude_images_list: [b]
          date: "yesterday"
          dont_include_public_and_members_from_other_tenants: "no"
        project_map:
          demo: [x]
          "": y
        """)
    with pytest.raises(selection.SelectionError) as excinfo:
        filter_file.load_filter_file(path)
    assert _problems(excinfo) == [
        'tenant: unknown key (did you mean tenants?)',
        'tenants.tenant_id: must be a list of strings, not a string',
        'tenants.domain: unknown key',
        'images.imagelist: unknown key (did you mean images_list?)',
        'images.images_list[1]: must be a string, not a number (quote it)',
        'images.images_list[2]: must not be empty',
        'images.date: not a date (a string); expected "YYYY-MM-DD" or an '
        'ISO 8601 date and time',
        'images.dont_include_public_and_members_from_other_tenants: must be '
        'true or false, not a string',
        'images: give images_list or exclude_images_list, not both',
        'project_map.demo: destination project must be a non-empty string, '
        'not a list',
        'project_map.: source project must be a non-empty string',
    ]
    assert '\n' not in str(excinfo.value)


@pytest.mark.parametrize('text, message', [
    ('- a\n- b\n', 'the top level must be a mapping, not a list'),
    ('just text\n', 'the top level must be a mapping, not a string'),
    ('', 'is empty'),
    ('# only a comment\n', 'is empty'),
    ('images: [a\n', 'is not valid YAML'),
    ('images: 2024-13-45\n', 'is not valid YAML'),
    ('images: [a]\n', 'images: must be a mapping, not a list'),
    ('tenants: 3\n', 'tenants: must be a mapping, not a number'),
    ('project_map: [a]\n', 'project_map: must be a mapping, not a list'),
    ('1: x\n', '1: unknown key'),
])
def test_bad_documents(tmp_path, text, message):
    with pytest.raises(selection.SelectionError) as excinfo:
        filter_file.load_filter_file(_write(tmp_path, text))
    assert message in str(excinfo.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(selection.SelectionError, match='cannot read'):
        filter_file.load_filter_file(str(tmp_path / 'missing.yaml'))
    with pytest.raises(selection.SelectionError, match='cannot read'):
        filter_file.load_filter_file(str(tmp_path))
    binary = tmp_path / 'binary.yaml'
    binary.write_bytes(b'\xff\xfe\x00images')
    with pytest.raises(selection.SelectionError, match='cannot read'):
        filter_file.load_filter_file(str(binary))


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                     st.text(max_size=8), st.dates(), st.datetimes())
_keys = st.one_of(
    st.sampled_from(['tenants', 'tenant_id', 'images', 'images_list',
                     'exclude_images_list', 'date', 'project_map',
                     'instances', 'volumes',
                     'dont_include_public_and_members_from_other_tenants']),
    st.text(max_size=6), st.integers())
_structures = st.recursive(
    _scalars, lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_keys, children, max_size=4)),
    max_leaves=20)


def _only_selection_or_error(path):
    try:
        result = filter_file.load_filter_file(path)
    except selection.SelectionError as e:
        assert str(e) and '\n' not in str(e)
    else:
        assert isinstance(result, selection.Selection)


@settings(max_examples=300, deadline=None)
@given(_structures)
def test_random_structures_never_raise_other_errors(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp('f') / 'filter.yaml'
    path.write_text(yaml.safe_dump(doc))
    _only_selection_or_error(str(path))


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(alphabet=':-[]{}&*!|>\'"%@`#,? \n\tabc01Z.T', max_size=60),
    st.text(max_size=60)))
def test_random_text_never_raises_other_errors(tmp_path_factory, text):
    path = tmp_path_factory.mktemp('f') / 'filter.yaml'
    path.write_text(text, encoding='utf-8')
    _only_selection_or_error(str(path))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=60))
def test_random_bytes_never_raise_other_errors(tmp_path_factory, data):
    path = tmp_path_factory.mktemp('f') / 'filter.yaml'
    path.write_bytes(data)
    _only_selection_or_error(str(path))


def test_deep_nesting_is_an_error_not_a_crash(tmp_path):
    path = _write(tmp_path, '[' * 5000 + ']' * 5000)
    with pytest.raises(selection.SelectionError):
        filter_file.load_filter_file(path)


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


# -- merge

def test_merge_concatenates_lists_without_duplicates():
    merged = filter_file.merge(
        selection.Selection(images=['a', 'b'], projects=['p'],
                            exclude_images=['x']),
        selection.Selection(images=['b', 'c'], projects=['q'],
                            exclude_images=['y']))
    assert merged.images == ['a', 'b', 'c']
    assert merged.projects == ['p', 'q']
    assert merged.exclude_images == ['x', 'y']


def test_merge_dates_must_agree():
    day = datetime.datetime(2024, 1, 31, tzinfo=UTC)
    later = datetime.datetime(2024, 2, 1, tzinfo=UTC)
    cli = selection.Selection(updated_since=day)
    assert filter_file.merge(cli, selection.Selection()).updated_since == day
    assert filter_file.merge(
        selection.Selection(), cli).updated_since == day
    assert filter_file.merge(cli, cli).updated_since == day
    with pytest.raises(selection.SelectionError, match='differs'):
        filter_file.merge(cli, selection.Selection(updated_since=later))


def test_merge_project_maps():
    merged = filter_file.merge(
        selection.Selection(project_map={'a': 'x', 'b': 'y'}),
        selection.Selection(project_map={'b': 'y', 'c': 'z'}))
    assert merged.project_map == {'a': 'x', 'b': 'y', 'c': 'z'}
    with pytest.raises(selection.SelectionError, match='mapped to both'):
        filter_file.merge(selection.Selection(project_map={'a': 'x'}),
                          selection.Selection(project_map={'a': 'y'}))


@pytest.mark.parametrize('cli, from_file, expected', [
    (True, True, True), (False, True, False), (True, False, False),
    (None, True, True), (None, False, False)])
def test_merge_public_and_shared_off_wins(cli, from_file, expected):
    merged = filter_file.merge(
        selection.Selection(include_public_and_shared=cli),
        selection.Selection(include_public_and_shared=from_file))
    assert merged.include_public_and_shared is expected


def test_merge_without_file():
    cli = selection.Selection(images=['a'])
    assert filter_file.merge(cli, None) == cli


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
