# SPDX-License-Identifier: Apache-2.0
"""Source records without a hash or size, and the copies a run leaves."""

import hashlib

from osc_image_migrate import model
from tests.unit import fakes
from tests.unit.fakes import scene as tp


DATA = b'0123456789' * 1000


def legacy(name='legacy', size=True, **extra):
    image = fakes.image(name, tp.S_DEMO, data=DATA, checksum=None,
                        os_hash_algo=None, os_hash_value=None, **extra)
    if not size:
        image['size'] = None
    return image


def as_read(image, data=DATA, **changes):
    """The copy a verified run leaves of a record without a hash."""
    record = tp.copy_in_dest(fakes.image(
        image['name'], tp.D_DEMO, data=data, image_id=image['id'],
        visibility=image['visibility']))
    record.update({model.READ_SIZE: str(len(data)),
                   model.READ_HASH_ALGO: 'sha512',
                   model.READ_HASH_VALUE: hashlib.sha512(data).hexdigest()})
    record.update(changes)
    return record
