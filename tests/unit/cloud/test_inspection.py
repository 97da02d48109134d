# SPDX-License-Identifier: Apache-2.0
"""plan --inspect: one ranged read per image to copy, problems block it."""

import io
import os

from osc_image_migrate.cloud import inspection
from osc_image_migrate.planning import planner
from tests.unit.fakes.disk_images import qcow2


class Raw(io.BytesIO):
    def read(self, size, decode_content=None):
        return super().read(size)


class Response:
    def __init__(self, status, data):
        self.status_code = status
        self.raw = Raw(data)

    def close(self):
        pass


class Image:
    """The source's image endpoint: serves ``data`` by ID, honours Range."""

    def __init__(self, data, status=206):
        self.data = data
        self.status = status
        self.asked = []

    def get(self, url, headers=None, **kwargs):
        image_id = url.split('/')[3]
        self.asked.append((image_id, headers['Range']))
        end = int(headers['Range'].rsplit('-', 1)[1])
        return Response(self.status, self.data[image_id][:end + 1])


class Clients:
    def __init__(self, image):
        self.image = image


def item(image_id, data, disk_format='raw', action=planner.COPY):
    image = {'id': image_id, 'disk_format': disk_format,
             'container_format': 'bare', 'size': len(data)}
    return planner.PlanItem(image_id, action=action, size=len(data),
                            source_image=image)


def test_mismatched_images_are_blocked_with_the_reason():
    data = {'qcow2-as-raw': qcow2(length=4 * 1024 * 1024),
            'raw': os.urandom(2 * 1024 * 1024),
            'small': qcow2(length=128 * 1024),
            'skipped': qcow2()}
    image = Image(data)
    plan = [item('qcow2-as-raw', data['qcow2-as-raw']),
            item('raw', data['raw']), item('small', data['small']),
            item('skipped', data['skipped'], action=planner.SKIP)]
    inspection.inspect_plan(Clients(image), plan)
    assert [i.action for i in plan] == [
        planner.BLOCKED, planner.COPY, planner.BLOCKED, planner.SKIP]
    assert plan[0].reason == (
        'format check of the first MiB: data is qcow2 but its disk_format '
        'is raw: the destination would refuse it or keep it unbootable')
    # One read of at most the first MiB per image to copy; none for skip.
    to_copy = ('qcow2-as-raw', 'raw', 'small')
    assert sorted(image.asked) == [(name, 'bytes=0-1048575')
                                   for name in to_copy]


def test_unreadable_data_is_left_to_migrate():
    data = {'x': qcow2()}
    plan = [item('x', data['x'])]
    inspection.inspect_plan(Clients(Image(data, status=403)), plan)
    assert plan[0].action == planner.COPY
