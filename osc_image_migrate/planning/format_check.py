# SPDX-License-Identifier: Apache-2.0
"""Spot data the destination Glance will refuse, from its first bytes.

Glance (2024.2 and later) inspects every upload with oslo.utils' format
inspector and refuses, once the whole body has arrived, data that does not
match the image's ``disk_format`` or that fails its safety checks (a qcow2
with a backing file or an external data file, a broken GPT...). Running
the same inspector over the first bytes of the stream finds those images
after a few hundred KiB instead of after the whole image crossed the
network. The rules follow Glance's upload path (``glance/location.py``),
with one difference: data of a known format declared ``raw`` is stopped
too, since Glance keeps it as raw and no server could boot it as declared.
"""

from typing import cast
from typing import IO

from oslo_utils.imageutils import format_inspector

# The inspectors decide within the first 256 KiB for the formats seen here;
# one still undecided after this much data is left to Glance's own check.
INSPECT_LIMIT = 16 * 1024 * 1024
# While undecided, a stream reads up to each MiB boundary (see wanted).
DECISION_STEP = 1024 * 1024
# Glance tolerates an invalid MBR in kernel and ramdisk images.
MBR_TOLERANT = ('aki', 'ari')


class FormatProblem(Exception):
    """The data is not what its record declares, or is unsafe."""


class _Feed:
    """The file-like source that hands InspectWrapper one chunk per read."""

    chunk = b''

    def read(self, size: int) -> bytes:
        return self.chunk


class FormatCheck:
    """Feeds a stream's first bytes to the inspectors and judges them."""

    def __init__(self, disk_format: str | None,
                 container_format: str | None,
                 limit: int = INSPECT_LIMIT) -> None:
        self.disk_format = disk_format
        # Glance inspects only bare images; so does this check.
        self.done = container_format != 'bare' or not disk_format
        self.detected: str | None = None
        self._limit = limit
        self._seen = 0
        self._feed = _Feed()
        # InspectWrapper only calls read(): the feed stands for a file.
        self._wrapper = format_inspector.InspectWrapper(
            cast(IO[bytes], self._feed))

    def wanted(self, most: int) -> int:
        """How much a stream may read next, at most ``most`` bytes.

        While undecided, reads stop at each MiB boundary: the inspectors
        decide within the first MiB for the formats Glance knows, so a
        refused image has read at most that MiB, however the network cut
        the pieces.
        """
        if self.done:
            return most
        return min(most, DECISION_STEP - self._seen % DECISION_STEP)

    def feed(self, chunk: bytes) -> None:
        """Inspect one more chunk; raise FormatProblem once it is sure."""
        if self.done:
            return
        self._feed.chunk = chunk
        try:
            self._wrapper.read(len(chunk))
        finally:
            self._feed.chunk = b''
        self._seen += len(chunk)
        if self._wrapper.formats is not None:
            self._judge()
        elif self._seen >= self._limit:
            self.done = True

    def finish(self) -> None:
        """The stream ended: judge what was seen if undecided so far."""
        if self.done:
            return
        self._wrapper.close()
        self._judge()

    def _judge(self) -> None:
        self.done = True
        # Decided (feed) or finished (finish, after close): not None.
        matches = {str(i): i for i in cast(
            'list[format_inspector.FileInspector]', self._wrapper.formats)}
        if matches.keys() == {'iso', 'gpt'}:
            # A bootable ISO may carry a GPT boot loader: Glance allows it.
            matches = {'iso': matches['iso']}
        if len(matches) > 1:
            raise FormatProblem(
                'data matches several formats (%s), declared %s: refused as '
                'a possible disguised image'
                % (', '.join(sorted(matches)), self.disk_format))
        (self.detected, inspector), = matches.items()
        declared = self.disk_format
        if self.detected != declared and not (
                self.detected == 'raw' and
                declared not in format_inspector.ALL_FORMATS):
            raise FormatProblem(
                'data is %s but its disk_format is %s: the destination '
                'would refuse it or keep it unbootable'
                % (self.detected, declared))
        try:
            inspector.safety_check()
        except format_inspector.ImageFormatError:
            return  # cannot be checked from what was seen: Glance will
        except format_inspector.SafetyCheckFailed as e:
            failed = set(e.failures)
            if declared in MBR_TOLERANT:
                failed.discard('mbr')
            if failed:
                raise FormatProblem(
                    '%s data fails the safety checks Glance applies (%s)'
                    % (self.detected, ', '.join(
                        '%s: %s' % (name, e.failures[name])
                        for name in sorted(failed))))
