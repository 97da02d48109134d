# SPDX-License-Identifier: Apache-2.0
"""The one seam between the clouds' HTTP answers and the rest of the code.

Every request to Glance or Keystone goes through a client built in
sessions.py: a keystoneauth adapter of :class:`Adapter`, or glanceclient
with its requests guarded by :func:`guard`. Either way a failure becomes
one :class:`CloudError` that says what failed, the HTTP status (None when
no answer came) and whether a retry may help, so that the copy steps and
the executor read those instead of guessing from library exceptions.
Answers asked for with ``raise_exc=False`` (the data requests, which must
never be replayed) are judged by :func:`check` the same way.
"""

import contextlib
import functools
from typing import Any
from typing import Iterator
from typing import TYPE_CHECKING

from glanceclient import exc as glance_exc
from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc
from openstack.config import exceptions as config_exc
from osc_lib import exceptions
import requests

from osc_image_migrate.cloud import answers
from osc_image_migrate.i18n import _
from osc_image_migrate.planning import quotas

if TYPE_CHECKING:
    from osc_image_migrate.cloud import sessions

# Seconds to open a connection, for requests that carry no image data.
CONNECT_TIMEOUT = 30
# Seconds without a byte moving, in either direction, after which a data
# request is given up (``image migrate --stall-timeout``). 30 s: half the
# 60 s idle timeout common in front of Glance (Apache's Timeout, nginx's
# client_body_timeout and proxy_read_timeout, cloud load balancers), so a
# stalled source is found and reopened while a destination behind such a
# server still holds the idle upload; and well above what a healthy Glance
# is silent for (seconds: the first byte from a Ceph or Swift store, the
# commit after the last one).
STALL_TIMEOUT = 30


def no_replay(stall_timeout: float | None = None) -> dict[str, Any]:
    """Per-request switches that stop keystoneauth replaying a request.

    With ``stall_timeout`` (a data request) it is the connect and the read
    timeout both: urllib3 sends a request body under the connect timeout
    and reads the answer under the read timeout, so a peer silent in
    either direction for that long ends the request. Without it: a
    CONNECT_TIMEOUT to connect and STALL_TIMEOUT to read.
    """
    timeout = ((stall_timeout, stall_timeout) if stall_timeout is not None
               else (CONNECT_TIMEOUT, STALL_TIMEOUT))
    return {
        'allow_reauth': False,
        'connect_retries': 0,
        'status_code_retries': 0,
        'redirect': False,
        'raise_exc': False,
        'timeout': timeout,
    }


NO_REPLAY = no_replay()

# glanceclient's errors: its HTTP errors (HTTPException) derive from its
# ClientException, not from its BaseException.
GLANCE_ERRORS = (glance_exc.BaseException, glance_exc.ClientException)

# Content type of Glance's JSON-patch image updates.
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'

# What an HTTP status means to an operator, and whether a retry may help.
_EXPLANATIONS = {
    400: ('request refused', False),
    401: ('token rejected', True),
    403: ('permission denied', False),
    404: ('image not found', False),
    409: ('image is not in a state that accepts data', False),
    410: ('image is gone', False),
    413: ('too large for the destination (image_size_cap or storage '
          'quota)', False),
    415: ('data does not match its disk_format', False),
}


class CloudError(Exception):
    """A cloud did not do what a copy needed.

    ``status`` is the HTTP status (None: no answer, or no request);
    ``retriable`` says whether trying the image again may help (a lost
    connection, a server error, a rejected token), not a refusal.
    ``cause`` names the library error behind a lost connection;
    ``details`` is the text of the answer, if any.
    """

    def __init__(self, message: str, retriable: bool = False,
                 status: int | None = None, cause: str | None = None,
                 details: str | None = None) -> None:
        super().__init__(message)
        self.retriable = retriable
        self.status = status
        self.cause = cause
        self.details = details


def retriable_status(status: int) -> bool:
    """A server error or a rejected token (a new token may be accepted)."""
    return status >= 500 or status == 401


def from_library(error: BaseException) -> CloudError:
    """The CloudError for a keystoneauth or glanceclient exception."""
    if answers.tls_cause(error):
        return CloudError(describe(error), cause=type(error).__name__)
    if isinstance(error, (ks_exc.ConnectionError,
                          glance_exc.CommunicationError,
                          glance_exc.InvalidEndpoint)):
        return CloudError(describe(error), retriable=True,
                          cause=type(error).__name__)
    status = details = None
    if isinstance(error, ks_exc.HttpError):
        status = error.http_status
        details = _answer_text(error)
    elif isinstance(error, glance_exc.HTTPException):
        status, details = error.code, error.details
    return CloudError(describe(error), status=status, details=details,
                      retriable=status is not None and retriable_status(
                          status))


