# SPDX-License-Identifier: Apache-2.0
"""Bad input through the real command entry: one line, exit 2, no writes.

Property-based: hypothesis feeds malformed filter files, plan files and
option values to ``openstack image migrate`` (in-process, the same entry
point as the ``openstack`` script, so that many examples stay fast), and
every one must end in a one-line error and exit status 2, never a
traceback, and never a write to either cloud. Then clouds.yaml problems
through the real CLI.
"""

import json
import os
import socket
import uuid

from hypothesis import assume
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
import pytest
import yaml

from osc_image_migrate.planning import selection
from osc_image_migrate.stream import bandwidth
from tests.functional.fixtures import faults as fs
from tests.functional.fixtures.faults import run_cli

EXAMPLES = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def assert_usage_error(status, out, err):
    """Exit 2, nothing on stdout, one error line, no traceback.

    argparse's own errors print the usage first, then one ``error:`` line
    (osc-lib's ``key=value`` check echoes the value as given, so a value
    with a newline in it spans two lines there).
    """
    assert status == 2, (status, out, err)
    assert out == ''
    assert 'Traceback' not in err
    lines = [line for line in err.split('\n') if line.strip()]
    assert lines, err
    if lines[0].startswith('usage:'):
        assert sum(' error: ' in line for line in lines) == 1, err
    else:
        assert len(lines) == 1, err


@pytest.fixture
def box(caps_box):
    with fs.cli_environment(caps_box):
        before = fs.snapshot(caps_box)
        yield caps_box
        assert fs.snapshot(caps_box) == before, 'a bad input wrote'


# -- filter files

scalars = st.one_of(st.none(), st.booleans(), st.integers(),
                    st.floats(allow_nan=False), st.text(max_size=12),
                    st.dates())
values = st.recursive(
    scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)
known_keys = st.sampled_from([
    'tenants', 'images', 'project_map', 'instances', 'volumes', 'tenant_id',
    'images_list', 'exclude_images_list', 'date',
    'dont_include_public_and_members_from_other_tenants'])
noise = st.dictionaries(known_keys | st.text(max_size=10), values,
                        max_size=4)
a_uuid = st.uuids().map(str)
not_a_mapping = st.one_of(scalars, st.lists(values, max_size=3)).filter(
    lambda v: v is not None)
not_a_list = st.one_of(st.integers(), st.booleans(),
                       st.dictionaries(st.text(max_size=5), scalars,
                                       min_size=1, max_size=2))
poisons = st.one_of(
    st.text(max_size=10).map(lambda t: {'zz unknown ' + t: 1}),
    not_a_mapping.map(lambda v: {'tenants': v}),
    not_a_mapping.map(lambda v: {'images': v}),
    not_a_list.map(lambda v: {'images': {'images_list': v}}),
    not_a_list.map(lambda v: {'tenants': {'tenant_id': v}}),
    st.tuples(a_uuid, a_uuid).map(lambda ids: {'images': {
        'images_list': [ids[0]], 'exclude_images_list': [ids[1]]}}),
    st.lists(a_uuid, min_size=1, max_size=3).map(
        lambda ids: {'images': {'images_list': ids}}),
    st.text(min_size=1, max_size=10).filter(
        lambda t: selection.as_datetime(t) is None).map(
        lambda t: {'images': {'date': t}}),
    st.text(max_size=8).map(
        lambda t: {'tenants': {'tenant_id': ['no such project ' + t]}}),
    st.one_of(st.integers(), st.none(), st.lists(st.text())).map(
        lambda v: {'project_map': {'demo': v}}),
    st.text(max_size=5).map(lambda t: {'images': {
        'dont_include_public_and_members_from_other_tenants': 'yes' + t}}),
)


@pytest.mark.parametrize('command', [['image', 'migrate'],
                                     ['image', 'migrate', 'plan']])
def test_malformed_filter_files(box, tmp_path, command):
    path = tmp_path / 'filter.yaml'

    @EXAMPLES
    @given(noise, poisons)
    def check(extra, poison):
        document = dict(extra, **poison)
        path.write_text(yaml.safe_dump(document, allow_unicode=True))
        assert_usage_error(*run_cli(*command, '--dest-cloud', 'dst',
                                    '--filter-file', str(path)))

    check()


