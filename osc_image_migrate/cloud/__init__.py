"""Talking to the clouds: sessions, the HTTP error seam, reading.

``survey`` reads both clouds and hands what it read to planning/;
``plan_file`` re-plans a saved plan the same way.
"""
