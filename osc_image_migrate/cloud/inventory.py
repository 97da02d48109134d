# SPDX-License-Identifier: Apache-2.0
"""Read one cloud's images, members and projects into plain data.

Everything downstream (selection, planning) works on these records only, so
it can be tested without a cloud. Reading is bounded: a listing costs one
request per page, and member lists are read only for ``shared`` images.
"""

import concurrent.futures
import logging
from typing import Any
from typing import Callable
from typing import cast
from typing import Iterator
from typing import Mapping

from keystoneauth1.access import access as ks_access

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate import model

LOG = logging.getLogger(__name__)

PAGE_SIZE = 1000
# Member lists read at once (one request per shared image).
MEMBER_READERS = 8


def _paged(image_adapter: http.Adapter, url: str | None,
           key: str) -> Iterator[Any]:
    """Yield every item of a Glance listing, following ``next`` links."""
    while url:
        body = image_adapter.get(url).json()
        yield from body.get(key, [])
        url = body.get('next')


def read_images(clients: sessions.CloudClients) -> dict[str, model.Record]:
    """Every image the credential can see, hidden ones included.

    Glance's default listing leaves out community images, hidden images and
    shared images whose membership is not accepted, so list with
    ``visibility=all`` once for each ``os_hidden`` value.
    """
    images: dict[str, model.Record] = {}
    for hidden in ('false', 'true'):
        url = ('/v2/images?visibility=all&os_hidden=%s&limit=%d'
               % (hidden, PAGE_SIZE))
        for image in _paged(clients.image, url, 'images'):
            images[image['id']] = image
    return images


def read_members(clients: sessions.CloudClients,
                 images: Mapping[str, model.Record],
                 wanted: Callable[[model.Record], bool] | None = None
                 ) -> dict[str, list[model.Record]]:
    """Member lists of the ``shared`` images (the only ones that have any).

    ``wanted``, when given, narrows the reads to the images it accepts.
    Glance has no bulk call for members: one request per image, so they
    are read ``MEMBER_READERS`` at a time (figures in
    doc/source/performance.rst).
    """
    shared = [image_id for image_id, image in images.items()
              if image.get('visibility') == 'shared' and (
                  wanted is None or wanted(image))]

    def read(image_id: str) -> tuple[str, list[model.Record]]:
        url = '/v2/images/%s/members' % image_id
        return image_id, [
            {'member_id': m['member_id'], 'status': m['status']}
            for m in clients.image.get(url).json().get('members', [])]

    if len(shared) < 2:
        return dict(map(read, shared))
    workers = min(MEMBER_READERS, len(shared))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(read, shared))


def read_projects(clients: sessions.CloudClients,
                  access: ks_access.AccessInfo
                  ) -> tuple[dict[str, model.Project], bool]:
    """Keystone projects by ID, and whether the list is complete.

    Without the right to list projects, only the credential's own project
    is known (from its token).
    """
    # keystoneauth types them optional: a project-scoped token (the
    # commands' credentials) has both.
    own = model.Project(id=cast(str, access.project_id),
                        name=cast(str, access.project_name),
                        domain=access.project_domain_name or 'Default')
    try:
        domains = {d['id']: d['name'] for d in clients.identity.get(
            '/domains').json().get('domains', [])}
        listed = clients.identity.get('/projects').json()['projects']
    except http.CloudError as e:
        if e.status != 403:
            raise
        LOG.debug('Cloud %s: may not list projects; knowing only %s',
                  clients.name, own.name)
        return {own.id: own}, False
    projects = {
        p['id']: model.Project(
            id=p['id'], name=p['name'],
            domain=domains.get(p['domain_id'], p['domain_id']))
        for p in listed}
    projects.setdefault(own.id, own)
    return projects, True


def read_inventory(clients: sessions.CloudClients,
                   members_wanted: Callable[[model.Record], bool]
                   | None = None) -> model.Inventory:
    """Read one cloud into an :class:`model.Inventory`.

    ``members_wanted`` narrows which shared images' members are read (the
    destination needs only those of images that may be copies).
    """
    listing = read_listing(clients)
    listing.members.update(
        read_members(clients, listing.images, members_wanted))
    return listing


def read_listing(clients: sessions.CloudClients) -> model.Inventory:
    """One cloud's images and projects, without members (see above)."""
    access = clients.access()
    images = read_images(clients)
    projects, complete = read_projects(clients, access)
    return model.Inventory(
        images=images,
        members={},
        projects=projects,
        project_id=access.project_id,
        is_admin='admin' in (access.role_names or []),
        projects_complete=complete)


def read_stores(clients: sessions.CloudClients) -> list[str]:
    """The IDs of the cloud's stores (``GET /v2/info/stores``)."""
    body = clients.image.get('/v2/info/stores').json()
    return [store['id'] for store in body.get('stores', [])]


def import_methods(dst: sessions.CloudClients) -> tuple[str, ...]:
    """Import methods the destination offers (``GET /v2/info/import``).

    An empty tuple when it answers anything but a list: a Glance without
    interoperable import, or one that hides it.
    """
    with http.translated('destination cloud %s' % dst.name):
        response = dst.image.get('/v2/info/import', raise_exc=False)
    if response.status_code != 200:
        return ()
    try:
        value = response.json()['import-methods']['value']
    except (ValueError, KeyError, TypeError):
        return ()
    return tuple(value) if isinstance(value, list) else ()
