"""The reference implementation of the Messenger session API, in pure Python.

It implements every testable requirement of the shipped spec and is what the
conformance suite runs against by default (adapter name ``reference``). See
`ReferenceAdapter` for its options.
"""
from .adapter import DEFAULT_FEATURES, ReferenceAdapter, single_party, without_lock
from .registry import ENV_VAR, AppRegistration, MemoryRegistry, SqliteRegistry

__all__ = ["DEFAULT_FEATURES", "ENV_VAR", "AppRegistration", "MemoryRegistry", "ReferenceAdapter", "SqliteRegistry",
           "single_party", "without_lock"]
