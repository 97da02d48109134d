# SPDX-License-Identifier: Apache-2.0
"""A destination Glance, in memory, for one image's copy (ImageCopy)."""

import types
import uuid

from glanceclient import exc as glance_exc

from osc_image_migrate.cloud import http
from osc_image_migrate.copying import image_copy
from osc_image_migrate.planning import planner
from tests.unit import fakes


DATA = b'image data'
OWNER = fakes.project('demo', 'dst')


class FakeImages:
    """Just enough of glanceclient's ``images`` for ImageCopy."""

    def __init__(self):
        self.records = {}
        self.statuses = {}     # image ID -> statuses to report, in turn
        self.deactivated = []
        self.forbid_deactivate = False

    def create(self, **body):
        body.setdefault('id', str(uuid.uuid4()))
        record = dict(body, status='queued', size=None, checksum=None,
                      os_hash_algo=None, os_hash_value=None)
        self.records[body['id']] = record
        return record

    def get(self, image_id):
        record = self.records[image_id]
        pending = self.statuses.get(image_id)
        if pending:
            record['status'] = pending.pop(0)
        return dict(record)

    def update(self, image_id, **changes):
        self.records[image_id].update(changes)

    def deactivate(self, image_id):
        if self.forbid_deactivate:
            # What the guarded glanceclient (cloud/http.guard) raises.
            raise http.from_library(glance_exc.HTTPForbidden())
        self.deactivated.append(image_id)
        self.records[image_id]['status'] = 'deactivated'


class FakeImageAPI:
    """The raw image API calls ImageCopy makes: JSON patch, task list."""

    def __init__(self, images):
        self.images = images
        self.tasks = {}        # image ID -> its task list (or a callable)
        self.patches = []

    def patch(self, url, json, headers=None, raise_exc=True):
        image_id = url.rsplit('/', 1)[1]
        self.patches.append((image_id, json))
        record = self.images.records[image_id]
        for op in json:
            key = op['path'][1:]
            if op['op'] == 'remove':
                record.pop(key, None)
            else:
                record[key] = op['value']
        return types.SimpleNamespace(status_code=200)

    def get(self, url, raise_exc=True, **kwargs):
        image_id = url.split('/')[3]
        tasks = self.tasks.get(image_id)
        if callable(tasks):
            tasks = tasks()
        return types.SimpleNamespace(
            status_code=404 if tasks is None else 200,
            json=lambda: {'tasks': tasks})


def make_copy(keep_ids=False):
    source = fakes.image('x', fakes.project('demo'), data=DATA)
    item = planner.PlanItem(
        source_id=source['id'], name='x', action=planner.COPY,
        dest_id=source['id'], dest_owner=OWNER.id, source_image=source)
    images = FakeImages()
    dst = types.SimpleNamespace(glance=types.SimpleNamespace(
        images=images, image_members=None), image=FakeImageAPI(images))
    return image_copy.ImageCopy(None, dst, item, keep_ids), images, source
