"""入表 and impairment of data resources (财会〔2023〕11号; CAS 6, CAS 1, CAS 8).

Pure and columnar (numpy over all assets): ``inputs`` (the accounting section as arrays, the
cross-field refusals), ``classify`` (intangible, inventory, development expenditure, expense),
``cost`` (what may be capitalised), ``amortise`` (shares consumed, schedules; conventions
stated), ``impairment`` (CAS 8 recoverable amount and loss; CAS 1 net realisable value),
``indicators`` (CAS 8 art. 5 adapted to data), ``flags``, ``trace``, ``book`` (all of it for a
portfolio) and ``disclosure`` (the 11号 tables). Value in use and fair value are the engine's
income and market approaches, supplied by the caller (:func:`valuation.api.book`, batch runs).
"""
from .book import ANSWER_FIGURES, Books, book_portfolio
from .disclosure import disclosure_table

__all__ = ["ANSWER_FIGURES", "Books", "book_portfolio", "disclosure_table"]
