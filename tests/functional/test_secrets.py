# SPDX-License-Identifier: Apache-2.0
"""No token, password or application credential secret ever shows.

plan and migrate run with ``--debug``, ``-vvv`` and ``--log-file``, with
passwords and with application credentials, on success and on failure;
stdout, stderr and the log file must hold none of the secrets, and none of
the tokens the run really used.
"""

import json
import os
import re
import uuid

import pytest
import yaml

from osc_image_migrate.cloud import sessions
from tests.functional.fixtures import faults as fs

# Every fernet token starts with these characters (version byte 0x80).
FERNET_PREFIX = 'gAAAAA'
# The keys of a clouds.yaml entry that say how to check its certificates.
TLS_SETTINGS = ('cacert', 'verify', 'cert', 'key')


def _application_credential(box, cloud):
    """(id, secret) of a new application credential of the demo user."""
    clients = box.clients('%s-demo' % cloud)
    user_id = clients.access().user_id
    body = clients.identity.post(
        '/users/%s/application_credentials' % user_id,
        json={'application_credential': {
            'name': 'faults-%s' % uuid.uuid4().hex[:8]}}).json()
    credential = body['application_credential']
    return credential['id'], credential['secret']


@pytest.fixture(scope='module')
def secrets_env(caps_box, tmp_path_factory):
    """Clouds with application credentials, and every secret to look for."""
    config = yaml.safe_load(open(caps_box.clouds_yaml))
    found = [pw for cloud in caps_box.info['passwords'].values()
             for pw in cloud.values()]
    for cloud in ('src', 'dst'):
        credential_id, secret = _application_credential(caps_box, cloud)
        found.append(secret)
        entry = config['clouds'][cloud]
        config['clouds']['%s-app' % cloud] = {
            'auth_type': 'v3applicationcredential',
            'auth': {'auth_url': entry['auth']['auth_url'],
                     'application_credential_id': credential_id,
                     'application_credential_secret': secret},
            'region_name': entry['region_name'],
            'interface': entry['interface'],
            'identity_api_version': 3,
        }
        # The cloud's TLS settings (its CA on an HTTPS sandbox).
        config['clouds']['%s-app' % cloud].update(
            {key: entry[key] for key in TLS_SETTINGS if key in entry})
    path = tmp_path_factory.mktemp('secrets') / 'clouds.yaml'
    path.write_text(yaml.safe_dump(config))
    env = caps_box.env()
    env['OS_CLIENT_CONFIG_FILE'] = str(path)
    assert all(len(secret) >= 12 for secret in found)
    return {'env': env, 'clouds_yaml': str(path), 'secrets': found}


def assert_nothing_secret(texts, secrets, tokens=()):
    for name, text in texts.items():
        assert text, '%s is empty: nothing was checked' % name
        assert FERNET_PREFIX not in text, name
        for secret in list(secrets) + list(tokens):
            assert secret not in text, '%s shows a secret' % name


def _run(box, secrets_env, tmp_path, *args, cloud='src'):
    log = tmp_path / ('log-%s.txt' % uuid.uuid4().hex[:8])
    result = box.openstack(*args, '--log-file', str(log), cloud=cloud,
                           check=False, env=secrets_env['env'])
    texts = {'stdout': result.stdout, 'stderr': result.stderr,
             'log file': log.read_text() if log.exists() else ''}
    return result, texts


@pytest.mark.parametrize('verbosity', ['--debug', '-vvv'])
@pytest.mark.parametrize('source,dest', [('src', 'dst'),
                                         ('src-app', 'dst-app')])
def test_plan_and_migrate_show_no_secret(caps_box, secrets_env, tmp_path,
                                         verbosity, source, dest):
    images = fs.Images(caps_box)
    image = images.make('a-secret', fs.MiB)
    for command in (['plan', '-f', 'json'], ['-f', 'json', '--no-progress']):
        result, texts = _run(caps_box, secrets_env, tmp_path, verbosity,
                             'image', 'migrate', *command, '--dest-cloud',
                             dest, '--image', image['id'], cloud=source)
        assert result.returncode == 0, result.stderr[-2000:]
        assert_nothing_secret(texts, secrets_env['secrets'])
        # The run did log its requests, tokens hashed by keystoneauth.
        assert 'X-Auth-Token: {SHA256}' in texts['log file']
        if verbosity == '--debug':
            assert 'X-Auth-Token: {SHA256}' in texts['stderr']
        rows = {r['Source ID']: r for r in json.loads(result.stdout)}
        assert image['id'] in rows
    assert rows[image['id']]['Result'] == 'migrated'


@pytest.mark.parametrize('dest', ['dst-badpw', 'dst-app-badsecret'])
def test_failures_show_no_secret(caps_box, secrets_env, tmp_path, dest):
    config = yaml.safe_load(open(secrets_env['clouds_yaml']))
    config['clouds']['dst-badpw'] = json.loads(json.dumps(
        config['clouds']['dst']))
    config['clouds']['dst-badpw']['auth']['password'] = 'wrong-%s' % (
        uuid.uuid4())
    config['clouds']['dst-app-badsecret'] = json.loads(json.dumps(
        config['clouds']['dst-app']))
    config['clouds']['dst-app-badsecret']['auth'][
        'application_credential_secret'] = 'wrong-%s' % uuid.uuid4()
    path = tmp_path / 'clouds.yaml'
    path.write_text(yaml.safe_dump(config))
    env = dict(secrets_env['env'], OS_CLIENT_CONFIG_FILE=str(path))
    wrong = [config['clouds']['dst-badpw']['auth']['password'],
             config['clouds']['dst-app-badsecret']['auth'][
                 'application_credential_secret']]
    image = fs.Images(caps_box).make('a-fail', fs.MiB)
    result, texts = _run(caps_box, dict(secrets_env, env=env), tmp_path,
                         '--debug', 'image', 'migrate', '--dest-cloud', dest,
                         '--image', image['id'])
    assert result.returncode == 1
    assert 'authentication failed' in result.stderr
    texts.pop('stdout')
    assert_nothing_secret(texts, secrets_env['secrets'] + wrong)


def test_the_tokens_really_used_never_show(caps_box, secrets_env, tmp_path,
                                           monkeypatch):
    """In-process, so that the run's own tokens can be read afterwards."""
    images = fs.Images(caps_box)
    image = images.make('a-token', fs.MiB)
    destinations = []
    real_dest_clients = sessions.dest_clients

    def recording(cloud_config, name):
        destinations.append(real_dest_clients(cloud_config, name))
        return destinations[-1]

    monkeypatch.setattr(sessions, 'dest_clients', recording)
    log = tmp_path / 'in-process.log'
    apps = []
    with fs.cli_environment(caps_box):
        os.environ['OS_CLIENT_CONFIG_FILE'] = secrets_env['clouds_yaml']
        status, out, err = fs.run_cli(
            '--debug', '--log-file', str(log), 'image', 'migrate',
            '--dest-cloud', 'dst-app', '--no-progress', '-f', 'json',
            '--image', image['id'], cloud='src-app', apps=apps)
    assert status == 0, err[-2000:]
    source = apps[0].client_manager.session
    tokens = [source.get_token()] + [d.session.get_token()
                                     for d in destinations]
    assert len(tokens) == 2 and all(t.startswith(FERNET_PREFIX)
                                    for t in tokens)
    hashed = re.findall(r'X-Auth-Token: \{SHA256\}([0-9a-f]{64})', err)
    assert hashed
    assert_nothing_secret({'stdout': out, 'stderr': err,
                           'log file': log.read_text()},
                          secrets_env['secrets'], tokens)
