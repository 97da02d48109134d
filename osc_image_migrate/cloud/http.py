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

from glanceclient import exc as glance_exc
from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc
from openstack.config import exceptions as config_exc
from osc_lib import exceptions

from osc_image_migrate.i18n import _
from osc_image_migrate.planning import quotas

# Seconds: a finite read timeout, so a stalled peer cannot hang a copy.
CONNECT_TIMEOUT = 30
READ_TIMEOUT = 300

# Per-request switches that stop keystoneauth from replaying a data request.
NO_REPLAY = {
    'allow_reauth': False,
    'connect_retries': 0,
    'status_code_retries': 0,
    'redirect': False,
    'raise_exc': False,
    'timeout': (CONNECT_TIMEOUT, READ_TIMEOUT),
}

# Content type of Glance's JSON-patch image updates.
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'

# What an HTTP status means to an operator, and whether a retry may help.
_EXPLANATIONS = {
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

    def __init__(self, message, retriable=False, status=None, cause=None,
                 details=None):
        super().__init__(message)
        self.retriable = retriable
        self.status = status
        self.cause = cause
        self.details = details


def retriable_status(status):
    """A server error or a rejected token (a new token may be accepted)."""
    return status >= 500 or status == 401


def from_library(error):
    """The CloudError for a keystoneauth or glanceclient exception."""
    if isinstance(error, (ks_exc.ConnectionError,
                          glance_exc.CommunicationError,
                          glance_exc.InvalidEndpoint)):
        return CloudError(describe(error), retriable=True,
                          cause=type(error).__name__)
    status = details = None
    if isinstance(error, ks_exc.HttpError):
        status = error.http_status
        details = getattr(error.response, 'text', None)
    elif isinstance(error, glance_exc.HTTPException):
        status, details = error.code, error.details
    return CloudError(describe(error), status=status, details=details,
                      retriable=status is not None and retriable_status(
                          status))


class Adapter(adapter.Adapter):
    """A keystoneauth adapter whose failures are CloudErrors."""

    def request(self, *args, **kwargs):
        try:
            return super().request(*args, **kwargs)
        except ks_exc.ClientException as e:
            raise from_library(e) from e


def guard(glance):
    """Make every request of a glanceclient client raise CloudErrors.

    glanceclient sends all its calls through its ``http_client.request``,
    which raises its own exceptions: wrapping that one method covers them.
    """
    request = glance.http_client.request

    @functools.wraps(request)
    def guarded(*args, **kwargs):
        try:
            return request(*args, **kwargs)
        # glanceclient's HTTP errors derive from its ClientException, not
        # from its BaseException (which covers only its other errors).
        except (glance_exc.ClientException, glance_exc.BaseException,
                ks_exc.ClientException) as e:
            raise from_library(e) from e

    glance.http_client.request = guarded
    return glance


def status_error(what, status, body=None):
    """A CloudError that explains an HTTP status to an operator.

    ``body``: the answer's text, which names the quota of a 413 for a
    Keystone unified limit.
    """
    text, retriable = _EXPLANATIONS.get(
        status, ('server error' if status >= 500 else 'unexpected answer',
                 status >= 500 or status == 204))
    if status == 204:
        text = 'no data (204): the source has lost this image\'s data'
        retriable = False
    if status == 413:
        text = quotas.over_limit(body) or text
    return CloudError('%s: HTTP %s, %s' % (what, status, text),
                      retriable=retriable, status=status)


def check(response, what, ok=(200, 201, 204)):
    """Raise the CloudError of an answer not in ``ok``; else return it."""
    if response.status_code not in ok:
        raise status_error(what, response.status_code, response.text)
    return response


def patch_image(clients, image_id, patch, what='destination record update'):
    """Apply a JSON patch to an image record (Glance's image update)."""
    return check(clients.image.patch(
        '/v2/images/%s' % image_id, json=patch,
        headers={'Content-Type': PATCH_TYPE}, raise_exc=False), what,
        ok=(200,))


def describe(error):
    """A short, token-free description of an error."""
    if isinstance(error, CloudError):
        return str(error)
    if isinstance(error, ks_exc.Unauthorized):
        return _('authentication failed (check the credentials in '
                 'clouds.yaml)')
    if isinstance(error, ks_exc.Forbidden):
        return _('permission denied (HTTP 403)')
    if isinstance(error, ks_exc.ConnectFailure):
        return _('cannot connect: %s') % _first_line(error)
    if isinstance(error, ks_exc.HttpError):
        return 'HTTP %s %s' % (error.http_status,
                               _first_line(error.message or ''))
    if isinstance(error, glance_exc.HTTPException):
        return 'HTTP %s %s' % (error.code, _first_line(error.details or ''))
    return _first_line(error) or type(error).__name__


def _first_line(value):
    text = str(value).strip()
    return text.splitlines()[0].strip() if text else ''


@contextlib.contextmanager
def translated(what):
    """Re-raise cloud, library and config errors as one CLI line.

    ``what`` names the cloud or step, e.g. "source cloud". Library errors
    still come from outside requests (authentication, the auth plugin).
    """
    try:
        yield
    except exceptions.CommandError:
        raise
    except (CloudError, ks_exc.ClientException, glance_exc.BaseException,
            config_exc.OpenStackConfigException) as e:
        raise exceptions.CommandError('%s: %s' % (what, describe(e)))
