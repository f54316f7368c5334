"""Data quality (GB/T 36344-2018): indicator scores, AHP / entropy / combined / fuzzy weights,
and the composite score Q (CAS 2023 arts. 16–17, docs/DOMAIN.md §5).

Modules: :mod:`.catalog` (dimensions, 20 sub-indicators, default weights), :mod:`.indicators`
(X = A/B → scores), :mod:`.ahp`, :mod:`.entropy`, :mod:`.combine`, :mod:`.fuzzy`,
:mod:`.composite` (Q = Σ w s, per asset), :mod:`.checks` (weights sum to 1, scores 0–100).
"""

from .ahp import CR_LIMIT, RI, AHPResult, ahp, ahp_batch, ahp_geometric, check_pairwise
from .catalog import (
    DEFAULT_DIMENSION_WEIGHTS,
    DIMENSION_LABELS,
    DIMENSIONS,
    INDICATORS,
    PIECEWISE_BANDS,
    Indicator,
    catalog_from_entries,
    resolve_code,
)
from .checks import WEIGHT_TOL, check_scores, check_weights
from .combine import combine_weights
from .composite import QUALITY_CLAUSES, composite, composite_columns
from .entropy import EntropyResult, entropy_weights
from .fuzzy import FUZZY_GRADES, FuzzyResult, fuzzy_evaluation
from .indicators import SCALES, IndicatorScores, dimension_scores, indicator_scores, score_measure

__all__ = [
    "CR_LIMIT",
    "DEFAULT_DIMENSION_WEIGHTS",
    "DIMENSIONS",
    "DIMENSION_LABELS",
    "FUZZY_GRADES",
    "INDICATORS",
    "PIECEWISE_BANDS",
    "QUALITY_CLAUSES",
    "RI",
    "SCALES",
    "WEIGHT_TOL",
    "AHPResult",
    "EntropyResult",
    "FuzzyResult",
    "IndicatorScores",
    "Indicator",
    "ahp",
    "ahp_batch",
    "ahp_geometric",
    "catalog_from_entries",
    "check_pairwise",
    "check_scores",
    "check_weights",
    "combine_weights",
    "composite",
    "composite_columns",
    "dimension_scores",
    "entropy_weights",
    "fuzzy_evaluation",
    "indicator_scores",
    "resolve_code",
    "score_measure",
]
