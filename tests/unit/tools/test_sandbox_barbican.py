# SPDX-License-Identifier: Apache-2.0
"""The sandbox's opt-in Barbican: ports, configuration, without servers."""

from tests import sandbox_tool

cloudsandbox = sandbox_tool.load()
from cloudsandbox import barbican  # noqa: E402
from cloudsandbox import common  # noqa: E402
from cloudsandbox import glance  # noqa: E402
from cloudsandbox import haproxy  # noqa: E402
from cloudsandbox import state  # noqa: E402

SIGNING = glance.GlanceVariant(barbican=True)


def test_barbican_ports_stay_in_the_block_and_collide_with_nothing():
    taken = {}
    for name, offset in common.PORT_OFFSETS.items():
        ports = [offset]
        if name in common.SERVICES + common.OPTIONAL:
            ports.append(common.backend_offset(name))  # uWSGI with TLS
        for port in ports:
            assert 0 <= port < 20, name
            assert port not in taken, (name, taken.get(port))
            taken[port] = name


def test_glance_fetches_certificates_from_its_barbican_only_when_asked():
    stock = glance.api_conf(glance.GlanceVariant(), '/g', 1, 'http://k',
                            'pw', barbican_url='http://b')
    assert 'key_manager' not in stock and 'barbican' not in stock
    conf = glance.api_conf(SIGNING, '/g', 1, 'https://k', 'pw',
                           cafile='/ca.pem', barbican_url='https://b')
    assert conf['key_manager'] == {'backend': 'barbican'}
    assert conf['barbican']['barbican_endpoint'] == 'https://b'
    assert conf['barbican']['auth_endpoint'] == 'https://k/v3'
    assert conf['barbican']['verify_ssl_path'] == '/ca.pem'


def test_barbican_conf_keeps_its_key_encryption_key(tmp_path):
    first = barbican.conf(str(tmp_path), 'http://b', 'http://k', 'pw')
    again = barbican.conf(str(tmp_path), 'http://b', 'http://k', 'pw')
    assert first['simple_crypto_plugin']['kek'] == \
        again['simple_crypto_plugin']['kek']
    assert first['crypto']['enabled_crypto_plugins'] == 'simple_crypto'
    assert first['database']['connection'].startswith('sqlite:///')
    assert first['keystone_authtoken']['username'] == barbican.USER
    assert barbican.server_env(str(tmp_path)) == {'HOME': str(tmp_path)}


def test_services_follow_the_variants(tmp_path, monkeypatch):
    monkeypatch.setenv('OSC_IMAGE_MIGRATE_SANDBOX_TLS', '0')
    box = state.State(str(tmp_path))
    box.settle(port_base=30000)
    assert box.services() == common.SERVICES
    box.settle(dst_barbican=True)
    assert box.services() == common.SERVICES + ('dst-barbican',)
    assert box.info()['clouds']['dst']['barbican'] == 'http://127.0.0.1:30003'
    assert box.info()['clouds']['src']['barbican'] is None
    assert all(barbican.USER in box.passwords[c] for c in common.CLOUDS)


def test_haproxy_fronts_the_barbicans_it_is_given():
    services = common.SERVICES + ('dst-barbican',)
    ports = {s: 100 + common.PORT_OFFSETS[s] for s in services}
    ports.update((f, 100 + common.PORT_OFFSETS[f])
                 for f in haproxy.BAD_FRONTENDS)
    cfg = haproxy.render(ports, {s: p + 4 for s, p in ports.items()
                                 if s in services}, '/tls')
    assert 'frontend dst-barbican' in cfg
    assert 'server uwsgi 127.0.0.1:107' in cfg
