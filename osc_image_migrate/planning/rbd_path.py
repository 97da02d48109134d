# SPDX-License-Identifier: Apache-2.0
"""Whether an image can take the ``rbd`` path: storage to storage in Ceph.

Most Ceph-backed clouds keep each image in RBD (Glance's ``rbd`` store,
its ``direct_url`` ``rbd://<fsid>/<pool>/<image>/<snap>``). Where this
host reaches both clouds' clusters (the ``image_migrate:`` block of each
cloud's clouds.yaml entry, :class:`CephSettings`) and the destination
credential may add image locations (Glance's location API asks for the
``service`` role), the allocated extents of the source snapshot are
copied into the destination pool and Glance itself verifies them against
the source's hash before the image becomes active. What decides that for
one image is here, as plain data; the clusters and tokens are read by
cloud/rbd_offers.py.
"""

import dataclasses
from typing import Any
from typing import Mapping

from osc_image_migrate import model
from osc_image_migrate.planning import data_paths

SCHEME = 'rbd://'
# The settings block of a cloud's clouds.yaml entry.
SETTINGS_KEY = 'image_migrate'
SERVICE_ROLE = 'service'
# The key of a destination's block naming the clouds.yaml entry whose
# credential adds image locations (a service user), if not the operator's.
LOCATION_CLOUD = 'location_cloud'


@dataclasses.dataclass(frozen=True)
class RbdLocation:
    """Where a Glance rbd store keeps an image: a pool's image snapshot."""

    fsid: str
    pool: str
    image: str
    snap: str

    @property
    def spec(self) -> str:
        """``pool/image@snap``, as the rbd command names it."""
        return '%s/%s@%s' % (self.pool, self.image, self.snap)

    @property
    def url(self) -> str:
        return '%s%s/%s/%s/%s' % (SCHEME, self.fsid, self.pool, self.image,
                                  self.snap)


def parse_location(url: object) -> RbdLocation | None:
    """The RbdLocation of an ``rbd://fsid/pool/image/snap`` URL, or None."""
    if not isinstance(url, str) or not url.startswith(SCHEME):
        return None
    parts = url[len(SCHEME):].split('/')
    if len(parts) != 4 or not all(parts):
        return None
    return RbdLocation(*parts)


def source_location(record: Mapping[str, Any]) -> RbdLocation | None:
    """Where a source record's data is in RBD, if it says so.

    ``direct_url`` (``show_image_direct_url``), else the first rbd URL of
    ``locations`` (``show_multiple_locations``).
    """
    found = parse_location(record.get('direct_url'))
    if found:
        return found
    for location in record.get('locations') or ():
        if isinstance(location, Mapping):
            found = parse_location(location.get('url'))
            if found:
                return found
    return None


@dataclasses.dataclass(frozen=True)
class CephSettings:
    """One cloud's ``image_migrate:`` block: how this host reaches its Ceph.

    ``conf``: its ceph.conf; ``user``: the cephx user (without
    ``client.``); ``keyring``: that user's keyring, when ceph.conf does
    not name it; ``pool``: the pool of the cloud's Glance images.
    """

    conf: str
    user: str = 'admin'
    keyring: str | None = None
    pool: str = 'images'

    def args(self) -> list[str]:
        """The rbd/ceph command-line switches that reach this cluster."""
        found = ['--conf', self.conf, '--id', self.user]
        if self.keyring:
            found += ['--keyring', self.keyring]
        return found


def settings_from(entry: Mapping[str, Any] | None) -> CephSettings | None:
    """The CephSettings of a clouds.yaml ``image_migrate:`` block, or None.

    None without a block or without ``ceph_conf``; a block of the wrong
    shape is a UsageError naming the key.
    """
    if not entry:
        return None
    if not isinstance(entry, Mapping):
        raise model.UsageError('%s: a mapping is expected' % SETTINGS_KEY)
    if not entry.get('ceph_conf'):
        return None
    values = {'conf': entry['ceph_conf'], 'user': entry.get('ceph_user'),
              'keyring': entry.get('ceph_keyring'),
              'pool': entry.get('rbd_pool')}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise model.UsageError('%s: %s must be a string'
                                   % (SETTINGS_KEY, key))
    return CephSettings(**{k: v for k, v in values.items() if v})


def location_cloud(entry: Mapping[str, Any] | None) -> str | None:
    """The ``location_cloud`` of an ``image_migrate:`` block, or None.

    A value that is not a non-empty string is a UsageError naming the key.
    """
    if not entry or not isinstance(entry, Mapping):
        return None
    name = entry.get(LOCATION_CLOUD)
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise model.UsageError('%s: %s must name a clouds.yaml entry'
                               % (SETTINGS_KEY, LOCATION_CLOUD))
    return name


@dataclasses.dataclass(frozen=True)
class CephSide:
    """What the plan knows of one cloud's Ceph, read once per plan.

    ``settings`` None: the cloud's entry has none; ``fsid``: the cluster
    those settings reach; ``unreachable``: why it could not be read.
    """

    cloud: str
    settings: CephSettings | None = None
    fsid: str | None = None
    unreachable: str | None = None


@dataclasses.dataclass(frozen=True)
class RbdClouds:
    """Both clouds' Ceph, and whether the destination accepts locations.

    ``service_role``: the operator's destination credential, or that of
    the destination's ``location_cloud`` entry (named here), holds it.
    """

    src: CephSide
    dst: CephSide
    service_role: bool
    location_cloud: str | None = None


def refusal(clouds: RbdClouds, record: model.Record) -> str | None:
    """Why the rbd path cannot take this source record (None: it can)."""
    location = source_location(record)
    assert location is not None  # offer() asks only for records in RBD
    if model.lacks_reference(record):
        return ('hashless record: only the stream verifies what it reads')
    for side in (clouds.src, clouds.dst):
        if side.settings is None:
            return 'no Ceph settings for cloud %s' % side.cloud
        if side.unreachable:
            return 'Ceph of cloud %s: %s' % (side.cloud, side.unreachable)
    if clouds.src.fsid and clouds.src.fsid != location.fsid:
        return ('the data is in Ceph cluster %s, not in cloud %s\'s (%s)'
                % (location.fsid, clouds.src.cloud, clouds.src.fsid))
    if (clouds.dst.fsid == location.fsid and clouds.dst.settings
            and clouds.dst.settings.pool == location.pool):
        return same_pool(location)
    if not clouds.service_role:
        if clouds.location_cloud:
            return ('neither the destination credential nor that of its '
                    '%s %s holds the %s role'
                    % (LOCATION_CLOUD, clouds.location_cloud, SERVICE_ROLE))
        return 'destination credential lacks the %s role' % SERVICE_ROLE
    return None


def same_pool(location: RbdLocation) -> str:
    """The refusal of a copy into the pool the source's data is in.

    There the destination record's RBD image would share its name space
    with the source's images (the same ID, with the IDs kept).
    """
    return ('both clouds keep their images in pool %s of Ceph cluster %s'
            % (location.pool, location.fsid))


def in_rbd(item: Any) -> bool:
    """Whether a plan item's source record says its data is in RBD."""
    record = getattr(item, 'source_image', None)
    return isinstance(record, Mapping) and source_location(record) is not None


def offer(clouds: RbdClouds, item: Any) -> data_paths.PathOffer | None:
    """The rbd path's offer for a plan item; None: its data is not in RBD."""
    if not in_rbd(item):
        return None
    return data_paths.PathOffer(data_paths.RBD,
                                refusal(clouds, item.source_image))
