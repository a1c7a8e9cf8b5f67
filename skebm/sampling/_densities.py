"""The user's log densities as vectorized functions that name their errors."""

import numpy as np

def _format_theta(theta):
    return np.array2string(np.asarray(theta), precision=6, threshold=20)


def _named_error(exc, name, theta):
    """Same exception type, with the parameters that caused it in the message."""
    msg = f"{name} raised {type(exc).__name__}: {exc} at theta={_format_theta(theta)}"
    try:
        new = type(exc)(msg)
    except Exception:
        new = RuntimeError(msg)
    return new


def _as_log_values(values, n_rows, name, theta):
    """Check that a log density returned one finite-or-not float per row."""
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must return a float per parameter vector, got "
            f"{type(values).__name__} at theta={_format_theta(theta)}"
        ) from exc
    if out.size != n_rows or out.ndim > 2:
        raise ValueError(
            f"{name} returned shape {out.shape} for theta of shape "
            f"{np.shape(theta)}; expected ({n_rows},)."
        )
    return out.reshape(n_rows)


def _batched(fn, name, vectorized):
    """Wrap a user log density into ``theta (n, d) -> (n,)`` naming errors."""
    if vectorized:

        def batch(theta, *args):
            try:
                values = fn(theta, *args)
            except Exception as exc:
                raise _named_error(exc, name, theta) from exc
            if values.__class__ is np.ndarray and values.shape == (len(theta),):
                return values
            return _as_log_values(values, len(theta), name, theta)

    else:

        def batch(theta, *args):
            values = []
            for row in theta:  # the user's scalar function: one call per chain
                try:
                    values.append(fn(row, *args))
                except Exception as exc:
                    raise _named_error(exc, name, row) from exc
            return _as_log_values(values, len(theta), name, theta)

    return batch


def _pointwise(fn, vectorized, theta, X):
    """Log-likelihood matrix of shape (len(theta), n_obs)."""
    n_obs = X.shape[0]
    if vectorized:
        try:
            ll = np.asarray(fn(theta, X), dtype=float)
        except Exception as exc:
            raise _named_error(exc, "log_likelihood", theta) from exc
    else:
        rows = []
        for row in theta:
            try:
                rows.append(fn(row, X))
            except Exception as exc:
                raise _named_error(exc, "log_likelihood", row) from exc
        ll = np.asarray(rows, dtype=float)
    if ll.shape != (len(theta), n_obs):
        expected = f"({len(theta)}, {n_obs})" if vectorized else f"({n_obs},)"
        raise ValueError(
            f"log_likelihood must return one value per observation, shape "
            f"{expected}; got {ll.shape[1:] if not vectorized else ll.shape}."
        )
    return ll
