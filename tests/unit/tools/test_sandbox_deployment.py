# SPDX-License-Identifier: Apache-2.0
"""The sandbox's deployment (MariaDB, HAProxy/TLS, workers), no servers."""

import os

import pytest
import yaml

from tests import sandbox_tool

cloudsandbox = sandbox_tool.load()
from cloudsandbox import cloudsyaml  # noqa: E402
from cloudsandbox import common  # noqa: E402
from cloudsandbox import deployment  # noqa: E402
from cloudsandbox import glance  # noqa: E402
from cloudsandbox import haproxy  # noqa: E402
from cloudsandbox import keystone  # noqa: E402
from cloudsandbox import mariadb  # noqa: E402
from cloudsandbox import state  # noqa: E402

MARIADB_TLS = {'database': 'mariadb', 'tls': True, 'workers': 2}


def test_a_new_sandbox_takes_the_variables_then_keeps_its_choice():
    env = {'OSC_IMAGE_MIGRATE_SANDBOX_DATABASE': 'sqlite',
           'OSC_IMAGE_MIGRATE_SANDBOX_TLS': '0',
           'OSC_IMAGE_MIGRATE_SANDBOX_WORKERS': '3'}
    new = deployment.choose(None, False, env)
    assert new == {'database': 'sqlite', 'tls': False, 'workers': 3}
    # Stored: the variables no longer apply.
    assert deployment.choose(MARIADB_TLS, True, env) == MARIADB_TLS
    assert deployment.choose(None, False, {}) == deployment.DEFAULTS


def test_a_sandbox_older_than_the_setting_keeps_what_it_had():
    assert deployment.choose(None, True, {}) == deployment.LEGACY


def test_database_and_tls_are_fixed_workers_are_not():
    for change in ({'database': 'sqlite'}, {'tls': False}):
        with pytest.raises(cloudsandbox.SandboxError, match='down --wipe'):
            deployment.choose(MARIADB_TLS, True, {}, **change)
    same = deployment.choose(MARIADB_TLS, True, {}, database='mariadb',
                             tls=True, workers=4)
    assert same == dict(MARIADB_TLS, workers=4)


@pytest.mark.parametrize('name,value', [
    ('database', 'postgres'), ('tls', 'maybe'), ('workers', 0),
    ('workers', 'two'), ('colour', 1)])
def test_bad_deployment_settings_are_refused(name, value):
    with pytest.raises(cloudsandbox.SandboxError):
        deployment.parse(name, value)


def test_ports_stay_apart_and_below_the_next_sandbox():
    assert common.MAX_OFFSET < 20  # no more ports than the first ones
    publics = {common.PORT_OFFSETS[s] for s in common.SERVICES}
    backends = {p + common.BACKEND_OFFSET for p in publics}
    others = set(common.PORT_OFFSETS.values()) - publics
    assert not (backends & (publics | others))
    assert max(backends) < 20


def test_with_tls_uwsgi_moves_behind_haproxy(tmp_path, monkeypatch):
    monkeypatch.setenv('OSC_IMAGE_MIGRATE_SANDBOX_TLS', '1')
    box = state.State(str(tmp_path))
    box.settle(port_base=32000)
    assert box.url('src-glance') == 'https://127.0.0.1:32001'
    assert box.backend_port('src-glance') == 32005
    assert box.cafile('dst-keystone').endswith('tls/dst-ca.pem')
    plain = state.State(str(tmp_path / 'plain'))
    plain.settle(port_base=32000, deploy={'tls': False})
    assert plain.url('src-glance') == 'http://127.0.0.1:32001'
    assert plain.backend_port('src-glance') == 32001
    assert plain.cafile('src') is None


def test_mariadb_is_our_own_on_loopback():
    cnf = mariadb.render_cnf('/s/mariadb', 32019, '/s/logs/mariadb.log')
    assert 'port = 32019\n' in cnf
    assert 'bind-address = 127.0.0.1\n' in cnf
    assert 'datadir = /s/mariadb/data\n' in cnf
    assert 'socket = /s/mariadb/mariadbd.sock\n' in cnf
    assert ('user = root\n' in cnf) == (os.getuid() == 0)
    assert 'skip-networking' not in cnf
    assert mariadb.url('src-glance', '/s/mariadb', 'sandbox', 'pw') == (
        'mysql+pymysql://sandbox:pw@localhost/src_glance'
        '?unix_socket=/s/mariadb/mariadbd.sock&charset=utf8mb4')


def test_database_account_may_use_only_the_sandbox_databases():
    sql = '\n'.join(mariadb.account_sql('sandbox', "p'w", common.SERVICES))
    assert sql.count('CREATE DATABASE IF NOT EXISTS') == 4
    assert "IDENTIFIED BY 'p\\'w'" in sql
    grants = [line for line in sql.splitlines() if line.startswith('GRANT')]
    assert len(grants) == 8  # four databases, two hosts
    assert all('.* TO ' in g and '*.*' not in g for g in grants)
    assert mariadb.recreate_sql('dst-keystone')[0] == (
        'DROP DATABASE IF EXISTS `dst_keystone`;')


def haproxy_cfg():
    ports = {s: 32000 + o for s, o in common.PORT_OFFSETS.items()}
    backends = {s: ports[s] + common.BACKEND_OFFSET for s in common.SERVICES}
    return haproxy.render(ports, backends, '/s/tls')


