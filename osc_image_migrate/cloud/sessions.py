# SPDX-License-Identifier: Apache-2.0
"""Sessions and clients for the source and destination clouds.

This is the one place that turns a cloud into clients. The source cloud is
the one OSC is authenticated against (its session, region, interface,
endpoint override and TLS settings are OSC's); the destination is loaded from
clouds.yaml by name through the same ``OpenStackConfig`` that OSC uses, so
each cloud keeps its own ``verify``/``cacert``/``cert``/``key`` settings.
"""

import contextlib
import dataclasses
import logging
import threading
from typing import Any
from typing import Callable
from typing import Iterator
from typing import Mapping
from typing import TypeVar

from glanceclient import client as glance_client
from keystoneauth1.access import access as ks_access
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import plugin as ks_plugin
from openstack.config import exceptions as config_exc
from osc_lib import exceptions

from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import transport
from osc_image_migrate.i18n import _
from osc_image_migrate.planning import rbd_path

LOG = logging.getLogger(__name__)

# The interface that means "the auth URL, not the catalog" (keystoneauth
# annotates interfaces as strings; this marker is an object).
AUTH_URL: Any = ks_plugin.AUTH_INTERFACE

_Answer = TypeVar('_Answer')

# Renew a token that expires within this many seconds before a data
# request starts (each image's attempt, each reopened source download).
TOKEN_MARGIN = 600


@dataclasses.dataclass
class CloudClients:
    """Everything needed to talk to one cloud.

    ``glance`` is a glanceclient v2 client for metadata calls. ``image`` and
    ``identity`` are keystoneauth adapters on the same session, for the data
    streams (which need per-request control over retries and re-auth that
    glanceclient does not expose) and for Keystone reads. All three raise
    http.CloudError for what fails (see http.py).
    """

    name: str
    session: Any
    glance: Any
    image: http.Adapter
    identity: http.Adapter
    # The cloud's clouds.yaml settings for this tool (its
    # ``image_migrate:`` block and the like), as openstacksdk read them.
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The destination's ``location_cloud`` entry (planning/rbd_path.py),
    # whose credential adds image locations; None: the operator's does.
    location: 'CloudClients | None' = None
    _refresh_lock: threading.Lock = dataclasses.field(
        default_factory=threading.Lock, repr=False, compare=False)
    # Answers that hold for the whole command, by what they answer (see
    # once()).
    _answers: dict[str, Any] = dataclasses.field(
        default_factory=dict, repr=False, compare=False)

    def once(self, question: str, ask: Callable[[], _Answer]) -> _Answer:
        """``ask()``'s answer, asked of the cloud once per command.

        For what the plan and the run both need and what does not change
        in the seconds between them (the destination's unified limits):
        one request, not one per reader.
        """
        if question not in self._answers:
            self._answers[question] = ask()
        answer: _Answer = self._answers[question]
        return answer

    def access(self) -> ks_access.AccessInfo:
        """The credential's current token data (authenticates if needed)."""
        return self.session.auth.get_access(self.session)

    def refresh_token_if_expiring(self, within_seconds: float) -> bool:
        """Re-authenticate now if the token expires within the window.

        Called between images, so that no data request is ever the one to
        hit an expired token (keystoneauth would re-send its body). The
        window is at most half the token's lifetime: with tokens shorter
        than twice the window (Keystone may issue 60 s tokens) a fixed
        window would call every fresh token stale and re-authenticate
        before each image. Parallel copies renew the token once, not once
        each. Returns True when it re-authenticated.
        """
        with self._refresh_lock:
            access = self.access()
            window: float = within_seconds
            if access.expires and access.issued:
                lifetime = (access.expires - access.issued).total_seconds()
                if lifetime > 0:
                    window = min(window, lifetime / 2)
            # keystoneauth annotates int; it takes any seconds (timedelta).
            if not access.will_expire_soon(
                    stale_duration=window):  # type: ignore[arg-type]
                return False
            LOG.debug('Token for cloud %s expires within %d s; '
                      're-authenticating', self.name, window)
            self._renew()
            return True

    def reauthenticate(self) -> None:
        """Get a new token now (the old one was rejected)."""
        with self._refresh_lock:
            LOG.debug('Token for cloud %s was rejected; re-authenticating',
                      self.name)
            self._renew()

    def _renew(self) -> None:
        self.session.auth.invalidate()
        self.access()


