# SPDX-License-Identifier: Apache-2.0
"""The ``rbd`` data path: the source snapshot's extents into the dest pool.

Storage to storage, through this host but only the allocated bytes:

1. ``rbd export-diff`` of the source snapshot (from nothing: only its
   allocated extents) piped into ``rbd import-diff`` of a new RBD image in
   the destination pool named after the destination record, as Glance's
   rbd store names it (stream/pipe.py counts the bytes, applies
   ``--limit-rate`` and the stall timeout); import-diff makes the
   snapshot the diff ends at (``snap``, as Glance's), which is protected;
2. ``POST /v2/images/{id}/locations`` with the source's hash as
   ``validation_data``: the destination Glance reads the data there and
   compares its hash before the record becomes ``active`` (a mismatch
   sends it back to ``queued`` and deletes the RBD image);
3. the copy then verifies and applies the record as after a stream.

Nothing is created in the source cluster: its snapshot is only read.
Each RBD image the copy creates carries a mark (the RBD image metadata
:data:`MARK`, the source image's ID). One of the destination record's
name that an interrupted attempt left is removed before a new copy, by
this path or by the stream (:meth:`RbdCopy.before_stream`: Glance's own
rbd upload cannot use a name that is taken), only when it has the mark
and no image record's location names it (the record is ``queued``):
removing it deletes no image. Refusals before any of that (PathRefused)
let the stream carry the image instead, and so does a copy Glance read
back and would not take although it holds the source's hash (its
location task failed, the record is ``queued`` again).
"""

import hashlib
import logging
import subprocess
import threading
import time
from typing import Any
from typing import Callable

from osc_image_migrate import cancel
from osc_image_migrate.cloud import ceph_cli
from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import inventory
from osc_image_migrate.cloud import rbd_offers
from osc_image_migrate.cloud import sessions
from osc_image_migrate.copying import glance_import
from osc_image_migrate.copying import journal as copy_journal
from osc_image_migrate.copying import offload
from osc_image_migrate.copying import verify
from osc_image_migrate import model
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import rbd_path
from osc_image_migrate.stream import options as options_mod
from osc_image_migrate.stream import pipe

LOG = logging.getLogger(__name__)
MiB = 1024 * 1024
# The RBD image metadata key of the RBD images this tool creates; its
# value is the source image's ID.
MARK = 'osc-image-migrate.copy-of'


def _settings_of(clients: sessions.CloudClients
                 ) -> rbd_path.CephSettings | None:
    return rbd_path.settings_from(clients.settings.get(
        rbd_path.SETTINGS_KEY))


def _settings(clients: sessions.CloudClients) -> rbd_path.CephSettings:
    found = _settings_of(clients)
    if found is None:
        raise offload.PathRefused('no Ceph settings for cloud %s'
                                  % clients.name)
    return found


