# SPDX-License-Identifier: Apache-2.0
"""Which destination record stands for a source image, decided from data.

The same ID is looked at first; a copy that recorded the source ID (it got
a new ID in an earlier run) next. The planner decides what to do with the
record found; this module only finds it, or says why no record can be
trusted to stand for the image (:class:`Conflict`).
"""

from typing import Mapping

from osc_image_migrate import model
from osc_image_migrate.planning import comparison
from osc_image_migrate.planning import metadata


class Conflict(Exception):
    """No destination record can stand for the image; the message why."""


def failed_check(record: model.Record) -> Conflict:
    """The conflict of an image whose copy failed the post-upload check."""
    return Conflict(
        'destination image %s, a copy under a new ID, failed the check '
        'after its upload too (%s) and was deactivated: not copied again, '
        'so that re-runs do not leave one deactivated copy after another; '
        'find what changes the data on its way in, then delete that copy '
        'to copy the image again' % (record['id'],
                                     record[model.CHECK_FAILED]))


def find(image: model.Record, dest: model.Inventory,
         by_source_id: Mapping[str, model.Record]
         ) -> tuple[model.Record | None, str | None]:
    """The destination image standing for ``image``, and how it compares.

    Returns (record or None, comparison verdict or None). A copy that
    recorded the source ID is made only when the same ID could not take
    the data (taken, or left ``saving`` by an upload the destination
    lost), so it also wins over a same-ID record that is ``queued`` or
    ``saving``.
    """
    same = dest.images.get(image['id'])
    verdict = comparison.verdict(image, same) if same is not None else None
    if verdict == comparison.PRESENT:
        return same, verdict
    tagged = by_source_id.get(image['id'])
    if tagged is not None and tagged is not same:
        tagged_verdict = comparison.verdict(image, tagged)
        if tagged_verdict != comparison.OTHER:
            return tagged, tagged_verdict
        if comparison.failed_check(tagged):
            raise failed_check(tagged)
        if verdict in (None, comparison.OTHER):
            raise Conflict(
                'destination image %s records this source image but holds '
                'other data (status %s)' % (tagged['id'], tagged['status']))
    return same, verdict


def dependency_ids(source: model.Inventory, dest: model.Inventory,
                   by_source_id: Mapping[str, model.Record],
                   image: model.Record,
                   reused: Mapping[str, str] | None = None
                   ) -> dict[str, str]:
    """Source ID -> destination ID of the image's kernel and ramdisk.

    Only those whose data is (or can still go) in the destination record,
    or that are ``reused`` (source ID -> the identical image's ID).
    """
    found_ids: dict[str, str] = {}
    for key in metadata.DEPENDENCY_KEYS:
        ref = image.get(key)
        if reused and ref and ref in reused:
            found_ids[ref] = reused[ref]
            continue
        if ref not in source.images:
            continue
        try:
            found, verdict = find(source.images[ref], dest, by_source_id)
        except Conflict:
            continue
        if found is not None and verdict in (comparison.PRESENT,
                                             comparison.RESUMABLE):
            found_ids[ref] = found['id']
    return found_ids
