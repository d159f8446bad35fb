"""Plumbing every Linli service shares: config, errors, schemas, actor, events, storage."""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
