"""The inverse temperature of a Gibbs distribution (alone, or under a
floor), and the tilt of a density on a grid, fitted by maximum likelihood
to training or held-out targets when the loss did not fix the energy's
scale and location."""

import numpy as np
from scipy.optimize import brentq

from ._grid_density import grid_probabilities, row_blocks, row_logsumexp

# the root's tolerance in log(beta): machine precision, so that weighted and
# repeated rows agree
_XTOL, _RTOL = 1e-14, 1e-15
_MAX_NEWTON_STEPS = 100
# a Newton step this small leaves an error of the order of its square
_LAST_NEWTON_STEP = 1e-9
# fit_tilt's largest log ratio of the tilt across the answers
_MAX_TILT = 50.0
# the temperature is searched within this many decades either side of
# 1 / (the energies' spread)
_DECADES = 4.5
# fit_floored_temperature: the points per decade of its coarse search, at
# most this many EM steps, and the change in log(beta) at which they stop
_SEARCH_PER_DECADE, _MAX_EM_STEPS, _EM_XTOL = 2, 200, 1e-8
# and the least share of the rows' weight that the Gibbs part must explain
# there: the floor stands for the rare target the Gibbs distribution misses,
# and a tenth of the rows is not rare (an atom of three quarters of them
# passed a bound of one half; user guide, "A floor under the density")
_MIN_GIBBS_SHARE = 0.9


def fit_inverse_temperature(nll_gradient, energy_spread, curvature=False,
                            start=None, max_steps=None):
    """The ``beta`` at which ``nll_gradient(beta)``, the derivative of a
    negative log-likelihood convex in ``beta``, is zero.

    The root is bracketed within nine decades around ``1 / energy_spread``,
    the scale at which energy differences are of order one, and found to
    machine precision (so that weighted and repeated rows agree); at a
    boundary of the bracket the boundary is returned. With
    ``curvature=True``, ``nll_gradient(beta)`` returns the first and the
    second derivative, and Newton steps in ``log(beta)`` from ``start`` (the
    bracket's center if None), safeguarded by bisection, replace Brent's
    method: four or five evaluations from a start near the root, not 18;
    ``max_steps`` stops the Newton steps earlier (Brent's method ignores
    it).
    """
    low, high = _log_bracket(energy_spread)
    center = 0.5 * (low + high)

    def derivatives(t):
        # d/dt of the NLL at beta = e^t, and its derivative in t
        out = nll_gradient(np.exp(t))
        if not curvature:
            return out, None
        first, second = out
        return first, np.exp(t) * second

    if not curvature:
        if derivatives(low)[0] >= 0:
            return float(np.exp(low))
        if derivatives(high)[0] <= 0:
            return float(np.exp(high))
        return float(np.exp(brentq(lambda t: derivatives(t)[0], low, high,
                                   xtol=_XTOL, rtol=_RTOL)))
    good_start = start is not None and np.isfinite(start) and start > 0
    t = np.clip(np.log(start), low, high) if good_start else center
    steps = _MAX_NEWTON_STEPS if max_steps is None else max_steps
    return float(np.exp(_safe_newton(derivatives, low, high, t, steps)))


def _log_bracket(energy_spread):
    """The range of ``log(beta)`` searched: ``_DECADES`` either side of
    ``-log(energy_spread)``."""
    spread = energy_spread if np.isfinite(energy_spread) and energy_spread > 0 \
        else 1.0
    center = -np.log(spread)
    return center - _DECADES * np.log(10), center + _DECADES * np.log(10)


def _safe_newton(derivatives, low, high, t, max_steps=_MAX_NEWTON_STEPS):
    """Root of an increasing function in ``[low, high]``: Newton steps from
    ``t``, bisection whenever a step leaves the bracket that the evaluations
    so far have narrowed. An end of the bracket is evaluated only when a
    step would pass it, and returned when the function has not changed sign
    there (the root lies beyond). After ``max_steps`` steps it returns the
    point the last one reached, not evaluated."""
    below = above = False  # whether low / high are evaluations of the sign
    for _ in range(max_steps):
        value, slope = derivatives(t)
        if value == 0:
            return t
        if value < 0:
            low, below = t, True
        else:
            high, above = t, True
        after = t - value / slope if slope > 0 else np.nan
        if abs(after - t) <= _LAST_NEWTON_STEP and low < after < high:
            return after
        if not low < after < high:
            if value < 0 and not above:
                if derivatives(high)[0] <= 0:
                    return high
                above = True
            elif value > 0 and not below:
                if derivatives(low)[0] >= 0:
                    return low
                below = True
            after = 0.5 * (low + high)
        if abs(after - t) <= _XTOL + _RTOL * abs(t) or high - low <= _XTOL:
            return after
        t = after
    return t


