# SPDX-License-Identifier: Apache-2.0
"""OpenStackClient plugin that migrates Glance images between clouds.

The layers, in the order the data flows (``tox -e pep8`` checks with
import-linter that each imports only those below it in the import order
``v1 > run > copying > bundle > stream > cloud > planning > model >
cancel``, and
that ``planning`` and ``model`` import no HTTP library)::

    cancel       the run's cancellation signal: ``Interrupted`` and the
                 one way to wait that a stopping run ends at once
    model        shared records and constants, the rule for which hash
                 stands for the data (pure)
    cloud/       reading the clouds (I/O): sessions, http (the one error
                 seam), answers, inventory, limits, dependencies; survey
                 reads both clouds and asks planning/, plan_file re-plans
                 a saved plan, inspection reads first MiBs
    planning/    what to do with each image, data in, plan out (pure):
                 selection, filter_file, owners, comparison, matching,
                 drift, metadata, conversion, import_state, secrets,
                 quotas, stores, sharding, format_check, order,
                 data_paths, planner
    copying/     one image's copy as named steps (I/O): image_copy runs
                 record -> send (upload_method, glance_import) -> verify
                 -> apply; what the steps share is its journal;
                 bundle_copy runs the same into a bundle
    bundle/      a bundle directory as a destination or a source (I/O):
                 reader (the bundle as the destination's inventory), plan
                 (the export's plan and free space), export (one image's
                 data, chunk-hashed and resumable), documents and writer
                 (metadata documents, manifest), source (the bundle as
                 the source's inventory), data_reader (a data file fed to
                 the stream, chunk by chunk checked), verify (a bundle
                 checked with no cloud)
    stream/      one image's bytes (I/O): transfer opens source.py's
                 download, which download.py reads on across breaks and
                 silences through body_readers.py (the socket itself where
                 it can), into verified.py's checking body, and uploads
                 it under the run's options; hashing, bandwidth,
                 connection
    run/         many images (I/O): executor (parallel, retries, Ctrl-C),
                 progress
    v1/          the ``image migrate`` commands: options in, rows out

A pure module is a function of plain data and is tested without a cloud;
its I/O partner lives in an I/O layer under a name that says what it
reads or does: planning/quotas.py decides from what cloud/limits.py reads,
planning/secrets.py from what cloud/dependencies.py reads,
planning/import_state.py reads a record that copying/glance_import.py
changes, planning/format_check.py judges the bytes that
cloud/inspection.py (``plan --inspect``) and stream/verified.py read.
"""
