"""The Metropolis-adjusted Langevin engine: a gradient-informed proposal,
every row's chains in one numpy step."""

import numpy as np

# optimal acceptance rate of MALA (Roberts and Rosenthal, 1998)
_MALA_RATE = 0.574


def _log_q(to, frm, grad, step, precond):
    """Log density (up to a constant shared by both directions) of proposing
    ``to`` from ``frm``: N(frm + step/2 M grad, step M)."""
    diff = to - frm - 0.5 * step[..., None] * precond * grad
    return -0.5 * np.sum(diff * diff / precond, axis=-1) / step


def _mala(log_target, theta, n_steps, n_burn, thin, step_size, gen, precond=None,
          jump=None, jump_every=4):
    """Metropolis-adjusted Langevin on rows of chains at once.

    Parameters
    ----------
    log_target : callable
        ``log_target(theta) -> (lp, grad)`` with ``theta`` of shape
        (n_rows, n_chains, n_dim), ``lp`` (n_rows, n_chains) and its gradient
        ``grad`` (n_rows, n_chains, n_dim).
    theta : ndarray of shape (n_rows, n_chains, n_dim)
        Starting states, of finite log density.
    n_steps, n_burn, thin : int
        Iterations, of which the first ``n_burn`` are dropped, and the
        thinning of the rest.
    step_size : float, ndarray of shape (n_rows,) or "auto"
        Step ``h`` of the proposal ``theta + h/2 M grad + sqrt(h M) xi``.
        ``"auto"`` tunes one step per row during burn-in (a Robbins-Monro
        recursion on its logarithm, toward an acceptance rate of 0.574),
        then freezes it at the average of the second half of burn-in, so
        that the kept iterations come from one fixed, valid kernel.
    gen : numpy Generator
    precond : ndarray broadcastable to ``theta``, default=None
        The diagonal of the fixed preconditioner ``M`` (1 if None).
    jump : callable, default=None
        An independence proposal made every ``jump_every``-th iteration
        instead of a Langevin one: ``jump(theta, gen, step) -> (proposal,
        log_q_proposal, log_q_theta)``, the log densities of the proposal
        distribution at both points (Metropolis-Hastings corrects for it),
        given the rows' current Langevin step (n_rows,), which may set its
        scale: fixed, as the step is, over the kept iterations. It lets
        chains move between separated modes.

    Returns
    -------
    chain : ndarray of shape (n_kept, n_rows, n_chains, n_dim)
    state : tuple
        The last ``(theta, lp)``.
    acceptance : ndarray of shape (n_rows,)
        Mean acceptance probability of each row's kept iterations (of all
        iterations when nothing is kept).
    step : ndarray of shape (n_rows,)
        The step of the kept iterations.
    """
    n_rows, n_chains, n_dim = theta.shape
    precond = np.ones((1, 1, 1)) if precond is None else precond
    tune = isinstance(step_size, str)
    log_step = np.zeros(n_rows) if tune else np.log(
        np.broadcast_to(np.asarray(step_size, dtype=float), (n_rows,)))
    averaged, n_averaged = np.zeros(n_rows), 0
    step = np.exp(log_step)
    kept = range(n_burn, n_steps, thin)
    chain = np.empty((len(kept), n_rows, n_chains, n_dim), dtype=theta.dtype)
    lp, grad = log_target(theta)
    accept_sum, n_acc = np.zeros(n_rows), 0
    for t in range(n_steps):
        h = step[:, None]
        jumping = jump is not None and t % jump_every == jump_every - 1
        if jumping:
            prop, log_q_prop, log_q_theta = jump(theta, gen, step)
            lp_prop, grad_prop = log_target(prop)
            log_alpha = lp_prop - lp + log_q_theta - log_q_prop
        else:
            noise = gen.standard_normal(theta.shape)
            prop = (theta + 0.5 * h[..., None] * precond * grad
                    + np.sqrt(h[..., None] * precond) * noise)
            lp_prop, grad_prop = log_target(prop)
            log_alpha = (lp_prop - lp + _log_q(theta, prop, grad_prop, h, precond)
                         - _log_q(prop, theta, grad, h, precond))
        log_alpha = np.where(np.isnan(log_alpha), -np.inf, log_alpha)
        accept = np.log(gen.uniform(size=lp.shape)) < log_alpha
        theta = np.where(accept[..., None], prop, theta)
        grad = np.where(accept[..., None], grad_prop, grad)
        lp = np.where(accept, lp_prop, lp)
        prob = np.exp(np.minimum(log_alpha, 0.0)).mean(axis=1)
        if tune and t < n_burn and not jumping:
            # tuned on the Langevin moves only
            log_step += (prob - _MALA_RATE) / (t + 1) ** 0.6
            step = np.exp(log_step)
            if 2 * (t + 1) > n_burn:
                averaged += log_step
                n_averaged += 1
        if tune and t + 1 == n_burn:
            step = np.exp(averaged / n_averaged if n_averaged else log_step)
        if not jumping and (t >= n_burn or n_burn == n_steps):
            accept_sum += prob
            n_acc += 1
        if t >= n_burn and (t - n_burn) % thin == 0:
            chain[(t - n_burn) // thin] = theta
    return chain, (theta, lp), accept_sum / max(n_acc, 1), step
