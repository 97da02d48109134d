# SPDX-License-Identifier: Apache-2.0
"""A one-node Ceph cluster per cloud whose variant asks for one.

``GlanceVariant(ceph=True)`` gives that cloud a Ceph cluster of its own
(Debian's Ceph 16.2 packages, installed with apt-get when missing) and
makes it the cloud's Glance ``rbd`` store, as most production clouds keep
their images: one monitor (msgr v2 only) and one ``memstore`` OSD, run as
plain processes of the sandbox under ``<state>/<cloud>/ceph``, a pool
``images`` of size 1, and a ``client.glance`` key that Glance and the
tool on this host use. No manager daemon: rbd needs none.

Ports: a sandbox whose port base is B puts its clusters at B + 500 and
up, with the services' own layout (src at offsets 0-9, dst at 10-19):
each monitor at its offset (500, 510) and its OSD's messengers at the
next ``OSD_PORTS`` ports. So sandboxes whose bases are 20 apart never
collide, and neither does a sandbox whose base is not within 480..519 of
another's (the project's sandboxes use bases 100 apart below B + 500).

memstore keeps the data in RAM and writes it to its folder on a clean
stop (``osd fast shutdown = false``; Pacific's fast shutdown would lose
it); after SIGKILL it comes back with the last clean stop's data.
"""

import os
import shutil
import subprocess
import time
import uuid

from cloudsandbox import common
from cloudsandbox import launching

PACKAGES = ('ceph-mon', 'ceph-osd', 'ceph-common', 'python3-rbd',
            'python3-rados')
PORT_SHIFT = 500
MON_OFFSETS = {'src': 0, 'dst': 10}
OSD_PORTS = 6
POOL = 'images'
USER = 'glance'
MON_ID = 'a'
OSD_ID = '0'
# memstore's capacity (RAM, used only as written).
MEMSTORE_BYTES = 8 * 1024 ** 3
START_TIMEOUT = 120
# The Debian bindings Glance's rbd store imports.
BINDINGS = ('rados', 'rbd')
DIST_PACKAGES = '/usr/lib/python3/dist-packages'
SEARCH = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin',
                          '/usr/bin'])


def clouds(state):
    """The clouds whose variant has a Ceph cluster."""
    return tuple(c for c in common.CLOUDS if state.variant(c).ceph)


def services(state):
    """The processes of those clusters: ``<cloud>-ceph-mon``/``-osd``."""
    return tuple('%s-ceph-%s' % (c, d) for c in clouds(state)
                 for d in ('mon', 'osd'))


def folder(state, cloud):
    return os.path.join(state.dir, cloud, 'ceph')


def conf_path(state, cloud):
    """The cluster's ceph.conf, for servers and clients alike."""
    return os.path.join(folder(state, cloud), 'ceph.conf')


def keyring_path(state, cloud, user=USER):
    return os.path.join(folder(state, cloud), 'ceph.client.%s.keyring'
                        % user)


def mon_port(state, cloud):
    return state.data['port_base'] + PORT_SHIFT + MON_OFFSETS[cloud]


def missing_packages():
    """The Debian packages to install (empty when all are there)."""
    have = (shutil.which('ceph-mon', path=SEARCH)
            and shutil.which('ceph-osd', path=SEARCH)
            and shutil.which('rbd', path=SEARCH)
            and all(_binding(m) for m in BINDINGS))
    return [] if have else list(PACKAGES)


def _binding(module):
    if not os.path.isdir(DIST_PACKAGES):
        return None
    for name in sorted(os.listdir(DIST_PACKAGES)):
        if name.startswith(module + '.') and name.endswith('.so'):
            return os.path.join(DIST_PACKAGES, name)
    return None


