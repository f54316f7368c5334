"""One function per dashboard page."""
from .appraise import appraise_page
from .batch import batch_page
from .books import books_page
from .card import card_page
from .history import history_page
from .libraries import libraries_page
from .public_pricing import public_pricing_page
from .risk import risk_page
from .settings import settings_page
from .sharing import sharing_page, sharing_title

__all__ = ["card_page", "appraise_page", "risk_page", "public_pricing_page", "batch_page",
           "history_page", "libraries_page", "settings_page", "sharing_page", "sharing_title",
           "books_page"]
