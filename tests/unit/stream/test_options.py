# SPDX-License-Identifier: Apache-2.0
"""The settings every stream of a run shares, and its requests' switches."""

import dataclasses

import pytest

from osc_image_migrate.cloud import http
from osc_image_migrate.stream import options


def test_defaults_check_the_format_and_resume_a_broken_source():
    defaults = options.StreamOptions()
    assert defaults.check_format is True
    assert (defaults.limiter, defaults.method) == (None, None)
    assert defaults.stall_timeout == http.STALL_TIMEOUT
    assert defaults.resume_backoff == options.RESUME_BACKOFF


def test_the_reopenings_fit_in_an_idle_upload_of_glance():
    # uWSGI gives up an idle upload after 4 s by default.
    assert sum(options.RESUME_BACKOFF) < 4


def test_data_requests_replay_nothing_and_time_out_on_a_stall():
    switches = options.StreamOptions(stall_timeout=2.5).request_switches()
    assert switches == http.no_replay(2.5)
    assert switches['timeout'] == (2.5, 2.5)
    assert switches['allow_reauth'] is False


def test_the_options_are_shared_so_they_cannot_change():
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.StreamOptions().check_format = False
