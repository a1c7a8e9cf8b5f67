"""The user's log densities as vectorized functions that name their errors."""

import numpy as np


def _format_theta(theta):
    return np.array2string(np.asarray(theta), precision=6, threshold=20)


def _return_error(message):
    """The ValueError of skebm's check that a user's log density returned
    the wrong shape or type: marked, so that :func:`_reraise` passes it as
    raised rather than naming it an error of the user's function."""
    error = ValueError(message)
    error.skebm_return_check = True
    return error


def _named_error(exc, name, theta):
    """Same exception type, with the parameters that caused it in the message."""
    msg = f"{name} raised {type(exc).__name__}: {exc} at theta={_format_theta(theta)}"
    try:
        new = type(exc)(msg)
    except Exception:
        new = RuntimeError(msg)
    return new


def _reraise(exc, name, theta):
    """Raise ``exc``, an error of the user's function, named with ``theta``
    (:func:`_named_error`); skebm's own checks of what it returned pass as
    raised."""
    if getattr(exc, "skebm_return_check", False):
        raise exc
    raise _named_error(exc, name, theta) from exc


def _call(fn, name, theta, args):
    """``fn(theta, *args)``, its errors named (:func:`_reraise`)."""
    try:
        return fn(theta, *args)
    except Exception as exc:
        _reraise(exc, name, theta)


def _float_array(values, name, theta, expected):
    """``values`` as a float array, or a TypeError naming what the log density
    ``name`` returned at ``theta`` instead of ``expected``."""
    try:
        if values is None:  # numpy would read it as NaN: a missing return
            raise TypeError
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must return {expected}, got {type(values).__name__} "
            f"{values!r:.40} at theta={_format_theta(theta)}"
        ) from exc


def _as_log_values(values, n_rows, name, theta):
    """Check that a log density returned one finite-or-not float per row."""
    out = _float_array(values, name, theta, "a float per parameter vector")
    if out.size != n_rows or out.ndim > 2:
        raise ValueError(
            f"{name} returned shape {out.shape} for theta of shape "
            f"{np.shape(theta)}; expected ({n_rows},)."
        )
    return out.reshape(n_rows)


def _as_log_value(value, name, row):
    """One value of a scalar log density (called on one parameter vector
    ``row``), as a float, or an error naming what it returned."""
    if isinstance(value, (int, np.integer, np.floating)):  # and numpy scalars
        return float(value)
    out = _float_array(value, name, row, "a float")
    if out.size != 1:
        raise ValueError(
            f"{name} must return a float for a parameter vector theta of shape "
            f"{np.shape(row)}; it returned shape {out.shape} at "
            f"theta={_format_theta(row)} (vectorized=True takes theta of shape "
            "(n_chains, n_dim) and returns (n_chains,))."
        )
    return float(out.reshape(()))


def _batched(fn, name, vectorized):
    """Wrap a user log density into ``theta (n, d) -> (n,)`` naming errors."""
    if vectorized:

        def batch(theta, *args):
            values = _call(fn, name, theta, args)
            if values.__class__ is np.ndarray and values.shape == (len(theta),):
                return values
            return _as_log_values(values, len(theta), name, theta)

    else:

        def batch(theta, *args):
            out = np.empty(len(theta))
            for i, row in enumerate(theta):  # the user's scalar function: per chain
                value = _call(fn, name, row, args)
                # a plain float (numpy's too) needs no check
                out[i] = value if isinstance(value, float) else _as_log_value(
                    value, name, row)
            return out

        def one(row, *args):
            # one chain's step calls this: a float, with no arrays around it
            # and no call but the user's (through _call, the walk took 4% longer)
            try:
                value = fn(row, *args)
            except Exception as exc:
                _reraise(exc, name, row)
            if isinstance(value, float):
                return value
            return _as_log_value(value, name, row)

        batch.one = one

    return batch


def _pointwise(fn, vectorized, theta, X):
    """Log-likelihood matrix of shape (len(theta), n_obs)."""
    n_obs = X.shape[0]
    if vectorized:
        ll = np.asarray(_call(fn, "log_likelihood", theta, (X,)), dtype=float)
    else:
        ll = np.asarray([_call(fn, "log_likelihood", row, (X,)) for row in theta],
                        dtype=float)
    return _per_observation(ll, len(theta), n_obs, vectorized)


def _per_observation(ll, n_rows, n_obs, vectorized):
    """``ll``, checked to hold one log-likelihood value per observation for
    each of ``n_rows`` parameter vectors (stacked, for a scalar function)."""
    if ll.shape != (n_rows, n_obs):
        expected = f"({n_rows}, {n_obs})" if vectorized else f"({n_obs},)"
        raise _return_error(
            f"log_likelihood returned shape "
            f"{ll.shape[1:] if not vectorized else ll.shape}; it must return "
            f"one value per observation, shape {expected}."
        )
    return ll


def _log_posterior(log_prob, log_likelihood, log_prior, vectorized, X):
    """The log target as ``theta (n, n_dim) -> (n,)``, from the user's callables.

    Either ``log_prob`` alone, or ``log_likelihood`` summed over the rows of
    ``X`` plus ``log_prior`` (flat when None). The likelihood is not evaluated
    where the prior is ``-inf`` (or NaN).
    """
    if log_prob is not None:
        if log_likelihood is not None or log_prior is not None:
            raise ValueError(
                "Give either log_prob, or log_likelihood (with an optional "
                "log_prior), not both."
            )
        return _batched(log_prob, "log_prob", vectorized)
    if log_likelihood is None:
        raise ValueError("One of log_prob or log_likelihood is required.")
    if X is None:
        raise ValueError("log_likelihood needs data: call fit(X).")
    def summed(theta, X):
        # a value per observation, as score(X) needs: a sum would only fail
        # there, after the chains had run
        values = log_likelihood(theta, X)
        try:
            ll = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise _return_error(
                f"log_likelihood returned {type(values).__name__}, not an array "
                f"of floats: {exc}") from exc
        if vectorized:
            return _per_observation(ll, len(theta), X.shape[0], True).sum(axis=-1)
        # a float: the scalar path's fast case
        return float(_per_observation(ll[None], 1, X.shape[0], False).sum())

    like = _batched(summed, "log_likelihood", vectorized)
    prior = None if log_prior is None else _batched(log_prior, "log_prior", vectorized)

    def log_posterior(theta):
        if prior is None:
            return like(theta, X)
        lp = prior(theta).copy()
        inside = lp > -np.inf  # also skips NaN priors, which stay NaN
        if inside.all():
            lp += like(theta, X)
        elif inside.any():
            lp[inside] += like(theta[inside], X)
        return lp

    return log_posterior
