# SPDX-License-Identifier: Apache-2.0
"""The sandbox's regions topology, and Glances that download from others."""

from tests import sandbox_tool

cloudsandbox = sandbox_tool.load()
from cloudsandbox import cloudsyaml  # noqa: E402
from cloudsandbox import glance  # noqa: E402
from cloudsandbox import regions  # noqa: E402
from cloudsandbox import state  # noqa: E402


def box(tmp_path, tls, **settings):
    sandbox = state.State(str(tmp_path))
    sandbox.settle(port_base=32900, deploy={'tls': tls}, **settings)
    return sandbox


def test_glance_download_enabled_beside_the_default_methods():
    conf = glance.api_conf(glance.GlanceVariant(
        import_methods=('glance-download',)), '/g', 1, 'http://k', 'pw')
    assert conf['DEFAULT']['enabled_import_methods'] == (
        "['glance-direct', 'web-download', 'copy-image', "
        "'glance-download']")
    assert 'import_filtering_opts' not in conf


def test_an_open_filter_allows_the_sandbox_glances():
    conf = glance.api_conf(glance.GlanceVariant(open_import_filter=True),
                           '/g', 1, 'http://k', 'pw',
                           import_ports=(32911, 32901))
    assert conf['import_filtering_opts'] == {
        'allowed_hosts': '[127.0.0.1]', 'allowed_ports': '[32901, 32911]'}


def test_one_keystone_serves_both_clouds_in_two_regions(tmp_path):
    sandbox = box(tmp_path, regions=1, tls=False)
    assert regions.enabled(sandbox)
    assert sandbox.auth_urls() == {'src': 'http://127.0.0.1:32900/v3',
                                   'dst': 'http://127.0.0.1:32900/v3'}
    assert regions.region(sandbox, 'dst') == 'RegionTwo'
    assert regions.region(sandbox, 'src') == 'RegionOne'
    url, password, cafile = regions.glance_site(sandbox, 'dst')
    assert url == 'http://127.0.0.1:32900'
    assert password == sandbox.passwords['src']['glance']
    assert cafile is None
    assert regions.server_env(sandbox, 'dst-glance') == {}


def test_a_keystone_per_cloud_by_default_and_when_turned_off(tmp_path):
    sandbox = box(tmp_path, tls=False)
    assert not regions.enabled(sandbox)
    sandbox.settle(regions=1)
    sandbox.settle(regions=0)
    assert regions.keystone_cloud(state.State(str(tmp_path)), 'dst') == 'dst'
    assert sandbox.options == {'token_expiration': 3600}


def test_with_tls_the_destination_trusts_both_cas(tmp_path):
    sandbox = box(tmp_path, regions=1, tls=True)
    tls = tmp_path / 'tls'
    tls.mkdir()
    (tls / 'src-ca.pem').write_text('SRC\n')
    (tls / 'dst-ca.pem').write_text('DST\n')
    bundle = regions.cafile(sandbox, 'dst')
    with open(bundle) as f:
        assert f.read() == 'SRC\nDST\n'
    assert regions.cafile(sandbox, 'src') == str(tls / 'src-ca.pem')
    assert regions.server_env(sandbox, 'dst-glance') == {
        'SSL_CERT_FILE': bundle}


def test_clouds_yaml_names_each_clouds_region():
    text = cloudsyaml.render(
        {'src': 'http://k/v3', 'dst': 'http://k/v3'},
        {c: {'admin': 'a', 'demo': 'd', 'alt_demo': 'e'}
         for c in ('src', 'dst')},
        regions={'dst': 'RegionTwo'})
    assert text.count('region_name: "RegionTwo"') == 3
    assert text.count('region_name: "RegionOne"') == 3
