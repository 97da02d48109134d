# SPDX-License-Identifier: Apache-2.0
"""The filter file: CloudFerry's format and ours, every problem at once."""

import datetime
import textwrap

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest
import yaml

from osc_image_migrate.planning import filter_file
from osc_image_migrate.planning import selection
from tests.unit.fakes.scene import GONE
from tests.unit.fakes.secret_ids import CERT
from tests.unit.fakes.secret_ids import KEY
from tests.unit.fakes.secret_ids import NEW_CERT
from tests.unit.fakes.secret_ids import NEW_KEY
from tests.unit.fakes.selection_errors import problems as _problems

UTC = datetime.timezone.utc


def _write(tmp_path, text, name='filter.yaml'):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


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


def test_secret_options_come_from_the_filter_file_and_the_options(tmp_path):
    path = tmp_path / 'filter.yaml'
    path.write_text('secret_map:\n  %s: %s\ndrop_signatures: true\n'
                    % (CERT, NEW_CERT))
    from_file = filter_file.load_filter_file(str(path))
    assert from_file.secret_map == {CERT: NEW_CERT}
    assert from_file.drop_signatures is True
    merged = filter_file.merge(selection.Selection(secret_map={KEY: NEW_KEY}),
                               from_file)
    assert merged.secret_map == {CERT: NEW_CERT, KEY: NEW_KEY}
    assert merged.drop_signatures is True
    with pytest.raises(selection.SelectionError):
        filter_file.merge(selection.Selection(secret_map={CERT: 'other'}),
                          from_file)


def test_filter_file_store_map(tmp_path):
    path = tmp_path / 'filter.yaml'
    path.write_text(yaml.safe_dump({'store_map': {'ceph-hdd': 'slow'}}))
    assert filter_file.load_filter_file(str(path)).store_map == {
        'ceph-hdd': 'slow'}
    path.write_text(yaml.safe_dump({'store_map': {'ceph-hdd': 3}}))
    with pytest.raises(selection.SelectionError,
                       match='destination store must be a non-empty string'):
        filter_file.load_filter_file(str(path))


def test_filter_file_orphans_to(tmp_path):
    path = tmp_path / 'filter.yaml'
    path.write_text('orphans_to: ops\nproject_map:\n  %s: ops\n' % GONE)
    chosen = filter_file.load_filter_file(str(path))
    assert (chosen.orphans_to, chosen.project_map) == ('ops', {GONE: 'ops'})
    path.write_text('orphans_to: [ops]\n')
    with pytest.raises(selection.SelectionError,
                       match='orphans_to: must be a destination project'):
        filter_file.load_filter_file(str(path))
