"""Data asset valuation and pricing engine (数据资产评估与定价引擎).

The one import root. Faces (CLI, HTTP service, dashboard) go through :mod:`valuation.api`.
"""
__version__ = "0.1.0"
