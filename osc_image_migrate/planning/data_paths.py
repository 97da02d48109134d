# SPDX-License-Identifier: Apache-2.0
"""Which way each image's bytes travel: the plan's ``Path`` column.

One vocabulary for every data path, so that a plan row says how its data
would move whatever the destination is:

    stream           the source download piped into the destination
                     upload, through this host (stream/transfer.py)
    bundle           into or out of a bundle directory (bundle/)
    glance-download  the destination Glance pulls the image from the
                     source region itself (regions of one Keystone)
    rbd              storage to storage between the clouds' Ceph clusters
    -                the row moves no data (skip, sync, metadata only...)

``--data-path`` chooses among the cloud-to-cloud paths. Every path other
than the stream is offered per image (:class:`PathOffer`) by the module
that knows its conditions; :func:`choose` takes the first offer ``auto``
may use, and the stream otherwise, with the refusals as the row's note.
A bundle is chosen by ``--to-bundle``/``--from-bundle`` instead.
"""

import dataclasses
from typing import Callable
from typing import Iterable
from typing import Sequence

AUTO = 'auto'
STREAM = 'stream'
BUNDLE = 'bundle'
GLANCE_DOWNLOAD = 'glance-download'
RBD = 'rbd'
NONE = '-'

# --data-path's choices, the default first.
CHOICES = (AUTO, STREAM, RBD, GLANCE_DOWNLOAD)


@dataclasses.dataclass(frozen=True)
class PathOffer:
    """What one offloaded path says about one image.

    ``refusal`` is None when the path can take the image, else why not,
    worded for the row (e.g. "no Ceph settings for cloud dst").
    """

    path: str
    refusal: str | None = None


# One path's view of a plan item: an offer, or None when the path is not
# in play at all (nothing worth a note, e.g. two unrelated Keystones).
Offerer = Callable[[object], 'PathOffer | None']


@dataclasses.dataclass(frozen=True)
class Choice:
    """The path of one image, and the note its row gets (may be empty).

    ``refused``: the path was asked for by name and cannot be used; the
    row is then blocked with ``note`` as its reason.
    """

    path: str
    note: str = ''
    refused: bool = False


def choose(requested: str, offers: Iterable[PathOffer]) -> Choice:
    """The path for one image given ``--data-path`` and the paths' offers.

    ``auto`` takes the first offer without a refusal (the offers come in
    order of preference), else the stream, whose note then says why each
    offered path was not taken. A path asked for by name is taken when
    offered without refusal, and refused otherwise: never another path
    silently.
    """
    offers = list(offers)
    if requested == STREAM:
        return Choice(STREAM)
    if requested == AUTO:
        for offer in offers:
            if offer.refusal is None:
                return Choice(offer.path)
        return Choice(STREAM, '; '.join(
            'stream, not %s: %s' % (o.path, o.refusal) for o in offers))
    for offer in offers:
        if offer.path == requested:
            if offer.refusal is None:
                return Choice(requested)
            return Choice(requested, '%s: %s' % (requested, offer.refusal),
                          refused=True)
    return Choice(requested, '%s: not possible between these clouds'
                  % requested, refused=True)


def offers_for(item: object,
               offerers: Sequence[Offerer]) -> list[PathOffer]:
    """Each path's offer for ``item``, the paths not in play left out."""
    found = (offerer(item) for offerer in offerers)
    return [offer for offer in found if offer is not None]
