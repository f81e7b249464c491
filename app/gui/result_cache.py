"""The GUI's name for app.viewing.cache (the results kept for going back; no Qt)."""

from app.viewing.cache import DEFAULT_BUDGET_BYTES, CachedView, ResultCache

__all__ = ["DEFAULT_BUDGET_BYTES", "CachedView", "ResultCache"]
