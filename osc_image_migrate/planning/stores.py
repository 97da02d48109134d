# SPDX-License-Identifier: Apache-2.0
"""Which destination store each copy lands in.

Clouds with several stores (fast and slow Ceph pools, a file store and a
Swift store...) decide an image's place by the store it is uploaded to.
A source image's ``stores`` field (admins see it) names where its data is;
``--map-store`` follows that, ``--dest-store`` is the default for the rest,
and with neither the destination Glance uses its default store.
"""

from typing import Mapping
from typing import Sequence

from osc_image_migrate import model


def check(available: Sequence[str], dest_store: str | None,
          store_map: Mapping[str, str]) -> list[str]:
    """Problems with the stores asked for, given the destination's ones."""
    wanted = ([('--dest-store', dest_store)] if dest_store else []) + [
        ('store map %s=%s' % (source, dest), dest)
        for source, dest in sorted(store_map.items())]
    return ['%s: the destination has no store %r (its stores: %s)'
            % (where, store, ', '.join(available) or 'none listed')
            for where, store in wanted if store not in available]


def target(source_image: model.Record, dest_store: str | None,
           store_map: Mapping[str, str]) -> str | None:
    """The destination store for a copy of ``source_image``, or None.

    The first of the source image's stores that is mapped decides; an image
    whose stores are not mapped (or not visible) goes to ``dest_store``.
    """
    for store in (source_image.get('stores') or '').split(','):
        if store.strip() in store_map:
            return store_map[store.strip()]
    return dest_store
