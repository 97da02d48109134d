# SPDX-License-Identifier: Apache-2.0
"""Options shared by ``plan`` and ``migrate``: what to migrate, and where.

One definition for both commands, so that they cannot drift apart; the
selection they describe is checked and combined with the filter file here.
"""

from osc_lib.cli import parseractions

from osc_image_migrate.copying import upload_method
from osc_image_migrate.i18n import _
from osc_image_migrate import model
from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import filter_file
from osc_image_migrate.planning import reuse
from osc_image_migrate.planning import selection as selection_mod


def add_selection_options(parser):
    """Options shared by ``plan`` and ``migrate``: where to, and what."""
    parser.add_argument(
        'images', metavar='<image>', nargs='*', default=[],
        help=_('Image to migrate (name or ID); same as --image'),
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        '--dest-cloud', metavar='<cloud>',
        help=_('Destination cloud, by its name in clouds.yaml (required '
               'unless --to-bundle)'),
    )
    target.add_argument(
        '--to-bundle', metavar='<directory>',
        help=_('Write the images into this bundle directory instead of a '
               'cloud (made if missing): their '
               'records, their data and a manifest of sizes, hashes and '
               'per-chunk sha256, checked with "image migrate bundle '
               'verify"; a re-run resumes and refreshes it'),
    )
    parser.add_argument(
        '--from-bundle', metavar='<directory>',
        help=_('Read the images from this bundle directory instead of the '
               'source cloud, which is not logged in to (with '
               '--dest-cloud); each data file is verified against the '
               'manifest, chunk by chunk, on its way to the destination'),
    )
    parser.add_argument(
        '--image', metavar='<image>', dest='more_images', action='append',
        default=[],
        help=_('Migrate only this image (name or ID) and the kernel and '
               'ramdisk images it refers to (repeat option to migrate '
               'several)'),
    )
    parser.add_argument(
        '--exclude-image', metavar='<image>', action='append', default=[],
        help=_('Leave out this image (name or ID) (repeat option to '
               'leave out several)'),
    )
    parser.add_argument(
        '--project', metavar='<project>', action='append', default=[],
        help=_('Migrate the images owned by this source project (name or '
               'ID) (repeat option to select several)'),
    )
    parser.add_argument(
        '--updated-since', metavar='<date>',
        help=_('Only images updated at or after this date '
               '(ISO 8601, e.g. 2024-01-31; UTC when no zone is given)'),
    )
    public_group = parser.add_mutually_exclusive_group()
    public_group.add_argument(
        '--public-and-shared', dest='public_and_shared',
        action='store_true', default=None,
        help=_('Also migrate every public and community image and every '
               'image shared with a selected project (default)'),
    )
    public_group.add_argument(
        '--no-public-and-shared', dest='public_and_shared',
        action='store_false',
        help=_('Migrate only what the selection names: no public, '
               'community or shared images of other projects'),
    )
    parser.add_argument(
        '--filter-file', metavar='<filter-file>',
        help=_('YAML filter file (CloudFerry format, plus project_map); '
               'combined with the options given here'),
    )
    parser.add_argument(
        '--map-project', metavar='<source-project>=<dest-project>',
        action=parseractions.KeyValueAction, default={},
        help=_('Give the images of this source project (name or ID) to '
               'this destination project (name or ID) instead of the one '
               'of the same name (repeat option to map several)'),
    )
    parser.add_argument(
        '--orphans-to', metavar='<dest-project>',
        help=_('Give every image whose owner project was deleted from the '
               'source Keystone to this destination project (name or ID) '
               '(default: such images are blocked)'),
    )
    parser.add_argument(
        '--dest-store', metavar='<store>',
        help=_('Upload the copies to this store of the destination (one of '
               'those it lists in /v2/info/stores) (default: the '
               "destination's default store)"),
    )
    parser.add_argument(
        '--map-store', metavar='<source-store>=<dest-store>',
        action=parseractions.KeyValueAction, default={},
        help=_('Upload the images held in this source store (as their '
               'stores field says; admins see it) to this destination '
               'store, before --dest-store (repeat option to map several)'),
    )
    parser.add_argument(
        '--map-secret', metavar='<source-secret>=<dest-secret>',
        action=parseractions.KeyValueAction, default={},
        help=_('Use this destination secret (ID) for a source image\'s '
               'signature certificate or encryption key (repeat option to '
               'map several; filter file key secret_map)'),
    )
    parser.add_argument(
        '--drop-signatures', action='store_true', default=False,
        help=_('Copy signed images without their img_signature* '
               'properties (default: block those whose certificate the '
               'destination lacks; filter file key drop_signatures)'),
    )
    parser.add_argument(
        '--keep-ids', action='store_true', default=False,
        help=_('Never give an image a new ID: one whose ID is taken in the '
               'destination is blocked by the plan or fails (default: a '
               'new ID, recorded on the copy)'),
    )
    parser.add_argument(
        '--reuse-identical', action='store_true', default=False,
        help=_('Do not copy an active source image whose data an active '
               'destination image (not a copy made by this tool) already '
               'holds, with the same size, os_hash_algo and '
               'os_hash_value, disk and container format: map it to that '
               'image (action "reuse", its ID in Dest ID) and write '
               'nothing for it; public and community images only, unless '
               '--reuse-scope widens it (default: copy every image; '
               'filter file key reuse_identical)'),
    )
    parser.add_argument(
        '--reuse-scope', metavar='<scope>', choices=reuse.SCOPES,
        help=_('With --reuse-identical, which images: "public" (public '
               'and community source images, matched with public and '
               'community destination images) or "visible" (every source '
               'image, matched with every destination image the '
               'destination credential can see) (default: public; filter '
               'file key reuse_scope)'),
    )
    parser.add_argument(
        '--upload-method', metavar='<method>', choices=upload_method.CHOICES,
        default=upload_method.AUTO,
        help=_('How the data is sent: "put" (direct upload), '
               '"glance-direct" (stage, then import) or "auto": put, then '
               'glance-direct for the rest of the run once the destination '
               'forbids put (default: auto)'),
    )
    parser.add_argument(
        '--data-path', metavar='<path>', choices=data_paths.CHOICES,
        default=data_paths.AUTO,
        help=_('How the data travels, shown in the plan\'s Path column: '
               '"stream" (from the source download into the destination '
               'upload, through this host), "rbd" (the allocated extents '
               'of the source\'s RBD snapshot into the destination\'s Ceph '
               'pool, verified by the destination Glance before it is '
               'active; needs each cloud\'s Ceph settings in clouds.yaml '
               'and the service role in the destination), '
               '"glance-download" (the destination Glance pulls it from the '
               'source region: two regions of one Keystone whose '
               'destination enables that import method; checked right '
               'after) or "auto": the best path the two clouds allow for '
               'each image, else stream, also when the destination refuses '
               'glance-download, into the same record (default: auto)'),
    )
    return parser


