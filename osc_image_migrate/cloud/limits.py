# SPDX-License-Identifier: Apache-2.0
"""Read the destination's Keystone unified limits of the image service.

Glance enforces them only with ``[DEFAULT] use_keystone_limits``, and then
its ``GET /v2/info/usage`` answers the caller's usage and limits; otherwise
it answers an empty usage. That answer, asked only when Keystone has
registered limits for images, says whether they are in use. Limits that
cannot be read (a Keystone or policy that refuses) mean no quota check,
never a failed plan: Glance still answers 413 itself.
"""

import dataclasses
import logging

from keystoneauth1.access import access as ks_access

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions


LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Limits:
    """The image service's registered limits and per-project limits.

    ``registered`` maps a resource (``image_count_total``...) to its
    default limit, ``projects`` a project ID to ``{resource: limit}``.
    Sizes are in MiB, as Glance counts them; -1 means unlimited.
    """

    registered: dict[str, int] = dataclasses.field(default_factory=dict)
    projects: dict[str, dict[str, int]] = dataclasses.field(
        default_factory=dict)

    def limit(self, project_id: str, resource: str) -> int | None:
        """The project's limit of ``resource``; None when unlimited."""
        value = self.projects.get(project_id, {}).get(
            resource, self.registered.get(resource))
        return None if value is None or value < 0 else value


def _image_service_id(access: ks_access.AccessInfo) -> str | None:
    for service in access.service_catalog.catalog or []:
        if service.get('type') == 'image' and service.get('id'):
            return service['id']
    return None


def enforced(clients: sessions.CloudClients) -> bool:
    """True when the destination Glance enforces unified limits."""
    response = clients.image.get('/v2/info/usage', raise_exc=False)
    if response.status_code != 200:
        return False
    try:
        return bool(response.json().get('usage'))
    except (ValueError, AttributeError):
        return False


def read(clients: sessions.CloudClients) -> Limits | None:
    """The destination's image :class:`Limits`, or None (no quota check).

    Keystone first: without registered limits for the image service there
    are no unified limits, and the plan sends Glance no extra request.
    Then Glance's ``GET /v2/info/usage`` says whether it enforces them.
    The image service is the one of the credential's catalog, the region
    that of the destination cloud's image client. Any credential may read
    the registered limits; an admin sees every project's limits, a
    project member only its own project's.
    """
    try:
        service_id = _image_service_id(clients.access())
        if service_id is None:
            LOG.debug('Cloud %s: no image service in the catalog: quotas '
                      'not checked', clients.name)
            return None
        query = '?service_id=%s' % service_id
        region = clients.image.region_name
        if region:
            query += '&region_id=%s' % region
        registered = clients.identity.get(
            '/registered_limits' + query).json()['registered_limits']
        if not registered or not enforced(clients):
            LOG.debug('Cloud %s: Glance enforces no unified limits',
                      clients.name)
            return None
        listed = clients.identity.get('/limits' + query).json()['limits']
    except (http.CloudError, ValueError, KeyError, TypeError) as e:
        LOG.debug('Cloud %s: cannot read the image limits (%s): quotas not '
                  'checked', clients.name, type(e).__name__)
        return None
    projects: dict[str, dict[str, int]] = {}
    for limit in listed:
        if limit.get('project_id'):
            projects.setdefault(limit['project_id'], {})[
                limit['resource_name']] = limit['resource_limit']
    return Limits(
        registered={r['resource_name']: r['default_limit']
                    for r in registered},
        projects=projects)
