# SPDX-License-Identifier: Apache-2.0
"""The data every layer shares: records of the clouds, and constants.

Plain data only: what the cloud readers (cloud/) fill in and the planner
(planning/) decides from, so that both can be tested without a cloud.
"""

import dataclasses
import hashlib
from typing import Any
from typing import cast
from typing import Mapping

from osc_lib import exceptions


# A record of a cloud as its API answered it (a JSON object): an image, a
# member, a project, a task. Its keys and values are the API's.
Record = dict[str, Any]


class UsageError(exceptions.CommandError):
    """Bad selection or options: reported on one line, exit status 2."""

    exit_status = 2


# The property that records, on a destination image, which source image it
# was copied from. Needed when the source ID could not be kept (409), so a
# re-run finds the copy instead of making another.
SOURCE_ID_PROPERTY = 'osc_migrate_source_id'

# What a copy of a source record without a hash (or size) was verified
# against: the size and hash of the bytes the client read from the source
# (Glance computed the same of the bytes it received). A re-run recognises
# the copy by them (see :func:`same_as_read`).
READ_SIZE = 'osc_migrate_read_size'
READ_HASH_ALGO = 'osc_migrate_read_hash_algo'
READ_HASH_VALUE = 'osc_migrate_read_hash_value'
READ_PROPERTIES = (READ_SIZE, READ_HASH_ALGO, READ_HASH_VALUE)
# Set on a copy that failed the post-upload check (and was deactivated):
# the planner blocks its source image instead of copying it again.
CHECK_FAILED = 'osc_migrate_check_failed'
OWN_PROPERTIES = READ_PROPERTIES + (CHECK_FAILED,)
# The hashes a stream computes of a source without one: Glance's default
# multihash algorithm, and md5 (Glance always records the md5 checksum).
READ_ALGOS = ('sha512', 'md5')


class Status:
    """Glance's image statuses, as a record's ``status`` holds them."""

    QUEUED = 'queued'
    SAVING = 'saving'
    UPLOADING = 'uploading'
    IMPORTING = 'importing'
    ACTIVE = 'active'
    DEACTIVATED = 'deactivated'
    KILLED = 'killed'
    DELETED = 'deleted'
    PENDING_DELETE = 'pending_delete'

    # Data going in: an upload (saving), a stage or an import.
    IN_PROGRESS = (SAVING, IMPORTING, UPLOADING)
    # A record that holds data, usable or not.
    HOLDS_DATA = (ACTIVE, DEACTIVATED)
    # Gone, or going: never counted, never copied.
    GONE = (KILLED, DELETED, PENDING_DELETE)


@dataclasses.dataclass(frozen=True)
class Project:
    """A Keystone project, identified across clouds by (domain, name)."""

    id: str
    name: str
    domain: str = 'Default'

    @property
    def key(self) -> tuple[str, str]:
        return (self.domain, self.name)


# Projects by name, and by (domain, name) key.
_ByName = dict[str, list[Project]]
_ByKey = dict[tuple[str, str], list[Project]]
# Inventory._index: the project list and its length, as indexed.
_ProjectIndex = tuple[dict[str, Project], int, _ByName, _ByKey]


@dataclasses.dataclass
class Inventory:
    """What one credential can see of one cloud.

    ``images`` maps image ID to the image record exactly as Glance returns it
    (a plain dict with every property). ``members`` maps the ID of each
    ``shared`` image to its member list, each a dict with ``member_id`` and
    ``status``. ``projects`` maps project ID to :class:`Project`; it holds at
    least the credential's own project, and every project when Keystone may be
    read. ``is_admin`` says whether the credential has the admin role.
    """

    images: dict[str, Record] = dataclasses.field(default_factory=dict)
    members: dict[str, list[Record]] = dataclasses.field(
        default_factory=dict)
    projects: dict[str, Project] = dataclasses.field(default_factory=dict)
    project_id: str | None = None
    is_admin: bool = False
    projects_complete: bool = False
    # The service types of the credential's catalog (None: not read), and
    # the key-manager secrets and volume snapshots looked up, by ID:
    # whether each exists (planning/secrets.py).
    services: frozenset[str] | None = None
    secrets: dict[str, bool] = dataclasses.field(default_factory=dict)
    snapshots: dict[str, bool] = dataclasses.field(default_factory=dict)
    _index: _ProjectIndex | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False)

    def project_by_ref(self, ref: str) -> Project | None:
        """Find a project by ID or name; None when unknown or ambiguous."""
        if ref in self.projects:
            return self.projects[ref]
        named = self.projects_named(ref)
        return named[0] if len(named) == 1 else None

    def projects_named(self, name: str) -> list[Project]:
        """The projects of this name, in any domain."""
        return self._project_index()[0].get(name, [])

    def projects_keyed(self, key: tuple[str, str]) -> list[Project]:
        """The projects of this (domain, name) key."""
        return self._project_index()[1].get(key, [])

    def _project_index(self) -> tuple[_ByName, _ByKey]:
        """Projects by name and by key, built once per project list.

        Planning maps the owner and members of every image: a scan of the
        project list for each would cost images x projects (figures in
        doc/source/performance.rst). Rebuilt if the list is replaced or
        grows.
        """
        index = self._index
        if (index is None or index[0] is not self.projects
                or index[1] != len(self.projects)):
            by_name: _ByName = {}
            by_key: _ByKey = {}
            for project in self.projects.values():
                by_name.setdefault(project.name, []).append(project)
                by_key.setdefault(project.key, []).append(project)
            index = self._index = (self.projects, len(self.projects),
                                   by_name, by_key)
        return index[2:]

    def images_by_source_id(self) -> dict[str, Record]:
        """Map source image ID -> its copy, by the source ID it records.

        Every copy records it, under the source's own ID too (so that a
        copy whose source was deleted is still known as one); a copy under
        a new ID wins, since it exists because the same ID could not hold
        the data.
        """
        found: dict[str, Record] = {}
        for image in self.images.values():
            source_id = image.get(SOURCE_ID_PROPERTY)
            if source_id and (source_id not in found
                              or found[source_id]['id'] == source_id):
                found[source_id] = image
        return found


