# SPDX-License-Identifier: Apache-2.0
"""Secret IDs of the source, and the destination's they are mapped to."""

CERT, NEW_CERT = 'c' * 8 + '-cert', 'n' * 8 + '-cert'
KEY, NEW_KEY = 'k' * 8 + '-key', 'm' * 8 + '-key'
