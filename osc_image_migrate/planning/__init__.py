"""What migrating each image will do, decided from plain data (pure).

Nothing here reads a cloud or imports an HTTP library: ``plan``,
``migrate --dry-run`` and a re-checked plan file all come from the same
functions of what cloud/ read.
"""