def grid_nll_derivatives(logits, E, w, e_target=None, e_cells=None):
    """``nll_gradient`` for :func:`fit_inverse_temperature` (with
    ``curvature=True``) of a density on a grid with two wall tails.

    Parameters
    ----------
    logits : callable
        ``logits(beta, rows)``: log quadrature weights plus log Gibbs
        factors of the low tail, the grid cells and the high tail, of the
        rows ``rows`` (a slice) of ``E``.
    E : ndarray of shape (n, M + 2)
        The energies behind ``logits``.
    w : ndarray of shape (n,)
        Row weights summing to one.
    e_target : ndarray of shape (n,), default=None
        Energies of the targets, scored as points; or
    e_cells : ndarray of shape (n, k), default=None
        energies at points of the targets' cells, scored as ``-log P(cell)``.
    """
    n = E.shape[0]
    mean_u, second = np.empty(n), np.empty(n)

    def nll_gradient(b):
        # d/dbeta of beta E(y) + log Z(beta): E(y) minus the Gibbs mean of
        # -d logits / dbeta (the energies, the tails' adding 1 / (2 beta)),
        # and d^2/dbeta^2: the Gibbs variance of the same, plus the
        # tails' 1 / (2 beta^2)
        # in blocks of rows (an evaluation of 4000 rows: 17 ms against 31)
        for rows in row_blocks(n):
            p = grid_probabilities(logits(b, rows))
            u = E[rows].copy()
            u[:, [0, -1]] += 1 / (2 * b)
            mean_u[rows] = np.einsum("nk,nk->n", p, u)
            u -= mean_u[rows, None]
            second[rows] = (np.einsum("nk,nk->n", p, u * u)
                            + (p[:, 0] + p[:, -1]) / (2 * b * b))
        if e_cells is None:
            return float(w @ (e_target - mean_u)), float(w @ second)
        # a cell's -log P: its d/dbeta is the cell's Gibbs mean energy,
        # its d^2/dbeta^2 minus the variance
        r = grid_probabilities(-b * e_cells)
        cell_mean = np.einsum("nj,nj->n", r, e_cells)
        cell_var = np.einsum("nj,nj->n", r, (e_cells - cell_mean[:, None]) ** 2)
        return float(w @ (cell_mean - mean_u)), float(w @ (second - cell_var))

    return nll_gradient


def fit_floored_temperature(fit, log_densities, w, energy_spread, start=None):
    """The ``beta`` maximizing the likelihood of a Gibbs distribution mixed
    with a fixed share of a fixed density (a floor, flat over the support).

    A target the Gibbs distribution explains badly is explained by the
    floor instead, and weighs on the temperature only by the share the
    Gibbs part has of its density: an outlier among a few held-out rows no
    longer widens every prediction. The likelihood can peak twice: at a
    high temperature where the Gibbs part reaches the outliers, and at a
    low one where the floor takes them. So the start is the better of the
    Gibbs distribution's own fit and the best point of a coarse search over
    the bracket of :func:`fit_inverse_temperature`; from it,
    expectation-maximization steps (each a Newton step of a weighted fit of
    the Gibbs part alone, or the whole fit where that step would lower the
    likelihood) climb to the peak. A peak where the Gibbs part explains
    less than ``_MIN_GIBBS_SHARE`` of the rows' weight is a fit of the
    floor and is not taken; without another, the Gibbs fit is returned.

    Parameters
    ----------
    fit : callable
        ``fit(weights, start, max_steps=None)``: the ``beta`` maximizing the
        rows' weighted log-likelihood under the Gibbs distribution alone, or
        where ``max_steps`` Newton steps from ``start`` reach.
    log_densities : callable
        ``log_densities(beta)``: each row's log density, the Gibbs part's
        and the whole's, as
        :func:`~skebm.inference._grid_density.floored_log_densities` returns
        them.
    w : ndarray of shape (n,)
        Row weights.
    energy_spread : float
        The scale of the energy differences, which centers the bracket.
    start : float, default=None
        Where ``fit`` starts its search.

    Returns
    -------
    beta : float
    """
    w = w / w.sum()

    def shares_of(gibbs, total):
        with np.errstate(invalid="ignore"):
            # a row of no density at all is the Gibbs part's
            return np.nan_to_num(np.exp(gibbs - total), nan=1.0)

    def log_likelihood(b):
        gibbs, total = log_densities(b)
        value = w @ total
        # a peak where the floor explains more than a tenth of the rows is a
        # fit of the floor (counts' zeros in a cell of their own: every
        # other row left to it)
        if not (np.isfinite(value) and w @ shares_of(gibbs, total) >= _MIN_GIBBS_SHARE):
            return -np.inf
        return value

    low, high = _log_bracket(energy_spread)
    coarse = np.exp(np.linspace(low, high, round(
        2 * _DECADES * _SEARCH_PER_DECADE) + 1))
    starts = [fit(w, start), *coarse]
    values = [log_likelihood(b) for b in starts]
    beta = starts[int(np.argmax(values))]
    if not np.isfinite(max(values)):
        return starts[0]
    gibbs, total = log_densities(beta)

    def m_step(shares, start, max_steps):
        # a beta off the positive reals is not evaluated (log of it); its
        # likelihood reads as NaN
        new = fit(w * shares, start, max_steps=max_steps)
        if not 0 < new < np.inf:
            return new, np.nan, np.full_like(total, np.nan)
        return new, *log_densities(new)

    for _ in range(_MAX_EM_STEPS):
        # at least _MIN_GIBBS_SHARE: an EM step never weighs the rows by nothing
        shares = shares_of(gibbs, total)
        # a generalized EM step: one Newton step of the weighted fit, which
        # climbs as far as the whole fit's three or four evaluations would
        # (the M-step's own optimum moves with the shares); a full fit where
        # it would lower the likelihood
        new, new_gibbs, new_total = m_step(shares, beta, 1)
        # (a NaN likelihood is lower; rounding near the peak is not)
        before = w @ total
        if not w @ new_total >= before - 1e-12 * abs(before):
            new, new_gibbs, new_total = m_step(shares, beta, None)
        # a step to no finite likelihood ends the climb where it stood
        if not np.isfinite(w @ new_total) or (
                w @ shares_of(new_gibbs, new_total) < _MIN_GIBBS_SHARE):
            return beta
        if abs(np.log(new / beta)) <= _EM_XTOL:
            return new
        beta, gibbs, total = new, new_gibbs, new_total
    return beta


