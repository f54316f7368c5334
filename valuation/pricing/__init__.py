"""Pricing layer: reconciliation of the approaches (CAS 2023 art. 24), guided price ranges
(Monte Carlo on perturbed inputs: each approach's kernel on its inputs taken at the draws), public-data pricing under 发改价格〔2025〕65号, and
sensitivity analysis.

Modules: :mod:`.reconcile` (entry point, and the frames faces ask for), :mod:`.weights`, :mod:`.combine`,
:mod:`.uncertainty`, :mod:`.sampling`, :mod:`.params`, :mod:`.perturbed`, :mod:`.together`,
:mod:`.explain`, :mod:`.sensitivity`, :mod:`.public_data`, :mod:`.ceiling`, :mod:`.config`.
The layer imports no pandas (issue 20): the frames it reads or hands back are read and built
in :mod:`valuation.core.result_frames`.
"""
