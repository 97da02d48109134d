"""Sphinx configuration for the osc-image-migrate documentation.

Built with ``tox -e docs`` (warnings are errors). The command reference
(cli/index.rst) is generated from the installed plugin's real parsers by
cliff's ``autoprogram-cliff`` directive, and the release notes
(releasenotes.rst) are rendered from ``releasenotes/notes/`` by reno's
``release-notes`` directive, which reads the git history: a note appears
once it is committed.
"""

project = 'osc-image-migrate'
copyright = 'osc-image-migrate developers'
author = 'osc-image-migrate developers'

extensions = [
    'cliff.sphinxext',
    'reno.sphinxext',
]

# "openstack image migrate ..." in the generated usage lines.
autoprogram_cliff_application = 'openstack'

root_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['_build']
language = 'en'
pygments_style = 'sphinx'

# No network: the built-in theme, no intersphinx.
html_theme = 'alabaster'
html_theme_options = {
    'description': 'Migrate Glance images between OpenStack clouds',
    'fixed_sidebar': True,
}
html_title = 'osc-image-migrate'
html_static_path = []
html_show_sourcelink = False
