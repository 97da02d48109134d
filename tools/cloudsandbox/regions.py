# SPDX-License-Identifier: Apache-2.0
"""The ``regions`` topology: one Keystone, a Glance in each of two regions.

Two regions of one cloud (region consolidation, a new region) share one
Keystone. With the ``regions`` setting, the sandbox serves that shape: the
source's Keystone is the only one in use; the destination's Glance
validates tokens there and is in its catalog as the image service of
``RegionTwo``, beside the source's Glance in ``RegionOne``. Keystone's own
endpoint stays in ``RegionOne`` only, as devstack's multi-region set-up
registers it. The ``dst`` clouds of clouds.yaml then log in to the source's
Keystone as the same users, with ``region_name: RegionTwo``.

The destination's own Keystone keeps running, unused, so that turning the
setting off again only restarts the destination's Glance.
"""

import os

from cloudsandbox import common
from cloudsandbox import provision

REGION_TWO = 'RegionTwo'
# What the destination's Glance is in the shared Keystone's catalog.
SERVICE = ('image', 'glance', REGION_TWO)
# The mark in the state that says what the shared catalog holds.
MARK = 'regions-catalog'
# A CA bundle of both clouds' CAs (with TLS): the shared Keystone and the
# source's Glance show the source's certificate, the destination's Glance
# its own.
BUNDLE = 'regions-ca.pem'


def enabled(state):
    return bool(state.topology['regions'])


def keystone_cloud(state, cloud):
    """The cloud whose Keystone serves ``cloud``'s logins."""
    return 'src' if enabled(state) else cloud


def region(state, cloud):
    return REGION_TWO if enabled(state) and cloud == 'dst' else (
        common.REGION)


def cafile(state, cloud):
    """The CA file that verifies everything ``cloud``'s clients reach."""
    if not state.tls or not enabled(state) or cloud != 'dst':
        return state.cafile(cloud)
    path = os.path.join(state.tls_dir, BUNDLE)
    text = ''
    for each in common.CLOUDS:
        with open(state.cafile(each)) as f:
            text += f.read()
    common.write_file(path, text)
    return path


def server_env(state, service):
    """The destination's Glance trusts both CAs when it downloads.

    glance-download opens the source region's image URL with urllib's
    default TLS context, which reads ``SSL_CERT_FILE``.
    """
    if service != 'dst-glance' or not enabled(state) or not state.tls:
        return {}
    return {'SSL_CERT_FILE': cafile(state, 'dst')}


def glance_site(state, cloud):
    """How ``cloud``'s Glance reaches its Keystone: (url, password, CA)."""
    kcloud = keystone_cloud(state, cloud)
    return (state.url(kcloud + '-keystone'),
            state.passwords[kcloud]['glance'], cafile(state, cloud))


def sync_catalog(state):
    """Register the destination's Glance in RegionTwo, or remove it.

    Idempotent, and remembered in the state; runs once the shared
    Keystone is provisioned.
    """
    wanted = state.url('dst-glance') if enabled(state) else None
    if state.data.get('done', {}).get(MARK) == wanted:
        return
    call = provision.system_caller('src', state.url('src-keystone'),
                                   state.passwords['src']['admin'],
                                   state.cafile('src'))
    if wanted:
        common.log('src keystone: %s at %s in %s'
                   % (SERVICE[0], wanted, REGION_TWO))
        if REGION_TWO not in [r['id'] for r in call('GET', '/regions')[
                'regions']]:
            call('POST', '/regions', {'region': {'id': REGION_TWO}})
        provision.register_service(call, SERVICE[0], SERVICE[1], wanted,
                                   'Image service', region=REGION_TWO)
    else:
        common.log('src keystone: removing the endpoints of %s'
                   % REGION_TWO)
        for endpoint in call('GET', '/endpoints?region_id=%s'
                             % REGION_TWO)['endpoints']:
            call('DELETE', '/endpoints/' + endpoint['id'])
    state.mark(MARK, wanted)


def smoke_test(state):
    """An image list in RegionTwo with a token of the shared Keystone."""
    provision.smoke_test('dst', state.url('src-keystone'),
                         state.passwords['src']['admin'],
                         state.log_file('dst-glance'), cafile(state, 'dst'),
                         region=REGION_TWO)