def selection_from_args(parsed_args):
    """The selection the options and the filter file describe together."""
    try:
        updated_since = (selection_mod.parse_date(parsed_args.updated_since)
                         if parsed_args.updated_since is not None else None)
        from_cli = selection_mod.Selection(
            images=list(parsed_args.images) + parsed_args.more_images,
            exclude_images=parsed_args.exclude_image,
            projects=parsed_args.project,
            updated_since=updated_since,
            include_public_and_shared=(
                parsed_args.public_and_shared is not False),
            project_map=dict(parsed_args.map_project),
            orphans_to=parsed_args.orphans_to,
            store_map=dict(parsed_args.map_store),
            dest_store=parsed_args.dest_store,
            secret_map=dict(parsed_args.map_secret),
            drop_signatures=parsed_args.drop_signatures,
            data_path=getattr(parsed_args, 'data_path', data_paths.AUTO),
            reuse_identical=parsed_args.reuse_identical,
            reuse_scope=parsed_args.reuse_scope,
        )
        if not parsed_args.filter_file:
            return _checked_reuse(from_cli, parsed_args.keep_ids)
        from_file = filter_file.load_filter_file(parsed_args.filter_file)
        if parsed_args.public_and_shared is None:
            from_cli.include_public_and_shared = (
                from_file.include_public_and_shared)
        else:
            # An explicit option wins over the file's switch.
            from_file.include_public_and_shared = (
                parsed_args.public_and_shared)
        return _checked_reuse(filter_file.merge(from_cli, from_file),
                              parsed_args.keep_ids)
    except selection_mod.SelectionError as e:
        raise model.UsageError(str(e))


def _checked_reuse(selection, keep_ids):
    """The selection, if its reuse options make sense together."""
    if selection.reuse_scope and not selection.reuse_identical:
        raise selection_mod.SelectionError(
            '--reuse-scope (filter file key reuse_scope) needs '
            '--reuse-identical (filter file key reuse_identical)')
    if selection.reuse_identical and keep_ids:
        raise selection_mod.SelectionError(
            '--reuse-identical maps images to destination images of other '
            'IDs: not with --keep-ids')
    return selection