def expose_bindings(venv):
    """Let ``venv``'s Python import Debian's rados/rbd modules, only them.

    A folder of symlinks to their ``.so`` files, named by a ``.pth`` in
    the venv's site-packages: the rest of dist-packages stays out.
    """
    links = os.path.join(venv, 'ceph-bindings')
    os.makedirs(links, exist_ok=True)
    for module in BINDINGS:
        found = _binding(module)
        if not found:
            raise common.SandboxError('Debian\'s python3-%s is missing'
                                      % module)
        link = os.path.join(links, os.path.basename(found))
        if not os.path.lexists(link):
            os.symlink(found, link)
    lib = os.path.join(venv, 'lib')
    for name in os.listdir(lib):
        site = os.path.join(lib, name, 'site-packages')
        if os.path.isdir(site):
            common.write_file(os.path.join(site, 'ceph-bindings.pth'),
                              links + '\n')


def render_conf(cdir, fsid, port):
    """ceph.conf of a one-node cluster in ``cdir``, mon at ``port``."""
    osd_ports = (port + 1, port + OSD_PORTS)
    sections = {
        'global': {
            'fsid': fsid,
            'mon host': '[v2:127.0.0.1:%d]' % port,
            'mon initial members': MON_ID,
            'public network': '127.0.0.0/8',
            'ms bind msgr1': 'false',
            'ms bind msgr2': 'true',
            'auth cluster required': 'cephx',
            'auth service required': 'cephx',
            'auth client required': 'cephx',
            'auth allow insecure global id reclaim': 'false',
            'run dir': os.path.join(cdir, 'run'),
            'admin socket': os.path.join(cdir, 'run', '$cluster-$name.asok'),
            'log file': os.path.join(cdir, 'log', '$cluster-$name.log'),
            'log to stderr': 'false',
            'err to stderr': 'true',
            'osd pool default size': '1',
            'osd pool default min size': '1',
            'osd pool default pg num': '8',
            'osd pool default pgp num': '8',
            'osd pool default pg autoscale mode': 'off',
            'osd crush chooseleaf type': '0',
            'mon allow pool size one': 'true',
            'mon allow pool delete': 'true',
            'mon warn on pool no redundancy': 'false',
        },
        'mon': {'mon data': os.path.join(cdir, 'mon', '$cluster-$id'),
                'keyring': '$mon_data/keyring',
                # A monitor refuses to start on a disk less than 5 % free
                # (its default): a test machine's disk often is.
                'mon data avail crit': '0',
                'mon data avail warn': '0'},
        'osd': {'osd data': os.path.join(cdir, 'osd', '$cluster-$id'),
                'keyring': '$osd_data/keyring',
                'osd objectstore': 'memstore',
                'memstore device bytes': str(MEMSTORE_BYTES),
                # Else a stop loses memstore's data (see the docstring).
                'osd fast shutdown': 'false',
                'ms bind port min': str(osd_ports[0]),
                'ms bind port max': str(osd_ports[1])},
        'client': {'keyring': os.path.join(cdir, '$cluster.$name.keyring'),
                   'log file': os.path.join(cdir, 'log',
                                            '$cluster-$name.log')},
    }
    return ''.join('[%s]\n%s\n' % (name, ''.join(
        '%s = %s\n' % kv for kv in options.items()))
        for name, options in sections.items())


def _mark(state, service):
    return '%s=%s' % state.infra_mark(service)


def pid(state, service):
    return launching.marked_pid(state.pid_file(service),
                                _mark(state, service))


def _run(state, cloud, argv, timeout=START_TIMEOUT):
    """Run a Ceph command of the cluster's; its output, or SandboxError."""
    log = state.log_file(cloud + '-ceph-setup')
    with open(log, 'ab') as out:
        out.write(('$ %s\n' % ' '.join(argv)).encode())
        try:
            done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=out,
                                  stdin=subprocess.DEVNULL, timeout=timeout,
                                  env=common.clean_env(), check=False)
        except subprocess.TimeoutExpired:
            raise common.SandboxError('%s: %s timed out; see %s'
                                      % (cloud, argv[0], log))
        out.write(done.stdout)
    if done.returncode != 0:
        raise common.SandboxError('%s ceph: %s failed (exit %d); see %s'
                                  % (cloud, ' '.join(argv[:3]),
                                     done.returncode, log))
    return done.stdout.decode().strip()