def data_hash(image: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(algorithm, value) an image's data is identified by.

    Its multihash (``os_hash_algo``/``os_hash_value``) when hashlib knows
    the algorithm, else its md5 ``checksum``; (None, None) when the record
    holds neither. The one rule for which hash stands for the data: the
    stream verifies against it and a copy records it.
    """
    algo, value = image.get('os_hash_algo'), image.get('os_hash_value')
    if algo and value and algo in hashlib.algorithms_available:
        return algo, value
    if image.get('checksum'):
        return 'md5', image['checksum']
    return None, None


@dataclasses.dataclass(frozen=True)
class Expected:
    """What a source image's data must be: its size and its hash.

    ``size`` None: the record has no size (read to the end); ``digest``
    None: it holds no usable hash (see :func:`data_hash`), and the copy is
    verified against what the stream read instead (:class:`DataRead`).
    """

    size: int | None
    algo: str | None
    digest: str | None

    @classmethod
    def of(cls, image: Mapping[str, Any]) -> 'Expected':
        algo, digest = data_hash(image)
        return cls(image.get('size'), algo, digest)


@dataclasses.dataclass(frozen=True)
class DataRead:
    """The size and hashes of the bytes a stream read from the source.

    ``hashes`` maps each algorithm of READ_ALGOS to its hex digest; empty
    when the source record had a hash to verify against instead. The
    reference a copy of a record without a hash or size is verified
    against (copying/verify.py).
    """

    size: int
    hashes: Mapping[str, str]


def compared_hashes(one: Record,
                    other: Record) -> tuple[str, str | None, str | None]:
    """(algorithm, one's value, other's value) that tell two records apart.

    The multihash when both records use the same algorithm, else md5
    (older records, or destinations configured with another algorithm).
    """
    algo = one.get('os_hash_algo')
    if (algo and algo == other.get('os_hash_algo')
            and one.get('os_hash_value') and other.get('os_hash_value')):
        return algo, one['os_hash_value'], other['os_hash_value']
    return 'md5', one.get('checksum'), other.get('checksum')


def same_data(one: Record, other: Record) -> bool:
    """Same size and the same hash (see :func:`compared_hashes`)."""
    if one.get('size') != other.get('size'):
        return False
    _, mine, theirs = compared_hashes(one, other)
    return bool(mine) and mine == theirs


def lacks_reference(image: Record) -> list[str]:
    """What the source record lacks to verify a copy against: a list.

    ``'hash'`` when it holds no usable hash, ``'size'`` when no size. A
    copy of such a record is verified against what the stream read.
    """
    missing: list[str] = []
    if data_hash(image) == (None, None):
        missing.append('hash')
    if image.get('size') is None:
        missing.append('size')
    return missing


def read_hash(record: Record,
              hashes: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(algorithm, value) of ``hashes`` to compare with ``record``'s own.

    ``hashes`` maps algorithm to hex digest (what a stream computed). The
    record's multihash algorithm when computed, else md5 (its checksum);
    (None, None) when none of them was computed.
    """
    algo = record.get('os_hash_algo')
    if algo and record.get('os_hash_value') and algo in hashes:
        return algo, hashes[algo]
    if record.get('checksum') and 'md5' in hashes:
        return 'md5', hashes['md5']
    return None, None


def own_hash(record: Record, algo: str) -> str | None:
    """The record's own hash of ``algo`` (multihash or md5 checksum)."""
    if algo == 'md5' and record.get('os_hash_algo') != 'md5':
        return cast('str | None', record.get('checksum'))
    if record.get('os_hash_algo') == algo:
        return cast('str | None', record.get('os_hash_value'))
    return None


def same_as_read(image: Record, copy: Record) -> bool:
    """``copy`` holds what was read of ``image`` (no hash or no size).

    The copy recorded the size and hash of the bytes the client read
    (READ_PROPERTIES); they must be the copy's own size and hash, and the
    source's size and hash where it records them.
    """
    missing = lacks_reference(image)
    if not missing:
        return False
    algo, value = copy.get(READ_HASH_ALGO), copy.get(READ_HASH_VALUE)
    size = copy.get(READ_SIZE)
    if not (algo and value and size):
        return False
    if 'hash' not in missing and data_hash(image) != (algo, value):
        return False
    if str(copy.get('size')) != size or own_hash(copy, algo) != value:
        return False
    return image.get('size') is None or str(image['size']) == size
