# SPDX-License-Identifier: Apache-2.0
"""The benchmark's sandbox, clients, test images and clean-up.

Everything here is set-up, never measured: images are created in-process
(keystoneauth/glanceclient, several at a time), and every image the run
creates carries the run's tag so that it can be deleted at the end. Image
copies made by ``image migrate`` keep their tags, and ``image create``
is given the tag, so the clean-up finds those too.
"""

import atexit
import collections
import concurrent.futures
import contextlib
import importlib
import os
import pathlib
import random
import shutil
import sys
import tempfile
import uuid

from openstack.config import loader

from osc_image_migrate.cloud import sessions

import measure

REPO = pathlib.Path(__file__).resolve().parents[1]
TAG = 'osc-image-migrate-bench'
PLAN_PROJECT = 'osc-image-migrate-bench'
SETUP_THREADS = 8


def load_sandbox_module():
    """The sandbox's Python API: the cloudsandbox package in tools/."""
    tools = str(REPO / 'tools')
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return importlib.import_module('cloudsandbox')


def random_chunks(size, seed):
    """``size`` bytes of seeded random data, 1 MiB at a time."""
    rng = random.Random(seed)
    left = size
    while left:
        n = min(measure.MiB, left)
        yield rng.randbytes(n)
        left -= n


class Bench:
    """The sandbox the benchmark runs against, and what it created there."""

    def __init__(self, state_dir=None, port_base=None, venv=None,
                 quiet=False, variants=None):
        self.sandbox = load_sandbox_module()
        # variants: {cloud: GlanceVariant} (e.g. the Ceph-backed clouds of
        # section 9); None: the sandbox's own.
        self.info = self.sandbox.up(state_dir=state_dir, port_base=port_base,
                                    venv=venv, quiet=quiet,
                                    **(variants or {}))
        self.state_dir = self.info['state_dir']
        self.run_tag = '%s-%s' % (TAG, uuid.uuid4().hex[:8])
        self.config = loader.OpenStackConfig(
            config_files=[self.info['clouds_yaml']], vendor_files=[],
            load_envvars=False)
        self.src = sessions.dest_clients(self.config, 'src')
        self.dst = sessions.dest_clients(self.config, 'dst')
        self.env = measure.clean_env(
            OS_CLIENT_CONFIG_FILE=self.info['clouds_yaml'])
        bindir = pathlib.Path(sys.executable).parent
        self.openstack = str(bindir / 'openstack')
        status = self.sandbox.status(self.state_dir)
        self.servers = measure.ServerCpu(
            {name: st['pid'] for name, st in status.items()})
        self.requests = measure.RequestLog(self.info['logs'])
        self._private = None  # folder for token header files, 0700
        atexit.register(self.close)

    def clients(self, cloud):
        return self.src if cloud == 'src' else self.dst

    # -- commands under test -------------------------------------------

    def cli(self, cloud, *args, runner=None):
        """argv of the real ``openstack`` CLI (or a harness around it)."""
        head = [self.openstack] if runner is None else [sys.executable,
                                                        runner]
        return head + ['--os-cloud', cloud] + list(args)

    def file_url(self, cloud, image_id):
        return '%s/v2/images/%s/file' % (
            self.clients(cloud).image.get_endpoint().rstrip('/'), image_id)

    def cafile(self, cloud):
        """The cloud's CA when its endpoints are https, else None."""
        if self.info.get('deployment', {}).get('tls'):
            return self.info['cafiles'][cloud]
        return None

    def curl_tls(self, cloud):
        """curl's options to trust the cloud's own CA (none over http)."""
        cafile = self.cafile(cloud)
        return ['--cacert', cafile] if cafile else []

    def token(self, cloud):
        return self.clients(cloud).session.get_token()

    def private_dir(self):
        """A 0700 folder of this run's, deleted at exit."""
        if self._private is None:
            self._private = tempfile.mkdtemp(prefix='osc-bench-')
        return self._private

    def header_file(self, cloud):
        """A 0600 file holding the token header, for ``curl -H @file``.

        Keeps the token off command lines (visible in ``ps``) and out of
        any output.
        """
        path = os.path.join(self.private_dir(), cloud + '.header')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write('X-Auth-Token: %s\n' % self.token(cloud))
        return path

    # -- test data ------------------------------------------------------

    def create_image(self, cloud='src', size=None, seed=0, kept=False,
                     **fields):
        """Create a tagged raw image; upload ``size`` random bytes.

        ``kept`` leaves out this run's tag, so the run's clean-up leaves
        the image for the next run (``--sweep`` still finds it).
        """
        fields.setdefault('name', 'bench-%s' % uuid.uuid4().hex[:8])
        fields.setdefault('disk_format', 'raw')
        fields.setdefault('container_format', 'bare')
        fields['tags'] = [TAG] + ([] if kept else [self.run_tag]) + (
            fields.get('tags', []))
        client = self.clients(cloud)
        image = client.glance.images.create(**fields)
        if size is not None:
            response = client.image.put(
                '/v2/images/%s/file' % image['id'],
                data=random_chunks(size, seed),
                headers={'Content-Type': 'application/octet-stream'})
            if response.status_code != 204:
                raise measure.BenchError(
                    'set-up upload to %s answered HTTP %d'
                    % (cloud, response.status_code))
        return image['id']

    def create_images(self, count, threads=SETUP_THREADS, **kwargs):
        """``count`` images like :meth:`create_image`, several at a time."""
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(self.create_image, **kwargs)
                       for _ in range(count)]
        return [f.result() for f in futures]

    def queued_dest(self, name):
        """An empty destination record to PUT reference data into."""
        return self.create_image('dst', name=name)

    def image(self, cloud, image_id):
        return self.clients(cloud).glance.images.get(image_id)

    def ensure_project(self, cloud, name):
        identity = self.clients(cloud).identity
        found = identity.get('/projects?name=%s' % name).json()['projects']
        if found:
            return found[0]['id']
        return identity.post('/projects', json={'project': {
            'name': name, 'domain_id': 'default',
            'description': 'osc-image-migrate benchmark'}}).json()[
                'project']['id']

    def visibilities(self, cloud):
        """Images the admin sees (both os_hidden values), by visibility."""
        seen = collections.Counter()
        for hidden in ('false', 'true'):
            url = ('/v2/images?visibility=all&os_hidden=%s&limit=1000'
                   % hidden)
            while url:
                body = self.clients(cloud).image.get(url).json()
                seen.update(i['visibility'] for i in body['images'])
                url = body.get('next')
        return seen

    # -- clean-up -------------------------------------------------------

    def tagged(self, cloud, tag):
        found = []
        for hidden in ('false', 'true'):
            url = ('/v2/images?visibility=all&os_hidden=%s&tag=%s&limit=1000'
                   % (hidden, tag))
            while url:
                body = self.clients(cloud).image.get(url).json()
                found += [i['id'] for i in body['images']]
                url = body.get('next')
        return found

    def delete(self, cloud, image_ids):
        glance = self.clients(cloud).glance

        def delete_one(image_id):
            with contextlib.suppress(Exception):
                glance.images.delete(image_id)

        with concurrent.futures.ThreadPoolExecutor(SETUP_THREADS) as pool:
            list(pool.map(delete_one, image_ids))

    def sweep(self, tag=None):
        """Delete every image with the tag (default: this run's)."""
        deleted = 0
        for cloud in ('dst', 'src'):
            ids = self.tagged(cloud, tag or self.run_tag)
            self.delete(cloud, ids)
            deleted += len(ids)
        return deleted

    def close(self):
        """Delete the token header files (also run at exit)."""
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    def check_disk(self, needed):
        """Refuse to start a section that would fill the disk."""
        free = shutil.disk_usage(self.state_dir).free
        if free < needed * 1.2 + measure.GiB:
            raise measure.BenchError(
                'needs %.1f GiB free in %s, has %.1f GiB'
                % (needed / measure.GiB, self.state_dir,
                   free / measure.GiB))
