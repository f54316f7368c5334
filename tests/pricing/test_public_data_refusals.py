"""A public-data product that is not an object is refused naming the field (found by the
HTTP fuzz test: ``{"product": null}`` reached the MAR formula and ended in a 500)."""
import pytest

from valuation.core.errors import ValidationError
from valuation.pricing.public_data import validate_product


@pytest.mark.parametrize("doc", [{"product": None}, {"product": []}, {"product": "x"}, None, []])
def test_a_product_that_is_not_an_object_is_refused_naming_the_field(doc):
    with pytest.raises(ValidationError) as e:
        validate_product(doc)
    fields = [i.field for i in e.value.issues]
    assert fields.count("product") == 1, fields