def _ceph(state, cloud, *args):
    return ['ceph', '--conf', conf_path(state, cloud), '--name',
            'client.admin', '--connect-timeout', '60'] + list(args)


def _launch(state, cloud, daemon):
    service = '%s-ceph-%s' % (cloud, daemon)
    argv = ['ceph-%s' % daemon, '-f', '--conf', conf_path(state, cloud),
            '--id', MON_ID if daemon == 'mon' else OSD_ID]
    env = common.clean_env(**dict([state.infra_mark(service)]))
    env['PATH'] = SEARCH
    started = launching.launch(service, argv, env, folder(state, cloud),
                               state.log_file(service),
                               state.pid_file(service))
    common.log('started %s (pid %d)' % (service, started))
    return started


def _bootstrap_mon(state, cloud):
    """A new cluster's monitor store and admin key (once)."""
    cdir = folder(state, cloud)
    shutil.rmtree(cdir, ignore_errors=True)
    for sub in ('run', 'log', 'mon', 'osd', 'tmp'):
        os.makedirs(os.path.join(cdir, sub))
    fsid = str(uuid.uuid4())
    port = mon_port(state, cloud)
    common.write_file(conf_path(state, cloud), render_conf(cdir, fsid, port))
    tmp = os.path.join(cdir, 'tmp')
    mon_keyring = os.path.join(tmp, 'mon.keyring')
    admin = keyring_path(state, cloud, 'admin')
    _run(state, cloud, ['ceph-authtool', '--create-keyring', mon_keyring,
                        '--gen-key', '-n', 'mon.', '--cap', 'mon',
                        'allow *'])
    _run(state, cloud, ['ceph-authtool', '--create-keyring', admin,
                        '--gen-key', '-n', 'client.admin', '--cap', 'mon',
                        'allow *', '--cap', 'osd', 'allow *', '--cap',
                        'mgr', 'allow *'])
    _run(state, cloud, ['ceph-authtool', mon_keyring, '--import-keyring',
                        admin])
    monmap = os.path.join(tmp, 'monmap')
    _run(state, cloud, ['monmaptool', '--create', '--addv', MON_ID,
                        '[v2:127.0.0.1:%d]' % port, '--fsid', fsid,
                        monmap])
    _run(state, cloud, ['ceph-mon', '--conf', conf_path(state, cloud),
                        '--mkfs', '--id', MON_ID, '--monmap', monmap,
                        '--keyring', mon_keyring])


def _bootstrap_osd(state, cloud):
    """The OSD, the pool and the glance key of a new cluster (once)."""
    osd_uuid = str(uuid.uuid4())
    osd_id = _run(state, cloud, _ceph(state, cloud, 'osd', 'new', osd_uuid))
    if osd_id != OSD_ID:
        raise common.SandboxError('%s ceph: the OSD got id %s, not %s'
                                  % (cloud, osd_id, OSD_ID))
    odir = os.path.join(folder(state, cloud), 'osd', 'ceph-' + OSD_ID)
    os.makedirs(odir, exist_ok=True)
    _run(state, cloud, ['ceph-osd', '--conf', conf_path(state, cloud),
                        '--id', OSD_ID, '--mkfs', '--mkkey', '--osd-uuid',
                        osd_uuid, '--no-mon-config'])
    _run(state, cloud, _ceph(state, cloud, 'auth', 'add', 'osd.' + OSD_ID,
                             'osd', 'allow *', 'mon', 'allow profile osd',
                             'mgr', 'allow profile osd', '-i',
                             os.path.join(odir, 'keyring')))


