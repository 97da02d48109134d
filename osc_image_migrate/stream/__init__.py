"""One image's bytes, from the source download into the destination upload.

Streamed, hashed on the way, paced by the run's bandwidth limit, and never
completed unless size and hash match.
"""
