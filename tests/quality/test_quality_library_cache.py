"""The parsed indicators library is reused only for the same content: an edit (even in place)
gives the new weights."""
import copy

import numpy as np

from valuation.api import snapshot
from valuation.quality.library import quality_library


def test_same_content_reuses_and_an_edit_in_place_is_parsed_anew():
    entries = copy.deepcopy(snapshot("seed").indicators)
    first = quality_library(entries)
    assert quality_library(copy.deepcopy(entries)) is first
    dim = next(e for e in entries if e.get("kind") == "dimension")
    dim["weight"] = 5.0   # edited in place: same list object, new content
    edited = quality_library(entries)
    assert edited is not first
    assert not np.allclose(edited.dimension_weights, first.dimension_weights)
    assert np.isclose(edited.dimension_weights.sum(), 1.0)
