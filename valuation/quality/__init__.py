"""Data quality (GB/T 36344-2018): indicator scores, AHP / entropy / fuzzy weights, composite Q."""
from .scores import DIMENSIONS, composite_scores, indicator_scores
from .weights import AHPResult, ahp, ahp_geometric, combine_weights, entropy_weights, fuzzy_evaluation

__all__ = ["DIMENSIONS", "composite_scores", "indicator_scores", "AHPResult", "ahp", "ahp_geometric",
           "combine_weights", "entropy_weights", "fuzzy_evaluation"]
