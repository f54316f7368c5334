"""Income approach (收益法) of 中评协〔2023〕17号 art. 21 and the annex models.

Steps for every asset at once (docs/DOMAIN.md §3):

1. income attributable F_t by model (:mod:`.streams`): direct, split, excess earnings,
   incremental, relief from royalty; projections from history where a card gives revenue
   history instead (:mod:`.forecast`);
2. attrition (LIT.attrition): F_t × S_t, S_t = Π_{k=s}^{t} (1 − a), stop once S_t < cut-off;
3. economic life n = min(periods, remaining rights term, contract, legal, timeliness,
   product life, attrition stop) (art. 21(7)); the bound that won is ``life_bound``;
4. discount rate (:mod:`.rates`): given, build-up or WACC + premium (art. 21(5));
5. discounting (:mod:`.kernel`): end or mid period, partial first period, Gordon terminal value
   (refused when g ≥ i), exact or publication rounding;
6. several application scenarios P = Σ_k j_k Σ_t F_kt / (1 + r_k)^t (docs/DOMAIN.md §3.5 item 5).

Refusals (not applicable rows, bilingual reasons; :class:`RefusedError` in :func:`appraise_one`):
no income section, missing stream for the model, no discount rate, income basis ≠ rate basis
(art. 21(6)), g ≥ i, no remaining life.

One concept per module: :mod:`.params`, :mod:`.inputs` (the portfolio's columns and the
forecasts), :mod:`.streams`, :mod:`.rates`, :mod:`.life`, :mod:`.term`, :mod:`.scenarios`,
:mod:`.kernel` and :mod:`.value` (the arithmetic and refusals), :mod:`.reasons` and
:mod:`.explain` (texts, warnings, traces), :mod:`.approach` (the contract).
"""
from .approach import (
    EXTRA_COLUMNS,
    INCOME,
    IncomeApproach,
    appraise,
    appraise_one,
)
from .forecast import forecast_history
from .kernel import discount
from .life import BOUNDS, _life, _survival, economic_life, survival
from .params import default_params
from .rates import discount_rates, wara
from .streams import MODELS
from .value import _differ

__all__ = [
    "BOUNDS",
    "EXTRA_COLUMNS",
    "INCOME",
    "MODELS",
    "IncomeApproach",
    "appraise",
    "appraise_one",
    "default_params",
    "discount",
    "discount_rates",
    "economic_life",
    "forecast_history",
    "survival",
    "wara",
]
_ = (_differ, _life, _survival)   # (helpers the tests read through this package)