def test_filter_files_that_are_not_mappings(box, tmp_path):
    path = tmp_path / 'filter.yaml'

    @EXAMPLES
    @given(st.one_of(st.text(max_size=60),
                     st.binary(max_size=60).map(
                         lambda b: b.decode('latin-1'))))
    def check(text):
        try:
            parsed = yaml.safe_load(text)
        except Exception:  # noqa: not YAML at all is a case too
            parsed = None
        assume(not isinstance(parsed, dict))
        path.write_bytes(text.encode('utf-8', 'surrogatepass'))
        assert_usage_error(*run_cli('image', 'migrate', '--dest-cloud', 'dst',
                                    '--filter-file', str(path)))

    check()


# -- plan files

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner,
                                            max_size=3)),
    max_leaves=8)


def _looks_like_a_plan(value):
    return isinstance(value, list) and all(
        isinstance(row, dict) and isinstance(row.get('Source ID'), str)
        for row in value)


def test_malformed_plan_files(box, tmp_path):
    path = tmp_path / 'plan.json'

    @EXAMPLES
    @given(st.one_of(
        json_values.map(json.dumps),
        st.lists(st.dictionaries(st.just('Source ID'), json_values,
                                 min_size=1), min_size=1, max_size=3).map(
            json.dumps),
        st.text(max_size=40)))
    def check(text):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        assume(not _looks_like_a_plan(parsed))
        path.write_text(text)
        assert_usage_error(*run_cli('image', 'migrate', '--dest-cloud', 'dst',
                                    '--plan-file', str(path)))

    check()


# -- option values

def _not_an_int(text):
    try:
        int(text)
    except ValueError:
        return True
    return False


def _not_a_rate(text):
    try:
        bandwidth.parse_rate(text)
    except ValueError:
        return True
    return False


option_values = st.one_of(
    st.integers(max_value=0).map(lambda n: ['--parallel', str(n)]),
    st.integers(max_value=-1).map(lambda n: ['--retries', str(n)]),
    st.text(max_size=8).filter(_not_an_int).map(
        lambda t: ['--parallel', t]),
    st.text(max_size=8).filter(_not_an_int).map(
        lambda t: ['--retries', t]),
    st.text(max_size=8).filter(_not_a_rate).map(
        lambda t: ['--limit-rate', t]),
    st.text(max_size=20).filter(
        lambda t: selection.as_datetime(t) is None).map(
        lambda t: ['--updated-since', t]),
    st.text(max_size=12).filter(lambda t: '=' not in t).map(
        lambda t: ['--map-project', t]),
    st.text(max_size=12).map(
        lambda t: ['--map-project', 'no such project %s=demo' % t]),
    st.text(max_size=20).map(lambda t: ['--image', 'no such image ' + t]),
    st.text(max_size=20).map(
        lambda t: ['--exclude-image', 'no such image ' + t]),
    st.text(max_size=20).map(lambda t: ['--project', 'no such project ' + t]),
    st.uuids().map(lambda u: [str(u)]),
    # An option without its value: followed by another option, since a
    # value generated after it (a UUID) would be taken as its value.
    st.sampled_from([['--parallel', '--no-progress'],
                     ['--dest-cloud', '--no-progress'], ['--no-such-option'],
                     ['--public-and-shared', '--no-public-and-shared'],
                     ['--filter-file', '/nonexistent/filter.yaml'],
                     ['--plan-file', '/nonexistent/plan.json'],
                     ['--filter-file', '/'], ['--plan-file', '/']]),
)


@pytest.mark.parametrize('command', [['image', 'migrate'],
                                     ['image', 'migrate', 'plan']])
def test_malformed_option_values(box, command):
    @EXAMPLES
    @given(st.lists(option_values, min_size=1, max_size=3))
    def check(options):
        argv = [arg for option in options for arg in option]
        if command[-1] == 'plan':
            argv = [a for a in argv if a not in ('--parallel', '--retries',
                                                 '--plan-file',
                                                 '--limit-rate')] or [
                '--image', 'no such image']
        assert_usage_error(*run_cli(*command, '--dest-cloud', 'dst', *argv))

    check()


