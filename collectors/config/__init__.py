"""Configuration drift, collector side: fetch, completeness check, redaction, normalisation.

- ``rules.py``: a vendor's end line, minimum length, volatile lines and secrets (profile data);
- ``redact.py``: secrets replaced by keyed hashes (``<secret:hmac:1a2b3c4d>``), the key file;
- ``collector.py``: ``ConfigCollector`` (``kind = "config"``) returning a ``ConfigSnapshot``.

The store side (versions, baseline, drift, diff, history, git export) is ``agent.drift``.
"""

from collectors.config.collector import (
    ConfigCollector,
    ConfigError,
    ConfigSnapshot,
    fetch_running_config,
    prepare,
)
from collectors.config.redact import Redactor, load_key
from collectors.config.rules import ConfigRules, ConfigRulesError, config_rules

__all__ = [
    "ConfigCollector",
    "ConfigError",
    "ConfigRules",
    "ConfigRulesError",
    "ConfigSnapshot",
    "Redactor",
    "config_rules",
    "fetch_running_config",
    "load_key",
    "prepare",
]