def fit_tilt(logits, nodes, beta, w, target_logits, points):
    """The tilt ``t`` maximizing the likelihood of the targets under the
    grid density ``exp(logits + beta t y)``: damped Newton steps from 0.

    At the optimum the Gibbs mean of ``y``, averaged over the rows, is the
    targets' (or their cells' Gibbs mean): the tilt moves the location that
    a margin loss left wherever its contrastive terms balanced, as the
    temperature fixes the scale. ``beta t`` times the nodes' width stays
    within ``_MAX_TILT``, so targets all at one end give a steep tilt, not
    an unbounded one.

    Parameters
    ----------
    logits : ndarray of shape (n, M)
        Log quadrature weights plus log Gibbs factors, untilted.
    nodes : ndarray of shape (M,)
        The answers of the columns of ``logits``.
    beta : float
        The inverse temperature of ``logits``.
    w : ndarray of shape (n,)
        Row weights summing to one.
    target_logits : ndarray of shape (n, k)
        ``-beta E`` at the targets (k = 1) or at points of their cells.
    points : ndarray of shape (n, k)
        The targets, or the points of their cells, within the nodes' range.

    Returns
    -------
    t : float
    """
    def nll(g):
        return float(w @ (row_logsumexp(logits + g * nodes)
                          - row_logsumexp(target_logits + g * points)))

    def moments(p, y):
        mean = np.einsum("nk,nk->n", p, y)
        return mean, np.einsum("nk,nk->n", p, y * y) - mean * mean

    bound = _MAX_TILT / max(float(np.ptp(nodes)), np.finfo(float).tiny)
    g, value = 0.0, nll(0.0)
    Y = np.broadcast_to(nodes, logits.shape)
    for _ in range(_MAX_NEWTON_STEPS):
        # in g = beta t the NLL is a log-partition minus a cell's: gradient
        # and curvature are differences of Gibbs moments (with cells, the
        # curvature can be negative: then a step toward the bound)
        mean_p, var_p = moments(grid_probabilities(logits + g * nodes), Y)
        mean_q, var_q = moments(grid_probabilities(target_logits + g * points),
                                points)
        gradient, curvature = w @ (mean_p - mean_q), w @ (var_p - var_q)
        step = gradient / curvature if curvature > 0 else np.sign(gradient) * bound
        step = g - np.clip(g - step, -bound, bound)
        for _ in range(60):
            trial = nll(g - step)
            if trial <= value:
                break
            step /= 2
        else:
            break
        g, value = g - step, trial
        if abs(step) <= _LAST_NEWTON_STEP * (1 + abs(g)):
            break
    return g / beta
