"""Pricing layer: reconciliation of the approaches (CAS 2023 art. 24), guided price ranges
(Monte Carlo), public-data pricing under 发改价格〔2025〕65号, and sensitivity analysis.

Modules: :mod:`.reconcile`, :mod:`.uncertainty`, :mod:`.public_data`, :mod:`.sensitivity`.
"""
