"""Revenue sharing of data assets (谁投入、谁贡献、谁受益): cost shares, agreed fractions and
cooperative-game allocations, floors and caps, cents, core check, flags citing clauses, and the
distribution ledger (docs/sharing.md).

Modules, one concept each: ``spec`` (the specification, validation, JSON Schema), ``games``
(Shapley exact and sampled, Banzhaf, core excess over bitmask arrays), ``lp`` (least core,
nucleolus), ``valuemodels`` (v(S) from a model), ``allocate`` (cost, agreement, scaling,
floors/caps, largest-remainder cents), ``flags`` (flags and public-data treatment), ``run``
(one distribution), ``ledger`` (immutable records in the library's database), ``export``
(formula-safe CSV/xlsx).
"""
from .run import compute_share, sharing_config
from .spec import ShareSpec, json_schema, parse_spec

__all__ = ["compute_share", "sharing_config", "ShareSpec", "json_schema", "parse_spec"]
