"""Read one cloud's images, members and projects into plain data.

Everything downstream (selection, planning) works on these records only, so
it can be tested without a cloud. Reading is bounded: a listing costs one
request per page, and member lists are read only for ``shared`` images.
"""

import concurrent.futures
import dataclasses
import logging

from keystoneauth1 import exceptions as ks_exc

LOG = logging.getLogger(__name__)

# The property that records, on a destination image, which source image it
# was copied from. Needed when the source ID could not be kept (409), so a
# re-run finds the copy instead of making another.
SOURCE_ID_PROPERTY = 'osc_migrate_source_id'

PAGE_SIZE = 1000
# Member lists read at once (one request per shared image).
MEMBER_READERS = 8


@dataclasses.dataclass(frozen=True)
class Project:
    """A Keystone project, identified across clouds by (domain, name)."""

    id: str
    name: str
    domain: str = 'Default'

    @property
    def key(self):
        return (self.domain, self.name)


@dataclasses.dataclass
class Inventory:
    """What one credential can see of one cloud.

    ``images`` maps image ID to the image record exactly as Glance returns it
    (a plain dict with every property). ``members`` maps the ID of each
    ``shared`` image to its member list, each a dict with ``member_id`` and
    ``status``. ``projects`` maps project ID to :class:`Project`; it holds at
    least the credential's own project, and every project when Keystone may be
    read. ``is_admin`` says whether the credential has the admin role.
    """

    images: dict = dataclasses.field(default_factory=dict)
    members: dict = dataclasses.field(default_factory=dict)
    projects: dict = dataclasses.field(default_factory=dict)
    project_id: str = None
    is_admin: bool = False
    projects_complete: bool = False
    _index: tuple = dataclasses.field(default=None, init=False, repr=False,
                                      compare=False)

    def project_by_ref(self, ref):
        """Find a project by ID or name; None when unknown or ambiguous."""
        if ref in self.projects:
            return self.projects[ref]
        named = self.projects_named(ref)
        return named[0] if len(named) == 1 else None

    def projects_named(self, name):
        """The projects of this name, in any domain."""
        return self._project_index()[0].get(name, [])

    def projects_keyed(self, key):
        """The projects of this (domain, name) key."""
        return self._project_index()[1].get(key, [])

    def _project_index(self):
        """Projects by name and by key, built once per project list.

        Planning maps the owner and members of every image: a scan of the
        project list for each would cost images x projects (a 10,000-image
        plan over 3,000 projects: ~25 s). Rebuilt if the list is replaced
        or grows.
        """
        index = self._index
        if (index is None or index[0] is not self.projects
                or index[1] != len(self.projects)):
            by_name, by_key = {}, {}
            for project in self.projects.values():
                by_name.setdefault(project.name, []).append(project)
                by_key.setdefault(project.key, []).append(project)
            index = self._index = (self.projects, len(self.projects),
                                   by_name, by_key)
        return index[2:]

    def images_by_source_id(self):
        """Map source image ID -> its copy, by the source ID it records.

        Every copy records it, under the source's own ID too (so that a
        copy whose source was deleted is still known as one); a copy under
        a new ID wins, since it exists because the same ID could not hold
        the data.
        """
        found = {}
        for image in self.images.values():
            source_id = image.get(SOURCE_ID_PROPERTY)
            if source_id and (source_id not in found
                              or found[source_id]['id'] == source_id):
                found[source_id] = image
        return found


def _paged(image_adapter, url, key):
    """Yield every item of a Glance listing, following ``next`` links."""
    while url:
        body = image_adapter.get(url).json()
        yield from body.get(key, [])
        url = body.get('next')


def read_images(clients):
    """Every image the credential can see, hidden ones included.

    Glance's default listing leaves out community images, hidden images and
    shared images whose membership is not accepted, so list with
    ``visibility=all`` once for each ``os_hidden`` value.
    """
    images = {}
    for hidden in ('false', 'true'):
        url = ('/v2/images?visibility=all&os_hidden=%s&limit=%d'
               % (hidden, PAGE_SIZE))
        for image in _paged(clients.image, url, 'images'):
            images[image['id']] = image
    return images


def read_members(clients, images, wanted=None):
    """Member lists of the ``shared`` images (the only ones that have any).

    ``wanted``, when given, narrows the reads to the images it accepts.
    Glance has no bulk call for members: one request per image, so they
    are read ``MEMBER_READERS`` at a time (2,000 images: ~14 s one by one
    on the benchmark sandbox, ~9 s eight at a time).
    """
    shared = [image_id for image_id, image in images.items()
              if image.get('visibility') == 'shared' and (
                  wanted is None or wanted(image))]

    def read(image_id):
        url = '/v2/images/%s/members' % image_id
        return image_id, [
            {'member_id': m['member_id'], 'status': m['status']}
            for m in clients.image.get(url).json().get('members', [])]

    if len(shared) < 2:
        return dict(map(read, shared))
    workers = min(MEMBER_READERS, len(shared))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(read, shared))


def read_projects(clients, access):
    """Keystone projects by ID, and whether the list is complete.

    Without the right to list projects, only the credential's own project
    is known (from its token).
    """
    own = Project(id=access.project_id, name=access.project_name,
                  domain=access.project_domain_name or 'Default')
    try:
        domains = {d['id']: d['name'] for d in clients.identity.get(
            '/domains').json().get('domains', [])}
        listed = clients.identity.get('/projects').json()['projects']
    except ks_exc.Forbidden:
        LOG.debug('Cloud %s: may not list projects; knowing only %s',
                  clients.name, own.name)
        return {own.id: own}, False
    projects = {
        p['id']: Project(id=p['id'], name=p['name'],
                         domain=domains.get(p['domain_id'], p['domain_id']))
        for p in listed}
    projects.setdefault(own.id, own)
    return projects, True


def read_inventory(clients, members_wanted=None):
    """Read one cloud into an :class:`Inventory`.

    ``members_wanted`` narrows which shared images' members are read (the
    destination needs only those of images that may be copies).
    """
    access = clients.access()
    images = read_images(clients)
    projects, complete = read_projects(clients, access)
    return Inventory(
        images=images,
        members=read_members(clients, images, members_wanted),
        projects=projects,
        project_id=access.project_id,
        is_admin='admin' in (access.role_names or []),
        projects_complete=complete)
