"""Shared pieces of the fault, bad-input and secret tests.

Two extra sandboxes run next to the shared one, because their faults would
disturb other people's tests: ``token_box`` (Keystone tokens last 60 s; its
destination Glance gets restarted) and ``caps_box`` (the destination Glance
refuses images over 4 MiB; the source Glance accepts data that does not
match its disk_format). They reuse the shared sandbox's venv, so each starts
in about 10 s, and are wiped at the end of the session.
"""

import contextlib
import hashlib
import io
import logging
import os
import pathlib
import select
import socket
import ssl
import threading
import time
import uuid

from openstackclient import shell
import pytest
import yaml

from osc_image_migrate import inventory
from tests.functional import proxy
from tests.functional import variants

MiB = 1024 * 1024
PORT_BASE = variants.PORT_BASE
CAPS_SIZE_CAP = 4 * MiB


@pytest.fixture(scope='session')
def token_box(sandbox):
    """A sandbox whose Keystone tokens expire after 60 s."""
    with variants.extra_sandbox('token', PORT_BASE,
                                token_expiration=60) as box:
        yield box


@pytest.fixture(scope='session')
def caps_box(sandbox):
    """A sandbox with a 4 MiB destination cap and a lax source Glance."""
    with variants.extra_sandbox(
            'caps', PORT_BASE + 100,
            dst=variants.GlanceVariant(image_size_cap=CAPS_SIZE_CAP),
            src=variants.GlanceVariant(require_image_format_match=False)
    ) as box:
        yield box


@contextlib.contextmanager
def cli_environment(box):
    """OS_* variables out, the sandbox's clouds.yaml in; logging restored."""
    saved = dict(os.environ)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    for key in [k for k in os.environ if k.startswith('OS_')]:
        del os.environ[key]
    os.environ['OS_CLIENT_CONFIG_FILE'] = box.clouds_yaml
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        root.handlers[:] = handlers
        root.setLevel(level)


def run_cli(*argv, cloud='src', apps=None):
    """``openstack --os-cloud <cloud> <argv>`` in-process.

    Returns (exit status, stdout, stderr); the shell object is appended to
    ``apps`` when given, to look at its sessions afterwards.
    """
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    root.handlers[:] = []  # OSC adds its own; pytest's would keep DEBUG
    try:
        with contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            app = shell.OpenStackShell()
            if apps is not None:
                apps.append(app)
            try:
                status = app.run(['--os-cloud', cloud] + list(argv))
            except SystemExit as e:
                status = e.code
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
    return status, out.getvalue(), err.getvalue()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def migrate(box, *args, **kwargs):
    """``image migrate --dest-cloud dst --no-progress ... -f json``."""
    kwargs.setdefault('check', False)
    return box.migrate_json('--dest-cloud', kwargs.pop('dest', 'dst'),
                            '--no-progress', *args, **kwargs)


def image_args(*images):
    args = []
    for image in images:
        args += ['--image', image['id']]
    return args


def glance_port(box, cloud):
    """The port of the cloud's Glance itself (plain HTTP, no HAProxy)."""
    return box.backend_port(cloud + '-glance')


def bent_env(box, directory, **endpoints):
    """An environment whose clouds.yaml reroutes image calls.

    ``endpoints`` maps clouds to image URLs, e.g. ``src=proxy.url``.
    """
    config = yaml.safe_load(open(box.clouds_yaml))
    for cloud, url in endpoints.items():
        config['clouds'][cloud.replace('_', '-')][
            'image_endpoint_override'] = url
    path = pathlib.Path(directory) / ('clouds-%s.yaml' % uuid.uuid4().hex)
    path.write_text(yaml.safe_dump(config))
    env = box.env()
    env['OS_CLIENT_CONFIG_FILE'] = str(path)
    return env


class Images:
    """Source images made for one test, with their data kept to compare."""

    def __init__(self, box, owner_project='demo'):
        self.box = box
        self.tag = uuid.uuid4().hex[:8]
        self.owner = box.project_id('src', owner_project)
        self.data = {}

    def make(self, kind, size, **fields):
        blob = os.urandom(size) if size else None
        fields.setdefault('owner', self.owner)
        fields.setdefault('visibility', 'private')
        image = self.box.create_image(
            name='%s-fault-%s' % (kind, self.tag), data=blob, **fields)
        self.data[image['id']] = blob
        return image


def copies(box, source_id):
    """Every destination record standing for ``source_id``."""
    dst = box.clients('dst')
    found = {}
    for hidden in ('false', 'true'):
        listing = dst.image.get(
            '/v2/images?visibility=all&os_hidden=%s&%s=%s'
            % (hidden, inventory.SOURCE_ID_PROPERTY, source_id)).json()
        found.update((i['id'], i) for i in listing['images'])
    response = dst.image.get('/v2/images/%s' % source_id,
                             raise_exc=False)
    if response.status_code == 200:
        found[source_id] = response.json()
    return list(found.values())


def assert_one_good_copy(box, source, blob, ignore=()):
    """Exactly one usable copy, with the right bytes; nothing bad usable.

    ``ignore`` lists destination IDs that are not copies (the test put
    another image there). Returns the good copy's record.
    """
    records = [r for r in copies(box, source['id']) if r['id'] not in ignore]
    active = [r for r in records if r['status'] == 'active']
    assert len(active) == 1, [(r['id'], r['status']) for r in records]
    good = active[0]
    assert good['os_hash_value'] == source['os_hash_value']
    assert good['size'] == source['size']
    assert sha256(box.image_data('dst', good['id'])) == sha256(blob)
    for record in records:
        assert record['status'] in ('active', 'queued', 'saving',
                                    'deactivated'), record['status']
    return good


def wait_for(predicate, timeout=60, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: the server may be restarting
            pass
        time.sleep(interval)
    return False


def dest_status(box, image_id):
    response = box.clients('dst').image.get('/v2/images/%s' % image_id,
                                            raise_exc=False)
    return response.json()['status'] if response.status_code == 200 \
        else None


def snapshot(box):
    """What both clouds hold: (cloud, id, status, updated_at) of every image.

    Compared before and after commands that must write nothing.
    """
    seen = set()
    for cloud in ('src', 'dst'):
        for image in inventory.read_images(box.clients(cloud)).values():
            seen.add((cloud, image['id'], image['status'],
                      image['updated_at']))
    return seen


# -- TLS ---------------------------------------------------------------------

def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1: (cert path, key path)."""
    import datetime
    import ipaddress

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'sandbox')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = pathlib.Path(directory) / 'glance-cert.pem'
    key_path = pathlib.Path(directory) / 'glance-key.pem'
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class TLSProxy(proxy.LoopbackProxy):
    """Terminates TLS on 127.0.0.1 and forwards in clear to a local port."""

    scheme = 'https'

    def __init__(self, target_port, cert, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.handshakes = 0
        super().__init__(target_port)

    def _serve(self, raw):
        threading.Thread(target=self._relay, args=(raw,),
                         daemon=True).start()

    def _relay(self, raw):
        try:
            raw.settimeout(10)
            client = self.context.wrap_socket(raw, server_side=True)
            client.settimeout(None)
            self.handshakes += 1
            server = socket.create_connection(self.target)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        # One thread per connection: an SSL socket must not be read and
        # written by two threads at once.
        try:
            while True:
                ready = [client] if client.pending() else select.select(
                    [client, server], [], [], 120)[0]
                if not ready:
                    break
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (server if source is client else client).sendall(data)
        except OSError:
            pass
        finally:
            for s in (client, server):
                try:
                    s.close()
                except OSError:
                    pass