def _bootstrap_pool(state, cloud):
    _run(state, cloud, _ceph(state, cloud, 'osd', 'pool', 'create', POOL,
                             '8', '8'))
    _run(state, cloud, _ceph(state, cloud, 'osd', 'pool', 'set', POOL,
                             'size', '1', '--yes-i-really-mean-it'))
    # Writes the pool's first object: returns once its PG is active.
    _run(state, cloud, ['rbd', '--conf', conf_path(state, cloud), '--id',
                        'admin', 'pool', 'init', POOL])
    _run(state, cloud, _ceph(state, cloud, 'auth', 'get-or-create',
                             'client.' + USER, 'mon', 'profile rbd', 'osd',
                             'profile rbd pool=%s' % POOL, 'mgr',
                             'profile rbd pool=%s' % POOL, '-o',
                             keyring_path(state, cloud)))


def _wait_ready(state, cloud, started):
    """Until the pool answers a read (its PGs active), or SandboxError."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            _run(state, cloud, ['rbd', '--conf', conf_path(state, cloud),
                                '--id', USER, 'ls', POOL], timeout=20)
            return
        except common.SandboxError:
            if time.monotonic() > deadline or not all(
                    launching.alive(p) for p in started):
                raise common.SandboxError(
                    '%s ceph did not become ready; see %s' % (
                        cloud, os.path.join(folder(state, cloud), 'log')))


def ensure_cluster(state, cloud):
    """Make (once) and start the cloud's cluster; wait until it serves."""
    mark = cloud + '-ceph'
    new = not state.done(mark) or not os.path.exists(conf_path(state, cloud))
    running = [pid(state, '%s-ceph-%s' % (cloud, d)) for d in ('mon', 'osd')]
    if all(running) and not new:
        return False
    if new:
        stop(state, [cloud])
        common.log('%s ceph: creating a one-node cluster' % cloud)
        _bootstrap_mon(state, cloud)
    port = mon_port(state, cloud)
    started = []
    if not running[0] or new:
        for p in [port] + list(range(port + 1, port + OSD_PORTS + 1)):
            launching.check_port_free(p, cloud + '-ceph')
        started.append(_launch(state, cloud, 'mon'))
    if new:
        _bootstrap_osd(state, cloud)
    if not running[1] or new:
        started.append(_launch(state, cloud, 'osd'))
    if new:
        _bootstrap_pool(state, cloud)
        state.mark(mark)
    _wait_ready(state, cloud, started)
    common.log('%s ceph serves pool %s on 127.0.0.1:%d'
               % (cloud, POOL, port))
    return True


def stop(state, cloud_list=None, grace=60):
    """Stop the clusters' OSDs (saving memstore) then their monitors."""
    cloud_list = common.CLOUDS if cloud_list is None else cloud_list
    for daemon in ('osd', 'mon'):
        pids = {}
        for cloud in cloud_list:
            service = '%s-ceph-%s' % (cloud, daemon)
            found = pid(state, service)
            if found:
                common.log('stopping %s (pid %d)' % (service, found))
                pids[service] = found
        left = launching.stop_groups(pids, grace)
        if left:
            raise common.SandboxError('%s did not stop' % ', '.join(left))
        for service in pids:
            common.remove_file(state.pid_file(service))


def glance_conf(state, cloud):
    """The glance-api.conf section of the cloud's ``rbd`` store."""
    return {'rbd_store_pool': POOL, 'rbd_store_user': USER,
            'rbd_store_ceph_conf': conf_path(state, cloud),
            'rbd_store_chunk_size': '8', 'rbd_thin_provisioning': 'true'}


def client_settings(state, cloud):
    """The ``image_migrate:`` block of the cloud's clouds.yaml entries."""
    return {'ceph_conf': conf_path(state, cloud), 'ceph_user': USER,
            'ceph_keyring': keyring_path(state, cloud), 'rbd_pool': POOL}
