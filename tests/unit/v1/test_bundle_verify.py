# SPDX-License-Identifier: Apache-2.0
"""image migrate bundle verify: a row per image, the exit status."""

from unittest import mock

from osc_image_migrate.bundle import layout
from osc_image_migrate.bundle import writer as bundle_writer
from osc_image_migrate.planning import columns
from osc_image_migrate.planning import planner
from osc_image_migrate.v1 import bundle_verify
from tests.unit.fakes.bundle import record


def run(directory):
    cmd = bundle_verify.VerifyBundle(mock.Mock(), None)
    args = cmd.get_parser('image migrate bundle verify').parse_args(
        [directory])
    with mock.patch.object(cmd, 'produce_output') as output:
        status = cmd.run(args)
    listed = output.call_args[0][1:] if output.called else None
    return status, listed


def test_rows_and_exit_status(tmp_path):
    out = bundle_writer.BundleWriter(str(tmp_path), {}, {})
    out.create()
    out.reserve(planner.PlanItem('img-1', source_image=record(b'')))
    out.write_manifest()
    assert bundle_verify.VerifyBundle.auth_required is False
    status, (heads, rows) = run(str(tmp_path))
    assert (status, heads, list(rows)) == (0, columns.VERIFY, [
        ('img-1', 'web', None, 'ok', '')])
    (tmp_path / layout.metadata_name('img-1')).write_text('{}')
    status, (heads, rows) = run(str(tmp_path))
    assert status == 1 and list(rows)[0][3] == 'failed'


def test_a_directory_that_is_no_bundle_is_one_line(tmp_path, caplog):
    assert run(str(tmp_path)) == (2, None)
    assert caplog.messages == ['%s: no manifest (manifest.json): not a '
                               'bundle, or an export that never finished '
                               'a run' % tmp_path]
