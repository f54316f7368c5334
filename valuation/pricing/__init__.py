"""Pricing layer: reconciliation of the approaches (CAS 2023 art. 24), guided price ranges
(Monte Carlo on perturbed inputs), public-data pricing under 发改价格〔2025〕65号, and
sensitivity analysis.

Modules: :mod:`.reconcile` (entry point and frame API), :mod:`.weights`, :mod:`.combine`,
:mod:`.uncertainty`, :mod:`.sampling`, :mod:`.params`, :mod:`.perturbed`, :mod:`.together`,
:mod:`.explain`, :mod:`.sensitivity`, :mod:`.public_data`, :mod:`.ceiling`, :mod:`.config`;
:mod:`.frames` is the one module that reads or builds pandas frames.
"""
