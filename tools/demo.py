"""Try a real migration on the local sandbox, in one command.

Brings the two-cloud sandbox up (tools/sandbox.py), seeds a few demo images
of different kinds into project ``demo`` of the ``src`` cloud (once; a
re-run reuses them), then runs, with the real ``openstack`` CLI::

    openstack --os-cloud src image migrate plan --dest-cloud dst --image ...
    openstack --os-cloud src image migrate --dest-cloud dst --image ...

Run it with ``tox -e demo`` (or ``python tools/demo.py`` in an environment
where osc-image-migrate is installed). Run it twice: the second migration
only reports skips.
"""

import os
import pathlib
import subprocess
import sys

from openstack.config import loader

from osc_image_migrate.cloud import sessions

REPO = pathlib.Path(__file__).resolve().parents[1]
TAG = 'osc-image-migrate-demo'
MiB = 1024 * 1024


def pattern(size, seed):
    """Deterministic, incompressible-looking demo data."""
    block = bytes((i * 131 + seed * 17) % 251 for i in range(MiB))
    return (block * (size // MiB + 1))[:size]


def seed_images(src, demo_project, alt_project):
    """Create the demo images in ``src`` unless they are there already.

    Returns their IDs.
    """
    existing = {i['name']: i for i in src.glance.images.list(
        filters={'tag': [TAG], 'visibility': 'all'})}

    def image(name, data=None, **fields):
        if name in existing:
            return existing[name]
        fields.update(name=name, tags=[TAG], owner=demo_project)
        fields.setdefault('disk_format', 'raw')
        fields.setdefault('container_format', 'bare')
        created = src.glance.images.create(**fields)
        if data is not None:
            src.image.put('/v2/images/%s/file' % created['id'], data=data,
                          headers={'Content-Type': 'application/octet-stream'})
        return created

    kernel = image('demo-kernel', pattern(2 * MiB, 1), disk_format='aki',
                   container_format='aki')
    ramdisk = image('demo-ramdisk', pattern(3 * MiB, 2), disk_format='ari',
                    container_format='ari')
    image('demo-server', pattern(24 * MiB, 3), kernel_id=kernel['id'],
          ramdisk_id=ramdisk['id'], os_distro='demo-os', min_ram=256)
    image('demo-private', pattern(8 * MiB, 4), visibility='private')
    shared = image('demo-shared', pattern(5 * MiB, 5), visibility='shared')
    if 'demo-shared' not in existing:
        src.glance.image_members.create(shared['id'], alt_project)
        src.glance.image_members.update(shared['id'], alt_project,
                                        'accepted')
    image('demo-volume-snapshot', None, visibility='private',
          block_device_mapping='[]', bdm_v2='True')
    retired = image('demo-retired', pattern(1 * MiB, 6))
    if 'demo-retired' not in existing:
        src.glance.images.deactivate(retired['id'])
    return sorted(i['id'] for i in src.glance.images.list(
        filters={'tag': [TAG], 'visibility': 'all'}))


def main():
    up = subprocess.run([sys.executable, str(REPO / 'tools' / 'sandbox.py'),
                         'up'])
    if up.returncode != 0:
        return up.returncode
    state = pathlib.Path(os.environ.get('OSC_IMAGE_MIGRATE_SANDBOX',
                                        REPO / '.sandbox'))
    clouds_yaml = str(state / 'clouds.yaml')
    config = loader.OpenStackConfig(config_files=[clouds_yaml],
                                    vendor_files=[], load_envvars=False)
    src = sessions.dest_clients(config, 'src')
    projects = {p['name']: p['id'] for p in src.identity.get(
        '/projects').json()['projects']}
    selection = []
    for image_id in seed_images(src, projects['demo'], projects['alt_demo']):
        selection += ['--image', image_id]

    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['OS_CLIENT_CONFIG_FILE'] = clouds_yaml
    openstack = str(pathlib.Path(sys.executable).parent / 'openstack')
    status = 0
    for title, args in (
            ('The plan (writes nothing)', ['image', 'migrate', 'plan']),
            ('The migration', ['image', 'migrate'])):
        command = [openstack, '--os-cloud', 'src'] + args + [
            '--dest-cloud', 'dst'] + selection
        sys.stderr.write('\n== %s:\n   %s\n' % (title, ' '.join(
            ['openstack'] + command[1:5 + len(args)] + ['--image ...'])))
        sys.stderr.flush()
        status = subprocess.run(command, env=env).returncode or status
    sys.stderr.write(
        '\nThe sandbox stays up. Look around with:\n'
        '  export OS_CLIENT_CONFIG_FILE=%s\n'
        '  openstack --os-cloud dst image list --long\n'
        'Stop it with: python3 tools/sandbox.py down\n' % clouds_yaml)
    return status


if __name__ == '__main__':
    sys.exit(main())
