# SPDX-License-Identifier: Apache-2.0
"""OpenStackClient plugin that migrates Glance images between clouds.

The layers, in the order the data flows (``tox -e pep8`` checks with
import-linter that each imports only those below it, and that
``planning`` and ``model`` import no HTTP library)::

    model        shared records and constants (pure)
    planning/    what to do with each image: data in, plan out (pure)
    cloud/       sessions, the one HTTP error seam, reading the clouds,
                 and the survey that reads both and asks planning/ (I/O)
    stream/      one image's bytes: read, hash, pace, upload (I/O)
    copying/     one image's copy as named steps: record, send,
                 verify/accept, apply (I/O)
    run/         many images: parallel, retries, progress (I/O)
    v1/          the ``image migrate`` commands: options in, rows out

A pure module (planning/, model) is a function of plain data and is tested
without a cloud; its I/O partner says so in its name and lives in the I/O
layer: planning/quotas.py decides from what cloud/limits.py reads,
planning/import_state.py reads a record that copying/glance_import.py
changes, planning/format_check.py judges the bytes that
cloud/inspection.py (``plan --inspect``) and stream/transfer.py read.
"""
