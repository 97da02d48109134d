# SPDX-License-Identifier: Apache-2.0
"""One place that turns library errors into one-line CLI errors."""

import contextlib

from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc
from openstack.config import exceptions as config_exc
from osc_lib import exceptions

from osc_image_migrate.i18n import _


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


def describe(error):
    """A short, token-free description of a library error."""
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


def is_transient(error):
    """True for errors worth a retry: lost connections and HTTP 5xx."""
    if isinstance(error, (ks_exc.ConnectionError, ks_exc.HttpServerError,
                          glance_exc.CommunicationError)):
        return True
    status = (getattr(error, 'code', None)
              or getattr(error, 'http_status', None))
    return isinstance(status, int) and (status >= 500 or status == 401)


def _first_line(value):
    text = str(value).strip()
    return text.splitlines()[0].strip() if text else ''


@contextlib.contextmanager
def translated(what):
    """Re-raise keystoneauth, glanceclient and config errors as one line.

    ``what`` names the cloud or step, e.g. "source cloud".
    """
    try:
        yield
    except exceptions.CommandError:
        raise
    except (ks_exc.ClientException, glance_exc.BaseException,
            config_exc.OpenStackConfigException) as e:
        raise exceptions.CommandError('%s: %s' % (what, describe(e)))
