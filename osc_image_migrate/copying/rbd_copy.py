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

Nothing is created in the source cluster: its snapshot is only read. An
RBD image of the destination record's name left by an interrupted
attempt is removed before a new copy (no record points at it: the record
is ``queued``). Refusals before any of that (PathRefused) let the stream
carry the image instead.
"""

import hashlib
import logging
import subprocess
import threading
from typing import Any
from typing import Callable

from osc_image_migrate import cancel
from osc_image_migrate.cloud import ceph_cli
from osc_image_migrate.cloud import http
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


def _settings(clients: sessions.CloudClients) -> rbd_path.CephSettings:
    found = rbd_path.settings_from(clients.settings.get(
        rbd_path.SETTINGS_KEY))
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
            dst_fsid = ceph_cli.fsid(dst)
            if (dst_fsid, dst.pool) == (location.fsid, location.pool):
                # Never near the source's own RBD images.
                raise offload.PathRefused(rbd_path.same_pool(location))
            self.remove_leftover(dst, dest_id)
            size = int(ceph_cli.rbd_json(src, 'info', location.spec)['size'])
        except ceph_cli.CephError as e:
            raise offload.PathRefused(str(e))
        target = '%s/%s' % (dst.pool, dest_id)
        try:
            ceph_cli.run(ceph_cli.rbd(dst, 'create', '--size', str(
                max(1, -(-size // MiB))), target))
            moved = self.copy(src, dst, location, target, stop, on_bytes)
            ceph_cli.run(ceph_cli.rbd(dst, 'snap', 'protect', '%s@%s' % (
                target, location.snap)))
        except ceph_cli.CephError as e:
            raise http.CloudError('rbd copy into %s: %s' % (target, e),
                                  retriable=True)
        url = rbd_path.RbdLocation(dst_fsid, dst.pool, dest_id,
                                   location.snap).url
        self.add_location(dst, dest_id, url, record)
        self.wait_verified(src, location, dest_id, record, stop)
        journal.note('rbd: moved %d MiB, the allocated extents of %d MiB'
                     % (-(-moved // MiB), -(-size // MiB)))
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

    def remove_leftover(self, dst: rbd_path.CephSettings,
                        dest_id: str) -> None:
        """Remove an RBD image an earlier attempt left for this record.

        The record is ``queued`` (the copy calls us only then): no
        location of it, nor of any other record, names this RBD image.
        """
        target = '%s/%s' % (dst.pool, dest_id)
        try:
            snaps = ceph_cli.rbd_json(dst, 'snap', 'ls', target) or []
        except ceph_cli.CephError as e:
            if '(2) No such file' in str(e):
                return
            raise
        LOG.info('Removing RBD image %s left by an interrupted copy',
                 target)
        for snap in snaps:
            if snap.get('protected') in (True, 'true'):
                ceph_cli.run(ceph_cli.rbd(dst, 'snap', 'unprotect', '%s@%s'
                                          % (target, snap['name'])))
        ceph_cli.run(ceph_cli.rbd(dst, 'snap', 'purge', '--no-progress',
                                  target))
        ceph_cli.run(ceph_cli.rbd(dst, 'rm', '--no-progress', target))

    def add_location(self, dst: rbd_path.CephSettings, dest_id: str,
                     url: str, record: model.Record) -> None:
        """Hand the copy to Glance with the source's hash to check."""
        algo, value = model.data_hash(record)
        response = self.dst.image.post(
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
            except ceph_cli.CephError as e:
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
                      stop: threading.Event | None) -> None:
        """Until Glance checked the hash: active, or queued (mismatch)."""
        while True:
            status = self.dst.glance.images.get(dest_id).get('status')
            if status == model.Status.ACTIVE:
                return
            if status == model.Status.QUEUED and self._task_failed(dest_id):
                raise self.mismatch(src, location, record)
            cancel.pause(stop, cancel.POLL_SECONDS)

    def _task_failed(self, dest_id: str) -> bool:
        tasks = glance_import.import_tasks(self.dst, dest_id)
        return any(t.get('status') == 'failure' for t in tasks) or not tasks

    def mismatch(self, src: rbd_path.CephSettings,
                 location: rbd_path.RbdLocation,
                 record: model.Record) -> verify.DataMismatch:
        """The error of a copy Glance refused: both hashes named.

        Glance says only "Internal Error"; the hash of what the source
        snapshot holds now is computed here (a read of it), beside the
        one its record claims.
        """
        algo, claimed = model.data_hash(record)
        try:
            found = snapshot_hash(src, location, str(algo))
        except ceph_cli.CephError as e:
            found = 'unknown (%s)' % e
        return verify.DataMismatch(
            'the destination Glance refused the rbd copy: the source '
            'record says %s %s, the source snapshot %s holds %s; the '
            'record is queued again and its RBD image removed'
            % (algo, claimed, location.spec, found), retriable=False)


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
