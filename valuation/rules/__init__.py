"""Rules library and risk flags: the safe expression compiler, declared facts, evaluation."""
from .compiler import compile_expr
from .engine import (
           Hits,
           Rule,
           RuleSet,
           check_expression,
           compile_rules,
           flags_for,
           is_final,
           load_seed_rules,
           validate_rule,
)
from .facts import FACTS, fact_arrays

__all__ = ["compile_expr", "Hits", "Rule", "RuleSet", "compile_rules", "flags_for", "is_final", "load_seed_rules",
           "check_expression", "validate_rule", "FACTS", "fact_arrays"]