class Adapter(adapter.Adapter):
    """A keystoneauth adapter whose failures are CloudErrors."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        with cloud_errors():
            return super().request(*args, **kwargs)


def guard(glance: Any) -> Any:
    """Make every request of a glanceclient client raise CloudErrors.

    glanceclient sends all its calls through its ``http_client.request``,
    which raises its own exceptions: wrapping that one method covers them.
    """
    request = glance.http_client.request

    @functools.wraps(request)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        with cloud_errors():
            return request(*args, **kwargs)

    glance.http_client.request = guarded
    return glance


@contextlib.contextmanager
def cloud_errors() -> Iterator[None]:
    """Raise keystoneauth and glanceclient errors as CloudErrors.

    For calls that are not requests of an adapter or a guarded client,
    such as a token renewal through the session's auth plugin.
    """
    try:
        yield
    except GLANCE_ERRORS + (ks_exc.ClientException,) as e:
        raise from_library(e) from e


def status_error(what: str, status: int,
                 body: str | None = None) -> CloudError:
    """A CloudError that explains an HTTP status to an operator.

    ``body``: the answer's text. Its reason (Glance's own words) follows
    the explanation; for a 413 it names the Keystone unified limit.
    """
    text, retriable = _EXPLANATIONS.get(
        status, ('server error' if status >= 500 else 'unexpected answer',
                 status >= 500 or status == 204))
    if status == 204:
        text = 'no data (204): the source has lost this image\'s data'
        retriable = False
    over = quotas.over_limit(body) if status == 413 else None
    reason = None if over else answers.body_reason(body)
    if over:
        text = over
    elif reason:
        text = '%s: %s' % (text, reason)
    return CloudError('%s: HTTP %s, %s' % (what, status, text),
                      retriable=retriable, status=status, details=reason)


def check(response: requests.Response, what: str,
          ok: tuple[int, ...] = (200, 201, 204)) -> requests.Response:
    """Raise the CloudError of an answer not in ``ok``; else return it."""
    if response.status_code not in ok:
        raise status_error(what, response.status_code, response.text)
    return response


def patch_image(clients: 'sessions.CloudClients', image_id: str,
                patch: list[dict[str, Any]],
                what: str = 'destination record update'
                ) -> requests.Response:
    """Apply a JSON patch to an image record (Glance's image update)."""
    return check(clients.image.patch(
        '/v2/images/%s' % image_id, json=patch,
        headers={'Content-Type': PATCH_TYPE}, raise_exc=False), what,
        ok=(200,))


def describe(error: BaseException) -> str:
    """A short, token-free description of an error."""
    if isinstance(error, CloudError):
        return str(error)
    cause = answers.tls_cause(error)
    if cause:
        return _('TLS certificate does not verify: %s '
                 '(CERTIFICATE_VERIFY_FAILED; check this cloud\'s cacert, '
                 'or verify, in clouds.yaml)') % cause
    if isinstance(error, ks_exc.Unauthorized):
        return _('authentication failed (check the credentials in '
                 'clouds.yaml)')
    if isinstance(error, ks_exc.Forbidden):
        return _('permission denied (HTTP 403)')
    if isinstance(error, ks_exc.ConnectFailure):
        return _('cannot connect: %s') % _first_line(error)
    if isinstance(error, ks_exc.HttpError):
        return 'HTTP %s %s' % (error.http_status, answers.body_reason(
            _answer_text(error)) or _first_line(error.message or ''))
    if isinstance(error, glance_exc.HTTPException):
        return 'HTTP %s %s' % (error.code, answers.body_reason(error.details)
                               or _first_line(error.details or ''))
    return _first_line(error) or type(error).__name__


def _answer_text(error: ks_exc.HttpError) -> str | None:
    """The body of the answer behind a keystoneauth HttpError, if any."""
    response = error.response  # None when raised without an answer
    return response.text if response is not None else None


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0].strip() if text else ''


@contextlib.contextmanager
def translated(what: str) -> Iterator[None]:
    """Re-raise cloud, library and config errors as one CLI line.

    ``what`` names the cloud or step, e.g. "source cloud". Library errors
    still come from outside requests (authentication, the auth plugin).
    """
    try:
        yield
    except exceptions.CommandError:
        raise
    except (CloudError, ks_exc.ClientException,
            config_exc.OpenStackConfigException) + GLANCE_ERRORS as e:
        raise exceptions.CommandError('%s: %s' % (what, describe(e)))
