# SPDX-License-Identifier: Apache-2.0
"""Bringing a sandbox up and down: the steps, in order, each done once.

``up`` is idempotent and cheap when everything runs (~0.1 s): it renders
every config, restarts only the servers whose config changed, starts what
is not running, and provisions Keystone only the first time.
"""

from concurrent.futures import ThreadPoolExecutor
import contextlib
import os
import shutil
import subprocess

from cloudsandbox import barbican
from cloudsandbox import ceph
from cloudsandbox import cinder
from cloudsandbox import cloudsyaml
from cloudsandbox import common
from cloudsandbox import glance
from cloudsandbox import haproxy
from cloudsandbox import infra
from cloudsandbox import keystone
from cloudsandbox import mariadb
from cloudsandbox import processes
from cloudsandbox import provision
from cloudsandbox import regions
from cloudsandbox import state
from cloudsandbox import venv

# What ``down --wipe`` deletes: only what this tool creates, in case the
# state folder was a typo for something precious.
WIPED = ('state.json', 'passwords.json', 'clouds.yaml', 'logs',
         'run', 'mariadb', 'haproxy', 'tls') + common.CLOUDS


class Sandbox(state.State):
    """One sandbox (one state folder) and what can be done with it."""

    def database_url(self, service):
        if self.deployment['database'] != 'mariadb':
            return None
        return infra.database_url(self, service)

    def write_configs(self):
        """Render all configs; return the services whose config changed."""
        changed = set()
        workers = self.deployment['workers']
        for cloud in common.CLOUDS:
            kservice, gservice = cloud + '-keystone', cloud + '-glance'
            if keystone.write_config(
                    self.sdir(kservice), self.options['token_expiration'],
                    database_url=self.database_url(kservice),
                    public_url=self.url(kservice), workers=workers):
                changed.add(kservice)
            os.makedirs(self.sdir(gservice), exist_ok=True)
            keystone_url, password, cafile = regions.glance_site(self, cloud)
            if glance.write_configs(
                    self.variant(cloud), self.sdir(gservice),
                    self.port(gservice), keystone_url, password, self.venv,
                    database_url=self.database_url(gservice),
                    public_url=self.url(gservice), cafile=cafile,
                    barbican_url=self.url(cloud + '-barbican'),
                    rbd_conf=ceph.glance_conf(self, cloud),
                    import_ports=(self.port('src-glance'),
                                  self.port('dst-glance')),
                    region=regions.region(self, cloud)):
                changed.add(gservice)
        for module in (barbican, cinder):
            for service in module.services(self):
                if module.write_configs(self, service, glance.ini):
                    changed.add(service)
        # The uWSGI command line: a new worker count or port restarts it.
        for service in self.services():
            if common.write_file(
                    os.path.join(self.sdir(service), 'uwsgi-args'),
                    'workers %d\nport %d\n' % (
                        workers, self.backend_port(service))):
                changed.add(service)
        return changed

    def ensure_optional_venvs(self):
        """Barbican's and Cinder's venvs, as wanted, installed side by side.

        Each is a pip install of its own (about 60 s and 30 s the first
        time here), independent of the other.
        """
        wanted = [m for m in (barbican, cinder) if m.services(self)]
        with ThreadPoolExecutor(2) as pool:
            for result in [pool.submit(m.ensure_venv, self) for m in wanted]:
                result.result()

    def start_infra(self):
        """Certificates, MariaDB and its databases, HAProxy, as needed."""
        wanted = self.infra()
        if self.tls:
            infra.ensure_certificates(self)
        if 'mariadb' in wanted:
            infra.start_mariadb(self, processes.pid)
            if not self.done('databases'):
                infra.database_sql(self, mariadb.account_sql(
                    'sandbox', self.passwords['database']['sandbox'],
                    common.SERVICES))
                self.mark('databases')
        if 'haproxy' in wanted:
            if infra.write_haproxy_config(self) and processes.pid(
                    self, 'haproxy'):
                common.log('haproxy config changed: restarting it')
                processes.stop(self, 'haproxy')
            infra.start_haproxy(self, processes.pid)

    def start_ceph(self):
        """The Ceph clusters the variants ask for, side by side; stop others.

        Glance imports Debian's rados/rbd bindings, exposed in the venv.
        """
        wanted = ceph.clouds(self)
        ceph.stop(self, [c for c in common.CLOUDS if c not in wanted])
        if not wanted:
            return
        ceph.expose_bindings(self.venv)
        with ThreadPoolExecutor(2) as pool:
            for result in [pool.submit(ceph.ensure_cluster, self, c)
                           for c in wanted]:
                result.result()

    def setup_databases(self):
        """db_sync / fernet / bootstrap, all four in parallel, once."""
        jobs = []
        for service in common.SERVICES:
            if self.done(service + '-setup'):
                continue
            cloud, kind = service.split('-')
            processes.stop(self, service, quiet=True)
            d = self.sdir(service)
            # Start again from scratch after a failed attempt.
            for name in ('keystone.db', 'glance.db'):
                common.remove_file(os.path.join(d, name))
            if self.database_url(service):
                infra.database_sql(self, mariadb.recreate_sql(service))
            env = common.clean_env()
            if kind == 'keystone':
                self.mark(cloud + '-provisioned', False)
                self.mark(cloud + '-limits', False)
                for name in keystone.KEY_FOLDERS:
                    shutil.rmtree(os.path.join(d, name), ignore_errors=True)
                env.update(keystone.setup_env(
                    self.url(service), self.passwords[cloud]['admin']))
                argv = keystone.setup_argv(self.venv, d)
            else:
                argv = glance.setup_argv(self.venv, d)
            setup_log = os.path.join(self.logs, service + '-setup.log')
            out = open(setup_log, 'ab')
            common.log('setting up %s (db_sync%s)' % (
                service, ', fernet, bootstrap' * (kind == 'keystone')))
            proc = subprocess.Popen(argv, env=env, cwd=d, stdout=out,
                                    stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            jobs.append((service, proc, out, setup_log))
        failed = None
        for service, proc, out, setup_log in jobs:
            rc = proc.wait()
            out.close()
            if rc == 0:
                self.mark(service + '-setup')
            elif not failed:
                failed = '%s setup failed (exit %d); see %s' % (
                    service, rc, setup_log)
        if failed:
            raise common.SandboxError(failed)

    def finish(self, cloud, provision_it):
        """Provision a new cloud; prove that its catalog leads to Glance."""
        kurl = self.url(cloud + '-keystone')
        if provision_it:
            common.log('creating projects, users and the image service in '
                       '%s keystone' % cloud)
            provision.provision(cloud, kurl, self.url(cloud + '-glance'),
                                self.passwords[cloud], self.cafile(cloud))
        if self.variant(cloud).ceph:
            provision.ensure_migrator(cloud, kurl, self.passwords[cloud],
                                      self.cafile(cloud))
        self.sync_limits(cloud)
        if regions.keystone_cloud(self, cloud) != cloud:
            return  # its Glance answers to another Keystone: see up()
        provision.smoke_test(cloud, kurl, self.passwords[cloud]['admin'],
                             self.log_file(cloud + '-glance'),
                             self.cafile(cloud))

    def wanted_limits(self, cloud):
        variant = self.variant(cloud)
        return {'registered': variant.registered_limits(),
                'projects': variant.project_limits}

    def limits_synced(self, cloud):
        return self.data.get('done', {}).get(
            cloud + '-limits') == self.wanted_limits(cloud)

    def sync_limits(self, cloud):
        """Keystone's image limits as the cloud's variant says.

        Runs beside the other cloud's: the caller marks it done.
        """
        stored = self.data.get('done', {}).get(cloud + '-limits') or {}
        if self.limits_synced(cloud) or not (
                self.wanted_limits(cloud)['registered']
                or stored.get('registered')):
            return
        common.log('setting the image limits in %s keystone' % cloud)
        provision.sync_limits(cloud, self.url(cloud + '-keystone'),
                              self.passwords[cloud]['admin'],
                              self.variant(cloud), self.cafile(cloud))

    def up(self, port_base=None, venv_dir=None, python=None, variants=None,
           deploy=None, **settings):
        with self.locked():
            self.settle(port_base, venv_dir, variants, deploy, **settings)
            infra.ensure_packages(self)
            venv.ensure(self, python)
            services = self.services()
            self.ensure_optional_venvs()
            self.start_infra()
            self.start_ceph()
            changed = self.write_configs()
            self.setup_databases()
            for service in cinder.services(self):
                if cinder.ensure_database(self, service):
                    changed.add(service)
            unwanted = [s for s in common.OPTIONAL
                        if s not in services and processes.pid(self, s)]
            if unwanted:
                processes.stop(self, unwanted)
            restart = [s for s in services
                       if s in changed and processes.pid(self, s)]
            if restart:
                common.log('config changed: restarting %s'
                           % ', '.join(restart))
                processes.stop(self, restart)
            started = processes.start(self, services)
            todo = [c for c in common.CLOUDS
                    if not self.done(c + '-provisioned')]
            check = [c for c in common.CLOUDS
                     if c in todo or c + '-glance' in started
                     or not self.limits_synced(c)]
            # The two clouds are independent: set them up side by side.
            with ThreadPoolExecutor(2) as pool:
                results = [(c, pool.submit(self.finish, c, c in todo))
                           for c in check]
            for cloud, result in results:
                result.result()
                if cloud in todo:
                    self.mark(cloud + '-provisioned')
                self.mark(cloud + '-limits', self.wanted_limits(cloud))
            regions.sync_catalog(self)
            if regions.enabled(self) and 'dst' in check:
                regions.smoke_test(self)
            if check:
                common.log('image list through the catalog works in %s'
                           % ' and '.join(check))
            for cloud in common.CLOUDS:
                barbican.sync_catalog(self, cloud)
                cinder.sync_catalog(self, cloud)
            cloudsyaml.write(self.clouds_yaml, self.auth_urls(),
                             {c: self.passwords[regions.keystone_cloud(
                                 self, c)] for c in common.CLOUDS},
                             {c: regions.cafile(self, c) for c in
                              common.CLOUDS} if self.tls else None,
                             # The TLS cases are the dst Keystone's.
                             None if regions.enabled(self) else
                             {f: self.url(f) + '/v3'
                              for f in haproxy.BAD_FRONTENDS},
                             {c: ceph.client_settings(self, c)
                              for c in ceph.clouds(self)},
                             {c: regions.region(self, c)
                              for c in common.CLOUDS})
            return self.info()

    def down(self, wipe=False, wipe_venv=False):
        with self.locked():
            processes.stop(self, common.SERVICES + common.OPTIONAL)
            ceph.stop(self)
            # MariaDB last: the servers may write until they stop; its
            # clean shutdown (a flush of its buffers) takes a few seconds.
            processes.stop(self, 'haproxy')
            processes.stop(self, 'mariadb', grace=60)
            if not wipe:
                return
            for name in WIPED + ('venv', barbican.VENV,
                                 cinder.VENV) * wipe_venv:
                path = os.path.join(self.dir, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                elif os.path.lexists(path):
                    os.remove(path)
            common.log('wiped %s%s' % (self.dir, '' if wipe_venv else
                                       ' (kept the venv)'))
        with contextlib.suppress(OSError):
            os.remove(os.path.join(self.dir, 'lock'))
            os.rmdir(self.dir)

    def status(self):
        result = {}
        for service in self.services() + tuple(self.infra()):
            pid = processes.pid(self, service)
            result[service] = {
                'pid': pid, 'running': pid is not None,
                'answers': pid is not None and processes.answers(self,
                                                                 service),
                'url': self.status_url(service),
            }
        return result

    def status_url(self, service):
        if service == 'mariadb':
            return 'mysql://127.0.0.1:%d' % self.port(service)
        if service == 'haproxy':
            return 'https://127.0.0.1:%s' % ','.join(
                str(self.port(f)) for f in self.services() + tuple(
                    sorted(haproxy.BAD_FRONTENDS)))
        return self.url(service)

    def check_service(self, service):
        if service not in self.services():
            raise common.SandboxError('unknown service %r (choose from %s)'
                                      % (service,
                                         ', '.join(self.services())))
        self.require()
        if service in common.SERVICES and not self.done(service + '-setup'):
            raise common.SandboxError('%s was never set up; run "up" first'
                                      % service)
