"""The parts of the facade :mod:`valuation.api` (re-exported there; faces import ``valuation.api``).

* :mod:`.library` — which library an appraisal runs against (store, seed files, snapshot);
* :mod:`.appraise` — one card, several cards together, validation;
* :mod:`.batch` — many assets at once, batch revaluation and its run history;
* :mod:`.analysis` — public-data pricing, 入表, reports, citations, sensitivity, back-test.

Each part resolves the library here and passes the snapshot and database down: the layers
below (:mod:`valuation.batch` included) never import the facade (docs/DESIGN.md §4).
"""
