# SPDX-License-Identifier: Apache-2.0
"""The sandbox's opt-in Cinder API: ports, configuration, without servers."""

import threading

from tests import sandbox_tool

cloudsandbox = sandbox_tool.load()
from cloudsandbox import barbican  # noqa: E402
from cloudsandbox import cinder  # noqa: E402
from cloudsandbox import common  # noqa: E402
from cloudsandbox import lifecycle  # noqa: E402
from cloudsandbox import processes  # noqa: E402
from cloudsandbox import state  # noqa: E402


def test_cinder_conf_needs_no_queue_and_checks_tokens(tmp_path):
    conf = cinder.conf(str(tmp_path), 'https://c', 'https://k', 'pw',
                       cafile='/ca.pem')
    assert conf['DEFAULT']['transport_url'] == 'fake:/'
    assert conf['DEFAULT']['auth_strategy'] == 'keystone'
    assert conf['DEFAULT']['api_paste_config'] == str(
        tmp_path / 'api-paste.ini')
    assert conf['database']['connection'] == 'sqlite:///%s?timeout=30' % (
        tmp_path / 'cinder.db')
    assert conf['keystone_authtoken']['username'] == cinder.USER
    assert conf['keystone_authtoken']['cafile'] == '/ca.pem'
    assert conf['oslo_policy']['enforce_new_defaults'] == 'true'


def test_services_and_ports_follow_the_variants(tmp_path, monkeypatch):
    monkeypatch.setenv('OSC_IMAGE_MIGRATE_SANDBOX_TLS', '1')
    box = state.State(str(tmp_path))
    box.settle(port_base=30000)
    assert box.services() == common.SERVICES
    box.settle(dst_cinder=True)
    assert box.services() == common.SERVICES + ('dst-cinder',)
    assert box.info()['clouds']['dst']['cinder'] == 'https://127.0.0.1:30009'
    assert box.info()['clouds']['src']['cinder'] is None
    # Public + 4 is HAProxy's dst Keystone with an expired certificate.
    assert box.backend_port('dst-cinder') == 30017
    assert box.backend_port('dst-glance') == 30015
    assert all(cinder.USER in box.passwords[c] for c in common.CLOUDS)


def test_uwsgi_serves_cinder_from_its_own_venv(tmp_path, monkeypatch):
    # Plain HTTP: uWSGI itself listens on the public port.
    monkeypatch.setenv('OSC_IMAGE_MIGRATE_SANDBOX_TLS', '0')
    box = state.State(str(tmp_path))
    box.settle(port_base=30000, venv=str(tmp_path / 'venv'),
               dst_cinder=True)
    (tmp_path / 'dst' / 'cinder').mkdir(parents=True)
    argv = processes.server_argv(box, 'dst-cinder')
    assert argv[argv.index('--virtualenv') + 1] == cinder.venv_dir(box)
    assert argv[0] == str(tmp_path / 'venv' / 'bin' / 'uwsgi')
    assert '127.0.0.1:30009' in argv
    assert processes.config_variable(box, 'dst-cinder') == (
        'OS_CINDER_CONFIG_DIR', str(tmp_path / 'dst' / 'cinder'))
    module = (tmp_path / 'dst' / 'cinder' / 'sandbox_wsgi.py').read_text()
    assert 'cinder.conf' in module and 'sys.argv' in module


def fake_installs(monkeypatch, barrier=None):
    """Barbican's and Cinder's ensure_venv replaced; returns what ran."""
    installed = []

    def install(name):
        def ensure_venv(state):
            if barrier:
                barrier.wait()  # returns only once the other one waits too
            installed.append(name)
        return ensure_venv

    monkeypatch.setattr(barbican, 'ensure_venv', install('barbican'))
    monkeypatch.setattr(cinder, 'ensure_venv', install('cinder'))
    return installed


def test_barbican_and_cinder_venvs_install_side_by_side(tmp_path,
                                                        monkeypatch):
    monkeypatch.setenv('OSC_IMAGE_MIGRATE_SANDBOX_TLS', '0')
    box = lifecycle.Sandbox(str(tmp_path))
    box.settle(port_base=30000, src_barbican=True, dst_cinder=True)
    # One after the other, the first install would wait here for good.
    installed = fake_installs(monkeypatch, threading.Barrier(2, timeout=10))
    box.ensure_optional_venvs()
    assert sorted(installed) == ['barbican', 'cinder']


def test_only_the_venvs_the_variants_ask_for_are_installed(
        tmp_path, monkeypatch):
    monkeypatch.setenv('OSC_IMAGE_MIGRATE_SANDBOX_TLS', '0')
    box = lifecycle.Sandbox(str(tmp_path))
    box.settle(port_base=30000)
    installed = fake_installs(monkeypatch)
    box.ensure_optional_venvs()
    assert installed == []
    box.settle(dst_cinder=True)
    box.ensure_optional_venvs()
    assert installed == ['cinder']
