"""Underflow to subnormal numbers, on which numpy's ``exp`` and matrix
products run many times slower (``exp`` of a 552 x 131 grid of logits
reaching -1500: 1 ms, against 0.3 ms for :func:`flushed_exp`; 0.04 ms
and 0.07 ms on a grid that does not underflow). Values below
``sqrt(tiny)`` in magnitude count as zero, so that neither they nor the
product of two kept values is subnormal; next to any energy or
probability of order one they are zero to the last bit. For float32 and
float64 arrays, as the estimators validate."""

import numpy as np


def negligible(dtype):
    """``sqrt(tiny)`` of a floating dtype: 1.5e-154 for float64."""
    return np.sqrt(np.finfo(dtype).tiny)


def flush(a):
    """Entries of ``a`` below :func:`negligible` in magnitude set to zero, in
    place; returns ``a``."""
    np.copyto(a, 0, where=np.abs(a) < negligible(a.dtype))
    return a


def flushed_exp(logits, out=None):
    """``exp(logits)``, with zero where it would fall below
    :func:`negligible`: the exponential of the others only. ``out`` may be
    ``logits``."""
    floor = np.log(negligible(logits.dtype))
    far = logits < floor
    out = np.maximum(logits, floor, out=out)
    np.exp(out, out=out)
    out[far] = 0.0
    return out
