# SPDX-License-Identifier: Apache-2.0
"""``image migrate bundle verify``: a bundle checked with no cloud."""

from osc_lib.command import command

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import verify
from osc_image_migrate.i18n import _
from osc_image_migrate import model
from osc_image_migrate.planning import columns


class VerifyBundle(command.Lister):
    _description = _('Check every file of a bundle against its manifest, '
                     'chunk by chunk (reads no cloud)')

    # Reads a directory only: OSC logs in to no cloud for it.
    auth_required = False
    exit_status = 0

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'directory', metavar='<directory>',
            help=_('Bundle directory, as written by "image migrate '
                   '--to-bundle"'),
        )
        return parser

    def run(self, parsed_args):
        """Bad input is one line and exit 2; a mismatch exits 1."""
        try:
            result = super().run(parsed_args)
        except model.UsageError as e:
            self.log.error(str(e))
            return e.exit_status
        return result or self.exit_status

    def take_action(self, parsed_args):
        try:
            checks = verify.verify(parsed_args.directory)
        except (layout.BundleError, OSError) as e:
            raise model.UsageError(str(e))
        if any(c.result != verify.OK for c in checks):
            self.exit_status = 1
        return columns.VERIFY, [
            (c.image_id, c.name, c.size, c.result, c.detail)
            for c in checks]
