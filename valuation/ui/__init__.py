"""Streamlit pages (functions) and charts. Pages call only :mod:`valuation.api`."""
