# SPDX-License-Identifier: Apache-2.0
"""argparse ``type=`` callables for the option values of the commands.

A value that does not parse is refused by argparse itself, as
python-openstackclient refuses a bad ``--size``: the usage, then one
``error: argument --parallel: ...`` line, exit status 2, before either cloud
is read. ``take_action`` then only ever sees values that make sense.
"""

import argparse

from osc_image_migrate.i18n import _
from osc_image_migrate.planning import sharding
from osc_image_migrate.stream import bandwidth


def count(minimum):
    """A whole number of at least ``minimum`` (``--parallel``, ...)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _('%r is not a whole number') % text)
        if value < minimum:
            raise argparse.ArgumentTypeError(
                _('must be at least %(minimum)d, not %(value)d')
                % {'minimum': minimum, 'value': value})
        return value

    parse.__name__ = 'count'
    return parse


def rate(text):
    """``--limit-rate``: bytes per second, K, M and G being 1024-based."""
    try:
        return bandwidth.parse_rate(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def shard(text):
    """``--shard <index>/<count>`` -> (index, count), index from 0."""
    try:
        return sharding.parse_shard(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def positive_seconds(value):
    """argparse type of ``--stall-timeout``: seconds above 0."""
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _('%s is not a number of seconds') % value)
    if not seconds > 0:
        raise argparse.ArgumentTypeError(
            _('must be more than 0 seconds, not %s') % value)
    return seconds
