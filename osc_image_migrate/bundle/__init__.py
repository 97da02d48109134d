# SPDX-License-Identifier: Apache-2.0
"""Bundles: a directory that stands for a cloud (doc/source/user/bundles.rst).

A layer of its own between the copy's steps (copying/) and the byte stream
(stream/): it reads a bundle as the planner's destination inventory, writes
each image's data and record into it, and verifies it with no cloud; for
an import, it reads a bundle as the source inventory and streams each data
file, chunk by chunk checked, into the verified upload (source.py).
"""
