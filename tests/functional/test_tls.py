# SPDX-License-Identifier: Apache-2.0
"""Each cloud's TLS settings apply to that cloud only, on real traffic.

Both Glances are put behind TLS proxies on 127.0.0.1, each with its own
self-signed certificate; each cloud's ``cacert`` must be the one that
verifies its own Glance, ``verify: false`` turns checking off for that
cloud alone, and a certificate that does not verify is one clear error.
"""

import pathlib

import pytest
import yaml

from tests.functional.fixtures import faults as fs


@pytest.fixture(scope='module')
def tls(caps_box, tmp_path_factory):
    """A TLS proxy per Glance; ``certs``: the CA that verifies each.

    When the sandbox serves HTTPS, each proxy serves the certificate of
    its cloud (signed by that cloud's CA, which also verifies its
    Keystone); else a self-signed certificate of its own.
    """
    proxies, certs = {}, {}
    for cloud in ('src', 'dst'):
        ca = caps_box.info['cafiles'][cloud]
        if ca:
            tls_dir = pathlib.Path(ca).parent
            cert = key = str(tls_dir / ('%s.pem' % cloud))
        else:
            ca, key = fs.make_certificate(tmp_path_factory.mktemp(cloud))
            cert = ca
        proxies[cloud] = fs.TLSProxy(fs.glance_port(caps_box, cloud), cert,
                                     key)
        certs[cloud] = ca
    yield proxies, certs
    for proxy in proxies.values():
        proxy.close()


def _clouds(box, tmp_path, proxies, src=None, dst=None):
    """A clouds.yaml with both Glances behind TLS and the given settings."""
    config = yaml.safe_load(open(box.clouds_yaml))
    for cloud, settings in (('src', src), ('dst', dst)):
        entry = config['clouds'][cloud]
        # Only the TLS settings the test gives (not the sandbox's cacert).
        entry.pop('cacert', None)
        entry['image_endpoint_override'] = proxies[cloud].url
        entry.update(settings or {})
    path = tmp_path / 'clouds-tls.yaml'
    path.write_text(yaml.safe_dump(config))
    env = box.env()
    env['OS_CLIENT_CONFIG_FILE'] = str(path)
    return env


def test_each_cloud_verifies_with_its_own_ca(caps_box, tls, tmp_path):
    proxies, certs = tls
    images = fs.Images(caps_box)
    image = images.make('a-tls', fs.MiB)
    env = _clouds(caps_box, tmp_path, proxies,
                  src={'cacert': certs['src']}, dst={'cacert': certs['dst']})
    before = {cloud: p.handshakes for cloud, p in proxies.items()}
    rows, run = fs.migrate(caps_box, '--image', image['id'], env=env)
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Result'] == 'migrated'
    assert all(p.handshakes > before[c] for c, p in proxies.items())
    fs.assert_one_good_copy(caps_box, image, images.data[image['id']])


@pytest.mark.parametrize('side', ['src', 'dst'])
def test_the_other_clouds_ca_does_not_verify(caps_box, tls, tmp_path, side):
    proxies, certs = tls
    image = fs.Images(caps_box).make('a-tls-swap', fs.MiB)
    settings = {'src': {'cacert': certs['src']},
                'dst': {'cacert': certs['dst']}}
    other = 'dst' if side == 'src' else 'src'
    settings[side] = {'cacert': certs[other]}
    env = _clouds(caps_box, tmp_path, proxies, **settings)
    before = fs.snapshot(caps_box)
    result = caps_box.openstack('image', 'migrate', '--dest-cloud', 'dst',
                                '--no-progress', '--image', image['id'],
                                check=False, env=env)
    assert result.returncode == 1
    assert result.stdout == ''
    assert 'Traceback' not in result.stderr
    lines = [line for line in result.stderr.split('\n') if line.strip()]
    assert len(lines) == 1, result.stderr
    assert 'CERTIFICATE_VERIFY_FAILED' in lines[0]
    if side == 'dst':
        assert lines[0].startswith('destination cloud dst: ')
    assert fs.snapshot(caps_box) == before


def test_verify_false_is_per_cloud(caps_box, tls, tmp_path):
    proxies, certs = tls
    images = fs.Images(caps_box)
    image = images.make('a-tls-insecure', fs.MiB)
    env = _clouds(caps_box, tmp_path, proxies,
                  src={'cacert': certs['src']}, dst={'verify': False})
    rows, run = fs.migrate(caps_box, '--image', image['id'], env=env)
    assert run.returncode == 0, run.stderr
    assert rows[image['id']]['Result'] == 'migrated'
    # The source's "verify: false" does not reach the destination.
    env = _clouds(caps_box, tmp_path, proxies, src={'verify': False})
    result = caps_box.openstack('image', 'migrate', 'plan', '--dest-cloud',
                                'dst', '--image', image['id'], '-f', 'json',
                                check=False, env=env)
    assert result.returncode == 1
    assert 'CERTIFICATE_VERIFY_FAILED' in result.stderr
