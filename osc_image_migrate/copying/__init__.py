"""One image's copy: create or find the record, send, verify, apply."""