class _DiscoveryWarning(logging.Filter):
    """keystoneauth's "Failed to discover available identity versions".

    It comes before the error it leads to (a wrong URL, a certificate that
    does not verify), which the command then reports on one line of its
    own: at the warning's level it is only a confusing first line. It is
    kept for ``--debug``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith(
                'Failed to discover available identity versions'):
            record.levelno, record.levelname = logging.DEBUG, 'DEBUG'
        return True


_DISCOVERY_LOGGER = 'keystoneauth.identity.generic.base'
_DEMOTE = _DiscoveryWarning()


def demote_discovery_warnings() -> None:
    """Log keystoneauth's identity discovery warnings at debug level.

    From now until restore_discovery_warnings(); calling it again changes
    nothing. The commands call it when OSC builds them: OSC logs in to the
    source cloud after that and before running them, and when that login
    fails (the source's cacert does not verify its Keystone) the command
    never runs and OSC's error is the one line.
    """
    logging.getLogger(_DISCOVERY_LOGGER).addFilter(_DEMOTE)


def restore_discovery_warnings() -> None:
    """Log keystoneauth's identity discovery warnings at their own level."""
    logging.getLogger(_DISCOVERY_LOGGER).removeFilter(_DEMOTE)


@contextlib.contextmanager
def discovery_warnings_at_debug() -> Iterator[None]:
    """Log keystoneauth's identity discovery warnings at debug level."""
    demote_discovery_warnings()
    try:
        yield
    finally:
        restore_discovery_warnings()


def ready_token(clients: CloudClients, renew: bool = False) -> None:
    """A token fit for the next data request of ``clients``.

    A new one when ``renew`` (the last one was rejected: a data request
    never re-authenticates by itself, that would replay its body), else
    the current one unless it expires within TOKEN_MARGIN.
    """
    if renew:
        clients.reauthenticate()
    else:
        clients.refresh_token_if_expiring(TOKEN_MARGIN)


def build_clients(name: str, session: Any, region_name: str | None = None,
                  interface: str | None = None,
                  endpoint_override: str | None = None) -> CloudClients:
    """Build the image and identity clients of one cloud from a session."""
    options: dict[str, Any] = {
        'region_name': region_name,
        'interface': interface or 'public',
    }
    image_options = dict(options, service_type='image')
    if endpoint_override:
        image_options['endpoint_override'] = endpoint_override
    transport.read_early_answers(session)
    glance = http.guard(glance_client.Client('2', session=session,
                                             **image_options))
    image = http.Adapter(session, **image_options)
    # Keystone through the auth URL, not the catalog of the cloud's
    # region: regions of one cloud share one Keystone, often registered in
    # the first region only (as devstack's multi-region set-up does), and
    # it is the Keystone the credential logged in to anyway.
    identity = http.Adapter(session, service_type='identity',
                            interface=AUTH_URL, region_name=region_name,
                            # keystoneauth annotates str; it takes tuples.
                            version=(3, 0))  # type: ignore[arg-type]
    return CloudClients(name=name, session=session, glance=glance,
                        image=image, identity=identity)


def source_clients(client_manager: Any) -> CloudClients:
    """Clients for the source cloud, built from OSC's ClientManager."""
    region_name = client_manager.region_name
    interface = client_manager.interface
    endpoint = client_manager.get_endpoint_for_service_type(
        'image', region_name=region_name, interface=interface)
    clients = build_clients(
        'source', client_manager.session,
        region_name=region_name, interface=interface,
        endpoint_override=endpoint)
    # OSC's own CloudRegion: the source's clouds.yaml entry.
    config = getattr(getattr(client_manager, '_cli_options', None),
                     'config', None)
    clients.settings = dict(config) if isinstance(config, Mapping) else {}
    return clients


def dest_clients(cloud_config: Any, name: str,
                 what: str | None = None) -> CloudClients:
    """Clients for the destination cloud ``name`` from clouds.yaml.

    When the entry's ``image_migrate:`` block names a ``location_cloud``,
    that entry's clients (its own credential, ``verify`` and ``cacert``)
    are its ``location``; an entry that is missing is a CommandError, as
    for the destination itself. ``what``: how errors name the entry.
    """
    try:
        cloud = cloud_config.get_one(cloud=name)
        session = cloud.get_session()
    except (config_exc.OpenStackConfigException,
            ks_exc.ClientException) as e:
        raise exceptions.CommandError(
            _('%(what)s: %(error)s')
            % {'what': what or _('Destination cloud %s') % name,
               'error': str(e).rstrip('.')})
    clients = build_clients(
        name, session,
        region_name=cloud.get_region_name('image'),
        interface=cloud.get_interface('image'),
        endpoint_override=cloud.get_endpoint('image'))
    config = getattr(cloud, 'config', None)
    clients.settings = dict(config) if isinstance(config, Mapping) else {}
    if what is None:
        location = rbd_path.location_cloud(clients.settings.get(
            rbd_path.SETTINGS_KEY))
        if location is not None:
            clients.location = dest_clients(
                cloud_config, location,
                _('Location cloud %(location)s (%(key)s of destination '
                  'cloud %(name)s)') % {'location': location,
                                        'key': rbd_path.LOCATION_CLOUD,
                                        'name': name})
    return clients