def sections(cfg):
    found, name = {}, None
    for line in cfg.splitlines():
        if line and not line.startswith(' ') and not line.startswith('#'):
            name = line.strip()
            found[name] = []
        elif name and line.strip():
            found[name].append(line.strip())
    return found


def test_haproxy_terminates_tls_per_cloud_on_loopback():
    cfg = sections(haproxy_cfg())
    assert cfg['frontend src-glance'][0] == (
        'bind 127.0.0.1:32001 ssl crt /s/tls/src.pem')
    assert cfg['frontend dst-keystone'][0] == (
        'bind 127.0.0.1:32010 ssl crt /s/tls/dst.pem')
    assert cfg['backend dst-glance'][-1] == 'server uwsgi 127.0.0.1:32015'
    assert cfg['frontend dst-keystone-expired'][:1] == [
        'bind 127.0.0.1:32013 ssl crt /s/tls/dst-expired.pem']
    assert 'default_backend dst-keystone' in cfg[
        'frontend dst-keystone-wrong-host']
    binds = [line for lines in cfg.values() for line in lines
             if line.startswith('bind ')]
    assert len(binds) == 6
    assert all(b.startswith('bind 127.0.0.1:') for b in binds)


def test_haproxy_timeouts_are_kolla_ansibles():
    cfg = sections(haproxy_cfg())
    defaults = cfg['defaults']
    for timeout in ('http-request 10s', 'client 1m', 'server 1m',
                    'connect 10s', 'queue 1m'):
        assert 'timeout ' + timeout in defaults
    assert 'timeout client 6h' in cfg['frontend src-glance']
    assert 'timeout server 6h' in cfg['backend dst-glance']
    assert not any('6h' in line for line in cfg['backend src-keystone'])


def test_keystone_config_of_a_real_deployment():
    conf = keystone.render('/k', 3600, database_url='mysql+pymysql://x',
                           public_url='https://127.0.0.1:1', workers=2)
    assert 'connection = mysql+pymysql://x\n' in conf
    assert 'public_endpoint = https://127.0.0.1:1\n' in conf
    assert 'enable_proxy_headers_parsing = true' in conf
    # Per-process caches must not make processes disagree on revocations,
    # role grants or the catalog; the token cache stays on.
    for section in ('revoke', 'catalog', 'assignment', 'role'):
        assert '[%s]\ncaching = false\n' % section in conf
    assert conf.count('caching = false') == len(
        keystone.UNCACHED_WITH_WORKERS)
    assert '[token]\ncaching = false' not in conf
    single = keystone.render('/k', 3600)
    assert 'connection = sqlite:////k/keystone.db' in single
    assert 'caching = false' not in single
    assert 'public_endpoint' not in single


def test_glance_config_of_a_real_deployment():
    conf = glance.api_conf(glance.GlanceVariant(), '/g', 1, 'https://k',
                           'pw', database_url='mysql+pymysql://y',
                           public_url='https://127.0.0.1:2', cafile='/ca')
    assert conf['database']['connection'] == 'mysql+pymysql://y'
    assert conf['DEFAULT']['worker_self_reference_url'] == (
        'https://127.0.0.1:2')
    assert conf['DEFAULT']['public_endpoint'] == 'https://127.0.0.1:2'
    assert conf['keystone_authtoken']['cafile'] == '/ca'
    limits = glance.api_conf(glance.GlanceVariant(
        unified_limits={'image_count_total': 1}), '/g', 1, 'https://k', 'pw',
        cafile='/ca')
    assert limits['oslo_limit']['cafile'] == '/ca'


def clouds(cafiles):
    users = ('admin', 'demo', 'alt_demo')
    passwords = {c: {u: '%s-%s' % (c, u) for u in users}
                 for c in common.CLOUDS}
    return yaml.safe_load(cloudsyaml.render(
        {'src': 'https://127.0.0.1:1/v3', 'dst': 'https://127.0.0.1:10/v3'},
        passwords, cafiles,
        {'dst-keystone-wrong-host': 'https://127.0.0.1:12/v3',
         'dst-keystone-expired': 'https://127.0.0.1:13/v3'}))['clouds']


def test_clouds_yaml_names_each_clouds_ca_and_the_tls_cases():
    found = clouds({'src': '/src-ca', 'dst': '/dst-ca'})
    assert sorted(found) == sorted(cloudsyaml.cloud_names(tls=True))
    assert found['src']['cacert'] == '/src-ca'
    assert found['dst-alt_demo']['cacert'] == '/dst-ca'
    assert found['dst-wrong-ca']['cacert'] == '/src-ca'
    assert found['dst-wrong-host']['auth']['auth_url'].endswith(':12/v3')
    assert found['dst-expired']['cacert'] == '/dst-ca'
    assert found['dst-insecure']['verify'] is False
    assert 'cacert' not in found['dst-insecure']
    assert found['dst-insecure']['auth']['password'] == 'dst-admin'


def test_plain_clouds_yaml_has_no_tls_settings():
    found = clouds(None)
    assert sorted(found) == sorted(cloudsyaml.cloud_names())
    assert not any('cacert' in c or 'verify' in c for c in found.values())
