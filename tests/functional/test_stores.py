# SPDX-License-Identifier: Apache-2.0
"""--dest-store and --map-store on a destination with stores fast and slow.

The source of the variant sandbox has one store, ``fs``; the destination
has ``fast`` (its default) and ``slow``.
"""

from tests.functional.fixtures import faults as fs
from tests.functional.fixtures.variants import GlanceVariant

MiB = fs.MiB
TWO_STORES = GlanceVariant(stores=('fast', 'slow'))


def test_copies_land_in_the_store_asked_for(variant_sandbox):
    box = variant_sandbox(dst=TWO_STORES)
    images = fs.Images(box)
    chosen = images.make('a-chosen', MiB)
    mapped = images.make('b-mapped', MiB)
    default = images.make('c-default', MiB)
    assert box.image('src', mapped['id'])['stores'] == 'fs'

    rows, _ = box.migrate_json('plan', '--dest-cloud', 'dst', '--long',
                               '--dest-store', 'slow',
                               *fs.image_args(chosen))
    assert rows[chosen['id']]['Dest Store'] == 'slow'
    rows, run = fs.migrate(box, '--dest-store', 'slow',
                           *fs.image_args(chosen))
    assert run.returncode == 0, run.stderr
    rows, run = fs.migrate(box, '--map-store', 'fs=slow', '--dest-store',
                           'fast', *fs.image_args(mapped))
    assert run.returncode == 0, run.stderr
    rows, run = fs.migrate(box, *fs.image_args(default))
    assert run.returncode == 0, run.stderr

    for image, store in ((chosen, 'slow'), (mapped, 'slow'),
                         (default, 'fast')):
        copy = box.image('dst', image['id'])
        assert (copy['status'], copy['stores']) == ('active', store)
        assert box.image_data('dst', image['id']) == images.data[image['id']]


def test_a_store_the_destination_lacks_is_a_usage_error(variant_sandbox):
    box = variant_sandbox(dst=TWO_STORES)
    image = fs.Images(box).make('a-nowhere', MiB)
    for args in (['--dest-store', 'fastest'], ['--map-store', 'fs=nowhere']):
        rows, run = fs.migrate(box, *args, *fs.image_args(image))
        assert run.returncode == 2
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and 'its stores: fast, slow' in lines[0], (
            run.stderr)
        assert not fs.copies(box, image['id'])
