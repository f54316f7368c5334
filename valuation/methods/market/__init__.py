"""Market approach (市场法): comparable selection, adjustment grid, hedonic model, back-test.

``appraise(pf, params=None, *, trace=False, cases=None) -> MethodResult`` — see
:mod:`.approach`; the case schema and importers live in :mod:`valuation.library.cases`.
"""
from .approach import appraise, fit_library, value_subjects
from .params import CLAUSES, default_params, resolve_params

__all__ = [
           "CLAUSES",
           "appraise",
           "default_params",
           "fit_library",
           "resolve_params",
           "value_subjects",
]
