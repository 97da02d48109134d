# SPDX-License-Identifier: Apache-2.0
"""OpenStackClient plugin hooks for the ``image migrate`` commands."""

import argparse
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from osc_lib import clientmanager

    from osc_image_migrate.cloud import sessions

LOG = logging.getLogger(__name__)

# Never 'image': that name would replace OSC's own image client.
API_NAME = 'image_migrate'
API_VERSION_OPTION = 'os_image_migrate_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = ('1',)


def check_api_version(check_version: str) -> bool:
    """Warn about an API version this plugin does not have, as OSC does.

    OSC calls this hook before its own check and skips that check when it
    answers True: OSC releases before 8.0.0 word their warning with
    ``API_VERSIONS.keys()``, which a tuple does not have, and crash.
    """
    if check_version not in API_VERSIONS:
        LOG.warning('%s API version %s is not in supported versions: %s',
                    API_NAME, check_version, ', '.join(API_VERSIONS))
    return True


def make_client(
        instance: 'clientmanager.ClientManager'
) -> 'sessions.CloudClients':
    """Build the source cloud's image clients from OSC's own session.

    The source cloud is the one ``openstack`` is authenticated against, so
    its session, region, interface and TLS settings are OSC's.
    """
    from osc_image_migrate.cloud import sessions

    return sessions.source_clients(instance)


def build_option_parser(
        parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The plugin adds no global options."""
    return parser
