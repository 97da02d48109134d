"""Translation markers for user-facing strings."""

import oslo_i18n

_translators = oslo_i18n.TranslatorFactory(domain='osc_image_migrate')

_ = _translators.primary
