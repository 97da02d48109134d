# SPDX-License-Identifier: Apache-2.0
"""The sandbox's opt-in Ceph clusters: ports, configuration, wiring."""

from tests import sandbox_tool

cloudsandbox = sandbox_tool.load()
from cloudsandbox import ceph  # noqa: E402
from cloudsandbox import cloudsyaml  # noqa: E402
from cloudsandbox import glance  # noqa: E402
from cloudsandbox import state  # noqa: E402

GlanceVariant = cloudsandbox.GlanceVariant


def made(tmp_path, port_base=33000, **variants):
    box = state.State(str(tmp_path))
    box.settle(port_base=port_base, variants=variants)
    return box


def test_clusters_lie_500_above_the_services_in_their_layout(tmp_path):
    box = made(tmp_path, src=GlanceVariant(ceph=True),
               dst=GlanceVariant(ceph=True))
    assert ceph.clouds(box) == ('src', 'dst')
    assert ceph.mon_port(box, 'src') == 33500
    assert ceph.mon_port(box, 'dst') == 33510
    text = ceph.render_conf('/d', 'fsid-1', 33510)
    assert 'mon host = [v2:127.0.0.1:33510]' in text
    assert 'ms bind port min = 33511' in text
    assert 'ms bind port max = %d' % (33510 + ceph.OSD_PORTS) in text
    # Every port of a cluster stays below the next cloud's (10 apart).
    assert ceph.OSD_PORTS < 10
    assert 'osd fast shutdown = false' in text
    assert 'ms bind msgr1 = false' in text


def test_no_cluster_unless_a_variant_asks(tmp_path):
    box = made(tmp_path, dst=GlanceVariant(ceph=True))
    assert ceph.clouds(box) == ('dst',)
    assert ceph.services(box) == ('dst-ceph-mon', 'dst-ceph-osd')


def test_glance_gets_an_rbd_store_that_is_its_default(tmp_path):
    variant = GlanceVariant(ceph=True)
    conf = glance.api_conf(variant, str(tmp_path), 1, 'http://k', 'pw',
                           rbd_conf={'rbd_store_pool': 'images'})
    assert conf['DEFAULT']['enabled_backends'] == 'fs:file, rbd:rbd'
    assert conf['DEFAULT']['show_image_direct_url'] == 'true'
    assert conf['glance_store']['default_backend'] == 'rbd'
    assert conf['rbd'] == {'rbd_store_pool': 'images'}
    stock = glance.api_conf(GlanceVariant(), str(tmp_path), 1, 'http://k',
                            'pw', rbd_conf={'x': 1})
    assert 'rbd' not in stock
    assert 'show_image_direct_url' not in stock['DEFAULT']


def test_clouds_yaml_gives_the_tool_its_settings_and_a_migrator(tmp_path):
    box = made(tmp_path, dst=GlanceVariant(ceph=True))
    settings = {'dst': ceph.client_settings(box, 'dst')}
    text = cloudsyaml.render(box.auth_urls(), box.passwords,
                             ceph_settings=settings)
    assert text.count('image_migrate:') == 2
    assert '  dst-migrator:' in text
    assert '"%s"' % ceph.conf_path(box, 'dst') in text
    assert cloudsyaml.cloud_names(False, ('dst',))[-1] == 'dst-migrator'
    assert 'image_migrate' not in cloudsyaml.render(box.auth_urls(),
                                                    box.passwords)
