"""Parameter validation: every bad value is named with what is allowed, all at once."""

import pytest

import emrlab
from emrlab import Param, ParameterError, validate


def test_good_values_pass_through():
    values = {"n": 5, "codec": "zstd", "ratio": 1, "flag": False}
    out = validate(values, n=Param(int, min=1, max=10), codec=Param(str, choices=("zstd", "gzip")),
                   ratio=Param(float, min=0.0), flag=Param(bool))
    assert out is values


def test_all_problems_are_reported_together():
    with pytest.raises(ParameterError) as err:
        validate(
            {"n": "5", "codec": "lzo", "size": 0},
            n=Param(int), codec=Param(str, choices=("snappy", "zstd")), size=Param(int, min=1),
        )
    text = str(err.value)
    assert "n='5' has type str; expected int" in text
    assert "codec='lzo' is not allowed; choose from 'snappy', 'zstd'" in text
    assert "size=0: value must be >= 1" in text


def test_bool_is_not_an_int_and_int_is_a_float():
    with pytest.raises(ParameterError, match="has type bool"):
        validate({"n": True}, n=Param(int))
    validate({"x": 3}, x=Param(float))


def test_missing_rule_or_value_is_a_notebook_bug():
    with pytest.raises(ParameterError, match="no rule declared"):
        validate({"typo": 1})
    with pytest.raises(ParameterError, match="rule declared but no value"):
        validate({}, n=Param(int))


def test_common_parameters_have_rules():
    validate({"mode": "", "acknowledge_costs": False, "region": "", "bucket": ""})
    with pytest.raises(ParameterError, match="mode='cloud'"):
        validate({"mode": "cloud"})
    with pytest.raises(ParameterError, match="region='moon-1'"):
        validate({"region": "moon-1"})


def test_pattern_and_length():
    with pytest.raises(ParameterError, match="does not match"):
        validate({"label": "emr-7"}, label=Param(str, pattern=r"emr-\d+\.\d+\.\d+"))
    with pytest.raises(ParameterError, match="length must be <= 2"):
        validate({"items": [1, 2, 3]}, items=Param(list, max=2))


def test_exported_from_package():
    assert emrlab.ParameterError is ParameterError
    assert issubclass(ParameterError, ValueError)
