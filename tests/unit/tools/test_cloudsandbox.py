# SPDX-License-Identifier: Apache-2.0
"""The sandbox's Glance variants and stored settings, without servers."""

import json

import pytest

from tests import sandbox_tool

cloudsandbox = sandbox_tool.load()
from cloudsandbox import glance  # noqa: E402
from cloudsandbox import state  # noqa: E402

TWO_STORES = glance.GlanceVariant(stores=('fast', 'slow'),
                                  default_store='slow')


def render(variant):
    return glance.api_conf(variant, '/g', 1234, 'http://k', 'pw')


def fake_venv(tmp_path):
    paste = tmp_path / 'venv' / 'etc' / 'glance'
    paste.mkdir(parents=True)
    (paste / 'glance-api-paste.ini').write_text('[pipeline:x]\n')
    return str(tmp_path / 'venv')


def test_variant_survives_state_json():
    variant = glance.GlanceVariant(
        stores=['fast', 'slow'], policy={'upload_image': '!'},
        import_plugins=['image_conversion'],
        conf={'image_conversion': {'output_format': 'raw'}})
    stored = json.loads(json.dumps(variant.to_state()))
    assert glance.GlanceVariant.from_state(stored) == variant


@pytest.mark.parametrize('fields', [
    {'stores': ()}, {'stores': ('a b',)},
    {'stores': ('os_glance_tasks_store',)}, {'stores': ('database',)},
    {'stores': ('fast',), 'default_store': 'slow'},
    {'unified_limits': {'image_count': 1}},
    {'project_limits': {'demo': {'image_count_total': 1}}},
    {'unified_limits': {'image_count_total': 1},
     'project_limits': {'demo': {'images': 1}}}])
def test_impossible_variants_are_refused(fields):
    with pytest.raises(cloudsandbox.SandboxError):
        glance.GlanceVariant(**fields)


def test_stock_variant_is_the_single_fs_store():
    conf = render(glance.GlanceVariant())
    assert conf['DEFAULT']['enabled_backends'] == 'fs:file'
    assert conf['glance_store']['default_backend'] == 'fs'
    assert conf['fs']['filesystem_store_datadir'] == '/g/images'
    assert 'policy_file' not in conf['oslo_policy']
    assert 'image_format' not in conf and 'image_import_opts' not in conf


def test_each_store_gets_a_section_and_folder():
    conf = render(TWO_STORES)
    assert conf['DEFAULT']['enabled_backends'] == 'fast:file, slow:file'
    assert conf['glance_store']['default_backend'] == 'slow'
    assert conf['fast']['filesystem_store_datadir'] == '/g/images-fast'
    assert conf['slow']['filesystem_store_datadir'] == '/g/images-slow'


def test_plugins_and_extra_settings_are_rendered():
    conf = render(glance.GlanceVariant(
        import_plugins=('image_conversion',), image_size_cap=5,
        require_image_format_match=False,
        conf={'image_conversion': {'output_format': 'raw'},
              'DEFAULT': {'debug': 'true'}}))
    assert conf['image_import_opts'] == {
        'image_import_plugins': "['image_conversion']"}
    assert conf['image_conversion'] == {'output_format': 'raw'}
    assert conf['DEFAULT']['debug'] == 'true'
    assert conf['DEFAULT']['image_size_cap'] == 5
    assert conf['image_format'] == {'require_image_format_match': 'false'}


def test_unified_limits_turn_on_keystone_limits():
    assert 'use_keystone_limits' not in render(
        glance.GlanceVariant())['DEFAULT']
    assert glance.GlanceVariant().registered_limits() == {}
    variant = glance.GlanceVariant(
        unified_limits={'image_count_total': 3},
        project_limits={'demo': {'image_size_total': 2}})
    conf = render(variant)
    assert conf['DEFAULT']['use_keystone_limits'] == 'true'
    assert conf['oslo_limit']['system_scope'] == 'all'
    assert conf['oslo_limit']['endpoint_service_type'] == 'image'
    assert conf['oslo_limit']['password'] == 'pw'
    # Resources not named are registered as unlimited.
    assert variant.registered_limits() == {
        'image_size_total': -1, 'image_stage_total': -1,
        'image_count_total': 3, 'image_count_uploading': -1}
    stored = json.loads(json.dumps(variant.to_state()))
    assert glance.GlanceVariant.from_state(stored) == variant


def test_policy_file_exists_only_with_rules(tmp_path):
    venv, gdir = fake_venv(tmp_path), tmp_path / 'glance'
    gdir.mkdir()
    policy = glance.GlanceVariant(policy={'upload_image': '!'})

    def write(variant):
        return glance.write_configs(variant, str(gdir), 1, 'http://k',
                                    'pw', venv)

    assert write(policy)
    assert json.loads((gdir / 'policy.yaml').read_text()) == {
        'upload_image': '!'}
    assert 'policy_file' in (gdir / 'glance-api.conf').read_text()
    assert not write(policy)
    assert write(glance.GlanceVariant())
    assert not (gdir / 'policy.yaml').exists()


def test_image_conversion_needs_qemu_img(tmp_path, monkeypatch):
    monkeypatch.setattr(glance.shutil, 'which', lambda name: None)
    with pytest.raises(cloudsandbox.SandboxError, match='qemu-utils'):
        glance.write_configs(
            glance.GlanceVariant(import_plugins=('image_conversion',)),
            str(tmp_path), 1, 'http://k', 'pw', fake_venv(tmp_path))


def test_stored_variant_is_kept_and_single_settings_apply(tmp_path):
    state.State(str(tmp_path)).settle(port_base=32900,
                                      variants={'dst': TWO_STORES})
    later = state.State(str(tmp_path))
    later.settle(dst_image_size_cap=5, src_require_image_format_match=0,
                 token_expiration=60)
    again = state.State(str(tmp_path))
    assert again.variant('dst').stores == ('fast', 'slow')
    assert again.variant('dst').image_size_cap == 5
    assert again.variant('src') == glance.GlanceVariant(
        require_image_format_match=False)
    assert again.options == {'token_expiration': 60}
    assert again.data['port_base'] == 32900


def test_unknown_setting_is_refused(tmp_path):
    with pytest.raises(cloudsandbox.SandboxError):
        state.State(str(tmp_path)).settle(port_base=32900,
                                          dst_colour=None)


def test_options_of_an_older_state_move_into_the_variants(tmp_path):
    (tmp_path / 'state.json').write_text(json.dumps({
        'port_base': 32900, 'options': {
            'token_expiration': 60, 'dst_image_size_cap': 5,
            'src_image_size_cap': glance.TiB,
            'src_require_image_format_match': 0,
            'dst_require_image_format_match': 1}}))
    box = state.State(str(tmp_path))
    box.settle()
    assert box.variant('dst') == glance.GlanceVariant(image_size_cap=5)
    assert box.variant('src') == glance.GlanceVariant(
        require_image_format_match=False)
    assert box.data['options'] == {'token_expiration': 60}


def test_a_port_held_by_a_listener_is_refused_a_free_one_passes():
    from cloudsandbox import launching
    import socket

    held = socket.socket()
    held.bind(('127.0.0.1', 0))
    held.listen(1)
    port = held.getsockname()[1]
    try:
        with pytest.raises(cloudsandbox.SandboxError, match='in use'):
            launching.check_port_free(port, 'dst-glance', timeout=0)
    finally:
        held.close()
    launching.check_port_free(port, 'dst-glance', timeout=0)
