# SPDX-License-Identifier: Apache-2.0
"""Clouds as cloud/regions.py reads them: a Keystone, a user, a region."""

import types


class FakeImageAdapter:
    def __init__(self, region, methods, interface='public'):
        self.region_name = region
        self.interface = interface
        self.methods = methods
        self.requests = []

    def get(self, url, raise_exc=True):
        self.requests.append(url)
        if self.methods is None:
            return types.SimpleNamespace(status_code=404, json=dict)
        body = {'import-methods': {'value': list(self.methods)}}
        return types.SimpleNamespace(status_code=200, json=lambda: body)


def clients(name='dst', identity='https://keystone.example/v3',
            user_id='u1', region='RegionTwo', methods=('glance-download',)):
    """CloudClients enough for cloud/regions.py."""
    identity_adapter = types.SimpleNamespace(get_endpoint=lambda: identity)
    access = types.SimpleNamespace(user_id=user_id)
    return types.SimpleNamespace(
        name=name, identity=identity_adapter, access=lambda: access,
        settings={},
        image=FakeImageAdapter(region, methods))