# -- clouds.yaml problems, through the real CLI

def _closed_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture(scope='module')
def broken_clouds(caps_box, tmp_path_factory):
    """A clouds.yaml with broken variants of the caps sandbox's clouds."""
    config = yaml.safe_load(open(caps_box.clouds_yaml))
    closed = 'http://127.0.0.1:%d' % _closed_port()

    def variant(name, cloud, auth=None, **fields):
        entry = json.loads(json.dumps(config['clouds'][cloud]))
        entry['auth'].update(auth or {})
        entry.update(fields)
        config['clouds'][name] = entry

    variant('src-badpw', 'src', {'password': 'wrong-%s' % uuid.uuid4()})
    variant('dst-badpw', 'dst', {'password': 'wrong-%s' % uuid.uuid4()})
    variant('src-closed', 'src', {'auth_url': closed + '/v3'})
    variant('dst-closed', 'dst', {'auth_url': closed + '/v3'})
    variant('dst-noglance', 'dst', image_endpoint_override=closed)
    variant('dst-badregion', 'dst', region_name='Nowhere')
    path = tmp_path_factory.mktemp('clouds') / 'clouds.yaml'
    path.write_text(yaml.safe_dump(config))
    return str(path)


# keystoneauth logs this warning before a connection error to Keystone,
# for every OSC command; it is not ours to silence.
DISCOVERY_WARNING = 'Failed to discover available identity versions'

CLOUD_PROBLEMS = [
    ('nosuch', 'dst', 'Cloud nosuch was not found'),
    ('src', 'nosuch', 'Destination cloud nosuch: Cloud nosuch was not found'),
    ('src-badpw', 'dst', 'requires authentication. (HTTP 401)'),
    ('src', 'dst-badpw', 'destination cloud dst-badpw: authentication '
     'failed (check the credentials in clouds.yaml)'),
    ('src-closed', 'dst', 'Unable to establish connection to'),
    ('src', 'dst-closed', 'destination cloud dst-closed: cannot connect: '
     'Unable to establish connection to'),
    ('src', 'dst-noglance', 'destination cloud dst-noglance: cannot '
     'connect: Unable to establish connection to'),
    ('src', 'dst-badregion', 'destination cloud dst-badregion: public '
     'endpoint for image service in Nowhere region not found'),
]


def assert_config_error(status, out, err, expected):
    assert status == 1, err
    assert out == ''
    assert 'Traceback' not in err
    lines = [line for line in err.split('\n')
             if line.strip() and not line.startswith(DISCOVERY_WARNING)]
    assert len(lines) == 1, err
    assert expected in lines[0]


@pytest.mark.parametrize('source,dest,expected', CLOUD_PROBLEMS)
@pytest.mark.parametrize('command', [['image', 'migrate', 'plan'],
                                     ['image', 'migrate']])
def test_clouds_yaml_problems(box, broken_clouds, source, dest, expected,
                              command):
    os.environ['OS_CLIENT_CONFIG_FILE'] = broken_clouds
    assert_config_error(*run_cli(*command, '--dest-cloud', dest,
                                 cloud=source), expected)


@pytest.mark.parametrize('source,dest,expected', [
    CLOUD_PROBLEMS[2], CLOUD_PROBLEMS[5]])
def test_clouds_yaml_problems_through_the_script(box, broken_clouds, source,
                                                 dest, expected):
    env = box.env()
    env['OS_CLIENT_CONFIG_FILE'] = broken_clouds
    result = box.openstack('image', 'migrate', '--dest-cloud', dest,
                           cloud=source, check=False, env=env)
    assert_config_error(result.returncode, result.stdout, result.stderr,
                        expected)


def test_in_process_runs_match_the_real_script(box):
    """The in-process entry gives what the ``openstack`` script gives."""
    status, out, err = run_cli('image', 'migrate', '--dest-cloud', 'dst',
                               '--parallel', '0')
    real = box.openstack('image', 'migrate', '--dest-cloud', 'dst',
                         '--parallel', '0', check=False)
    assert (status, out, err) == (real.returncode, real.stdout, real.stderr)
    assert real.returncode == 2