class RbdCopy:
    """The rbd path of one run (an offload.Offload)."""

    def __init__(self, src: sessions.CloudClients,
                 dst: sessions.CloudClients,
                 options: options_mod.StreamOptions = (
                     options_mod.StreamOptions())) -> None:
        self.src = src
        self.dst = dst
        self.options = options

    def send(self, item: planner.PlanItem, dest_id: str,
             journal: copy_journal.CopyJournal,
             stop: threading.Event | None,
             on_bytes: Callable[[int], None] | None = None) -> int:
        record = item.source_image or {}
        location = rbd_path.source_location(record)
        if location is None:
            raise offload.PathRefused('the source data is not in RBD')
        if model.lacks_reference(record):
            raise offload.PathRefused('hashless record: only the stream '
                                      'verifies what it reads')
        src, dst = _settings(self.src), _settings(self.dst)
        try:
            dst_fsid = rbd_offers.fsid(self.dst, dst)
            if (dst_fsid, dst.pool) == (location.fsid, location.pool):
                # Never near the source's own RBD images.
                raise offload.PathRefused(rbd_path.same_pool(location))
            self.remove_leftover(dst, dest_id, check_records=True)
            size = int(ceph_cli.rbd_json(src, 'info', location.spec)['size'])
        except ceph_cli.CephError as e:
            raise offload.PathRefused(str(e))
        target = '%s/%s' % (dst.pool, dest_id)
        try:
            ceph_cli.run(ceph_cli.rbd(dst, 'create', '--size', str(
                max(1, -(-size // MiB))), target))
            ceph_cli.run(ceph_cli.rbd(dst, 'image-meta', 'set', target, MARK,
                                      str(record.get('id') or item.source_id)))
            moved = self.copy(src, dst, location, target, stop, on_bytes)
            ceph_cli.run(ceph_cli.rbd(dst, 'snap', 'protect', '%s@%s' % (
                target, location.snap)))
        except ceph_cli.CephError as e:
            raise http.CloudError('rbd copy into %s: %s' % (target, e),
                                  retriable=True)
        url = rbd_path.RbdLocation(dst_fsid, dst.pool, dest_id,
                                   location.snap).url
        handed = time.monotonic()
        self.add_location(dst, dest_id, url, record)
        self.wait_verified(src, location, dest_id, record, stop, dst=dst)
        # Glance reads the whole virtual size back to hash it: on a sparse
        # image that check, not the copy, is most of the time.
        journal.note('rbd: moved %d MiB, the allocated extents of %d MiB; '
                     'Glance checked the copy in %.1f s'
                     % (-(-moved // MiB), -(-size // MiB),
                        time.monotonic() - handed))
        return moved

    def copy(self, src: rbd_path.CephSettings, dst: rbd_path.CephSettings,
             location: rbd_path.RbdLocation, target: str,
             stop: threading.Event | None,
             on_bytes: Callable[[int], None] | None = None) -> int:
        """export-diff | this process | import-diff; the bytes moved.

        ``on_bytes``: the run's progress, told of each piece that passes.
        """
        export = subprocess.Popen(
            ceph_cli.rbd(src, 'export-diff', '--no-progress',
                         location.spec, '-'),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL)
        load = subprocess.Popen(
            ceph_cli.rbd(dst, 'import-diff', '--no-progress', '-', target),
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        try:
            moved = pipe.pump(export.stdout, load.stdin,  # type: ignore
                              pipe.killer([export, load]),
                              self.options.stall_timeout,
                              self.options.limiter, stop,
                              on_bytes=on_bytes)
        except pipe.Stopped:
            raise cancel.Interrupted()
        except pipe.Stalled as e:
            raise http.CloudError('rbd copy into %s: %s' % (target, e),
                                  retriable=True)
        finally:
            errors = [(p, _finish(p)) for p in (export, load)]
        for process, err in errors:
            if process.returncode != 0:
                lines = err.decode(errors='replace').strip().splitlines()
                raise ceph_cli.CephError('%s: %s' % (
                    'export-diff' if process is export else 'import-diff',
                    lines[-1] if lines else 'exit %d' % process.returncode))
        return moved

    def remove_leftover(self, dst: rbd_path.CephSettings, dest_id: str,
                        check_records: bool = False) -> bool:
        """Remove an RBD image an earlier attempt left for this record.

        The record is ``queued`` (the copies call us only then), so no
        location of it names this RBD image. It is removed only when this
        tool made it (:data:`MARK`) and, with ``check_records`` (an image
        of an earlier run), no other image record's location names it;
        otherwise http.CloudError says what blocks the record. Returns
        whether there was one to remove.
        """
        target = '%s/%s' % (dst.pool, dest_id)
        try:
            snaps = ceph_cli.rbd_json(dst, 'snap', 'ls', target) or []
        except ceph_cli.CephError as e:
            if _absent(e):
                return False
            raise
        blocked = 'RBD image %s in the Ceph of cloud %s' % (
            target, self.dst.name)
        if not self.made_here(dst, target):
            raise http.CloudError(
                '%s holds this record\'s name but was not made by this tool '
                '(no %s mark): left alone, and Glance cannot store the data '
                'under that name; remove it once nothing uses it ("rbd rm")'
                % (blocked, MARK))
        holder = self.record_naming(dst, dest_id) if check_records else None
        if holder is not None:
            raise http.CloudError(
                '%s, left by an interrupted rbd copy, is the location of '
                'image %s: left alone' % (blocked, holder))
        LOG.info('Removing RBD image %s left by an interrupted copy',
                 target)
        for snap in snaps:
            if snap.get('protected') in (True, 'true'):
                ceph_cli.run(ceph_cli.rbd(dst, 'snap', 'unprotect', '%s@%s'
                                          % (target, snap['name'])))
        ceph_cli.run(ceph_cli.rbd(dst, 'snap', 'purge', '--no-progress',
                                  target))
        ceph_cli.run(ceph_cli.rbd(dst, 'rm', '--no-progress', target))
        return True

    @staticmethod
    def made_here(dst: rbd_path.CephSettings, target: str) -> bool:
        """Whether an RBD image carries this tool's mark."""
        try:
            ceph_cli.run(ceph_cli.rbd(dst, 'image-meta', 'get', target,
                                      MARK))
        except ceph_cli.CephError as e:
            if _absent(e):
                return False
            raise
        return True

    def record_naming(self, dst: rbd_path.CephSettings,
                      name: str) -> str | None:
        """The ID of a destination record whose location is this RBD image.

        Read from every record the destination credential sees
        (``direct_url``, ``locations``); the cluster's fsid is not
        compared (a location of another cluster with the same pool and
        name is counted too: left alone rather than guessed).
        """
        for image_id, image in inventory.read_images(self.dst).items():
            found = rbd_path.source_location(image)
            if found and (found.pool, found.image) == (dst.pool, name):
                return image_id
        return None

    def before_stream(self, item: planner.PlanItem, dest_id: str,
                      journal: copy_journal.CopyJournal) -> None:
        """Clear the record's name in RBD before the stream fills it.

        A run killed during an rbd copy leaves the record ``queued`` and
        an RBD image of its name in the destination pool; Glance's own
        rbd store then fails the stream's upload (the name is taken).
        Only a source record in RBD can have had an rbd copy, and only a
        destination with Ceph settings can be looked at here; without
        them, when the source has some (the rbd path is in use), the
        stream's error says what may block it (journal.stream_hint).
        """
        if rbd_path.source_location(item.source_image or {}) is None:
            return
        settings = _settings_of(self.dst)
        if settings is None:
            if _settings_of(self.src) is not None:
                journal.stream_hint = leftover_hint(self.dst.name, dest_id)
            return
        try:
            removed = self.remove_leftover(
                settings, dest_id, check_records=True)
        except ceph_cli.CephError as e:
            LOG.warning('Could not look for a leftover RBD image %s/%s: %s',
                        settings.pool, dest_id, e)
            return
        if removed:
            journal.note('removed RBD image %s/%s, left by an interrupted '
                         'rbd copy' % (settings.pool, dest_id))

    def add_location(self, dst: rbd_path.CephSettings, dest_id: str,
                     url: str, record: model.Record) -> None:
        """Hand the copy to Glance with the source's hash to check."""
        algo, value = model.data_hash(record)
        # The credential that holds the service role (the location_cloud
        # entry's, else the operator's); with neither, the operator's
        # answer (403) sends the image to the stream.
        poster = (rbd_offers.location_clients(self.dst) or self.dst.location
                  or self.dst)
        response = poster.image.post(
            '/v2/images/%s/locations' % dest_id, json={
                'url': url, 'validation_data': {
                    'os_hash_algo': algo, 'os_hash_value': value}},
            raise_exc=False)
        if response.status_code in (202, 200, 204):
            return
        if response.status_code in (400, 403, 404, 405):
            # Nothing of the record changed: the stream can still go.
            try:
                self.remove_leftover(dst, dest_id)
            except (ceph_cli.CephError, http.CloudError) as e:
                LOG.warning('Could not remove RBD image %s/%s: %s',
                            dst.pool, dest_id, e)
            raise offload.PathRefused(
                'the destination refused the location: HTTP %d'
                % response.status_code)
        raise http.status_error('destination location',
                                response.status_code)

    def wait_verified(self, src: rbd_path.CephSettings,
                      location: rbd_path.RbdLocation, dest_id: str,
                      record: model.Record,
                      stop: threading.Event | None,
                      dst: rbd_path.CephSettings | None = None) -> None:
        """Until Glance checked the copy: active, or queued (refused).

        Refused with the source snapshot holding another hash than its
        record: verify.DataMismatch. Refused although the hashes agree
        (Glance could not use the location, e.g. a pool it cannot read):
        the RBD image is removed (``dst``) and offload.PathRefused lets
        the stream fill the record, ``queued`` again.
        """
        while True:
            status = self.dst.glance.images.get(dest_id).get('status')
            if status == model.Status.ACTIVE:
                return
            if status == model.Status.QUEUED:
                failure = self._task_failure(dest_id)
                if failure is not None:
                    raise self.refusal(src, location, record, failure,
                                       dst, dest_id)
            cancel.pause(stop, cancel.POLL_SECONDS)

    def _task_failure(self, dest_id: str) -> str | None:
        """What Glance's failed task said ('' if nothing); None: none failed.

        No task at all on a record back in ``queued`` counts as a failure.
        """
        tasks = glance_import.import_tasks(self.dst, dest_id)
        failed = [t for t in tasks if t.get('status') == 'failure']
        if failed:
            return str(failed[-1].get('message') or '')
        return None if tasks else ''

    def refusal(self, src: rbd_path.CephSettings,
                location: rbd_path.RbdLocation, record: model.Record,
                failure: str, dst: rbd_path.CephSettings | None = None,
                dest_id: str | None = None) -> Exception:
        """The error of a copy Glance would not take.

        Glance's task says only "Internal Error" for a hash it found
        wrong; the hash of what the source snapshot holds now is computed
        here (a read of it). Different from its record's: DataMismatch,
        both hashes named. The same: Glance refused the location for
        another reason, and the stream can still carry the image.
        """
        algo, claimed = model.data_hash(record)
        try:
            found = snapshot_hash(src, location, str(algo))
        except ceph_cli.CephError as e:
            found = 'unknown (%s)' % e
        if found != claimed or dst is None or dest_id is None:
            return verify.DataMismatch(
                'the destination Glance refused the rbd copy: the source '
                'record says %s %s, the source snapshot %s holds %s; the '
                'record is queued again and its RBD image removed'
                % (algo, claimed, location.spec, found), retriable=False)
        try:
            self.remove_leftover(dst, dest_id)
        except (ceph_cli.CephError, http.CloudError) as e:
            LOG.warning('Could not remove RBD image %s/%s: %s', dst.pool,
                        dest_id, e)
        return offload.PathRefused(
            'the destination Glance did not take the location %s/%s (its '
            'task: %s), though the copy holds the source\'s hash'
            % (dst.pool, dest_id, failure or 'failed'))


def leftover_hint(cloud: str, dest_id: str) -> str:
    """What may block a stream into a Ceph-backed cloud we cannot look at.

    Glance's rbd store cannot store a record's data while an RBD image of
    its ID exists (left by an rbd copy killed in an earlier run).
    """
    return ('if a killed rbd copy left RBD image %s in the destination\'s '
            'pool, Glance cannot store this upload: give clouds.yaml entry '
            '%s its %s: Ceph settings (ceph_conf, ceph_user, rbd_pool) and '
            'run again to remove it' % (dest_id, cloud, rbd_path.SETTINGS_KEY))


def _absent(error: ceph_cli.CephError) -> bool:
    """Whether an rbd command failed for want of the image (or key)."""
    return '(2) No such file' in str(error)


def _finish(process: subprocess.Popen) -> bytes:
    """Wait for a command of the pipe; what it said on stderr."""
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
    err = process.stderr.read() if process.stderr is not None else b''
    if process.stdout is not None:
        process.stdout.close()
    process.wait()
    return err


def snapshot_hash(settings: rbd_path.CephSettings,
                  location: rbd_path.RbdLocation, algo: str) -> str:
    """The hash of a snapshot's data (an ``rbd export`` read through)."""
    digest: Any = hashlib.new(algo)
    export = subprocess.Popen(
        ceph_cli.rbd(settings, 'export', '--no-progress', location.spec,
                     '-'), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    out = export.stdout
    assert out is not None
    for piece in iter(lambda: out.read(pipe.PIECE), b''):
        digest.update(piece)
    if export.wait() != 0:
        raise ceph_cli.CephError('export of %s failed' % location.spec)
    return str(digest.hexdigest())
