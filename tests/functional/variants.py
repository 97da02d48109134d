"""Extra sandboxes whose clouds differ from the shared one.

Each runs in its own state folder and ports, reuses the shared sandbox's
venv (so it starts in about 10 s) and is wiped at the end of the session.
``variant_sandbox`` hands out one whose clouds are what a test asks for::

    def test_two_stores(variant_sandbox):
        box = variant_sandbox(dst=GlanceVariant(stores=('fast', 'slow')))

Asking for another variant reconfigures that sandbox: only the Glance
whose variant changed restarts (about 3 s).
"""

import contextlib
import os

import pytest

from tests.functional import conftest
from tests import sandbox_tool

PORT_BASE = int(os.environ.get('OSC_IMAGE_MIGRATE_FAULTS_PORT_BASE', 28000))
# The fault tests' sandboxes use PORT_BASE and PORT_BASE + 100.
VARIANTS_PORT_BASE = PORT_BASE + 200
cloudsandbox = sandbox_tool.load()
GlanceVariant = cloudsandbox.GlanceVariant


def handle(info):
    """A conftest.Sandbox for a sandbox that ``up()`` described."""
    box = conftest.Sandbox(info['clouds_yaml'], info)
    box.state_dir = info['state_dir']
    box.tool = cloudsandbox
    return box


def start(state_dir, port_base, **options):
    """``up()`` with the shared sandbox's venv; a failure fails the test."""
    venv = cloudsandbox.info(state_dir=str(conftest.state_dir()))['venv']
    try:
        return handle(cloudsandbox.up(state_dir=state_dir,
                                      port_base=port_base, venv=venv,
                                      quiet=True, **options))
    except cloudsandbox.SandboxError as e:
        pytest.fail('sandbox %s did not come up: %s' % (state_dir, e))


@contextlib.contextmanager
def own_state_dir(name, port_base):
    """A state folder for an extra sandbox, wiped at the end."""
    state_dir = '/tmp/osc-sandbox-%s-%d' % (name, port_base)
    try:
        yield state_dir
    finally:
        cloudsandbox.down(state_dir=state_dir, wipe=True, quiet=True)


@contextlib.contextmanager
def extra_sandbox(name, port_base, **options):
    """A sandbox of its own with ``options`` (see cloudsandbox.up)."""
    with own_state_dir(name, port_base) as state_dir:
        yield start(state_dir, port_base, **options)


@pytest.fixture(scope='session')
def variant_sandbox(sandbox):
    """``variant_sandbox(src=..., dst=..., **settings)`` -> sandbox handle.

    Clouds not named get the stock Glance; ``settings`` are those of
    cloudsandbox.up (``token_expiration``, ``dst_image_size_cap``...), and
    those not given are the defaults: what an earlier test asked for does
    not linger.
    """
    with own_state_dir('variants', VARIANTS_PORT_BASE) as state_dir:
        def variant(src=None, dst=None, **settings):
            settings = dict(cloudsandbox.state.KEYSTONE_DEFAULTS, **settings)
            return start(state_dir, VARIANTS_PORT_BASE,
                         src=src or GlanceVariant(),
                         dst=dst or GlanceVariant(), **settings)

        yield variant
