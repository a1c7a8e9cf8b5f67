"""Values that would underflow to subnormal numbers are exact zeros."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skebm._underflow import flush, flushed_exp, negligible


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_flushed_exp_is_exp_above_the_threshold_and_zero_below(dtype):
    small = negligible(dtype)
    logits = np.array([0.0, -1.0, np.log(small) + 0.5, np.log(small) - 0.5, -1e4,
                       -np.inf], dtype=dtype)
    out = flushed_exp(logits)
    assert out.dtype == dtype
    assert_array_equal(out[:3], np.exp(logits[:3]))
    assert_array_equal(out[3:], 0.0)
    # in place, as the NLL uses it
    same = logits.copy()
    assert flushed_exp(same, out=same) is same
    assert_array_equal(same, out)


def test_flushed_exp_keeps_inf_and_nan():
    out = flushed_exp(np.array([np.inf, np.nan, 0.0]))
    assert out[0] == np.inf and np.isnan(out[1]) and out[2] == 1.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_flush_zeroes_what_a_product_could_make_subnormal(dtype):
    small = negligible(dtype)
    a = np.array([1.0, -2 * small, 0.5 * small, -0.5 * small,
                  np.finfo(dtype).tiny], dtype=dtype)
    assert flush(a) is a
    assert_array_equal(a, np.array([1.0, -2 * small, 0, 0, 0], dtype=dtype))
    # the product of any two kept values is normal
    assert np.asarray(small, dtype) * np.asarray(small, dtype) >= np.finfo(dtype).tiny
