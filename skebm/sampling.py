"""Metropolis-Hastings sampling.

:class:`MHSampler` runs random-walk Metropolis-Hastings chains on a continuous
target as a scikit-learn estimator; :func:`mh_categorical` runs many chains
on small discrete state spaces (the label set of a classifier) at once.

Every chain advances in one vectorized numpy step: the only Python-level work
per iteration is the call of the user's log density (once for all chains when
it is vectorized, once per chain otherwise) and a handful of array operations.
"""

import copy
import sys
import time
import warnings
from numbers import Integral, Real

import emcee
import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._diagnostics import integrated_time, split_r_hat

__all__ = ["MHSampler", "categorical_frequencies", "mh_categorical"]

# Random numbers are drawn in blocks of about this many values.
_BLOCK = 2**15


def _generator(random_state):
    """A fast numpy Generator seeded from a scikit-learn ``random_state``."""
    rng = check_random_state(random_state)
    return np.random.default_rng(rng.randint(np.iinfo(np.int32).max, size=4))


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


def _target_rate(n_dim):
    # 0.44 is optimal in one dimension and 0.234 as n_dim grows (Roberts,
    # Gelman and Gilks 1997; Gelman, Roberts and Gilks 1996); interpolate.
    return 0.234 + 0.206 / n_dim


def _mh_gaussian(
    log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, pbar=None
):
    """Random-walk Metropolis on all chains at once.

    ``theta`` (n_chains, n_dim) and ``lp`` (n_chains,) are the finite starting
    states. With ``step_size="auto"`` the common proposal scale follows a
    Robbins-Monro recursion on its logarithm during burn-in and is then frozen
    at the average of the second half of burn-in, so the kept iterations come
    from one fixed, valid Metropolis kernel.

    Returns chain, log_prob_chain, n_accepted (per chain), step, the number
    of NaN log densities and where the first one occurred.
    """
    n_chains, n_dim = theta.shape
    theta, lp = theta.copy(), lp.copy()
    n_kept = len(range(n_burn, n_steps, thin))
    chain = np.empty((n_kept, n_chains, n_dim))
    lp_chain = np.empty((n_kept, n_chains))
    n_accepted = np.zeros(n_chains, dtype=np.intp)
    n_invalid, first_invalid = 0, None

    tune = isinstance(step_size, str)
    if tune:
        log_step, rate, averaged, n_averaged = 0.0, _target_rate(n_dim), 0.0, 0
    step = 1.0 if tune else float(step_size)
    block = max(1, min(n_steps, _BLOCK // (n_chains * n_dim)))
    shape = (n_chains,)
    copyto, ndarray, inf = np.copyto, np.ndarray, np.inf

    t = 0
    while t < n_steps:
        adapting = tune and t < n_burn
        size = min(block, (n_burn if adapting else n_steps) - t)
        z = gen.standard_normal((size, n_chains, n_dim))
        if not adapting:
            z *= step
        log_u = -gen.standard_exponential((size, n_chains))
        lp_props = np.empty((size, n_chains))
        accepts = np.empty((size, n_chains), dtype=bool)
        for i in range(size):
            prop = theta + (z[i] * step if adapting else z[i])
            lp_prop = log_target(prop)
            if lp_prop.__class__ is not ndarray or lp_prop.shape != shape:
                lp_prop = _as_log_values(lp_prop, n_chains, "log_prob", prop)
            lp_props[i] = lp_prop
            # Not log_u < lp_prop - lp: inf - inf would warn. NaN compares
            # False, so an invalid log density is a rejection.
            accept = log_u[i] + lp < lp_prop
            accepts[i] = accept
            if adapting:
                # The mean acceptance probability is a less noisy signal than
                # the accept/reject outcomes.
                with np.errstate(invalid="ignore"):
                    prob = np.exp(np.minimum(lp_prop - lp, 0.0)).mean()
                if prob != prob:
                    prob = accept.mean()
                k = t + i + 1
                log_step += (prob - rate) / k**0.6
                step = np.exp(log_step)
                if 2 * k > n_burn:
                    averaged += log_step
                    n_averaged += 1
            copyto(theta, prop, where=accept[:, None])
            copyto(lp, lp_prop, where=accept)
            k = t + i - n_burn
            if k >= 0 and k % thin == 0:
                chain[k // thin] = theta
                lp_chain[k // thin] = lp
        n_accepted += accepts.sum(axis=0)
        if not (lp_props < inf).all():
            if np.isposinf(lp_props).any():
                i, c = np.argwhere(np.isposinf(lp_props))[0]
                raise ValueError(
                    "The log density returned +inf (iteration "
                    f"{t + i}, chain {c}): the target is not a proper density."
                )
            bad = np.isnan(lp_props)
            if first_invalid is None:
                i, c = np.argwhere(bad)[0]
                first_invalid = f"iteration {t + i}, chain {c}"
            n_invalid += int(bad.sum())
        t += size
        if pbar is not None:
            pbar.update(size)
        if tune and t == n_burn:
            step = float(np.exp(averaged / max(n_averaged, 1)))
    return chain, lp_chain, n_accepted, step, n_invalid, first_invalid


def _format_seconds(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}:{minutes:02d}:{seconds:02d}" if hours
            else f"{minutes:02d}:{seconds:02d}")


class _TextBar:
    """A progress bar on standard error, for when tqdm is not installed.

    It has the two methods the samplers call, ``update(n)`` and ``close()``,
    and redraws its line in place at most once per ``min_interval`` seconds,
    and once more, followed by a newline, when closed.

    Examples
    --------
    >>> import io
    >>> from skebm.sampling import _TextBar
    >>> out = io.StringIO()
    >>> bar = _TextBar(200, "demo", file=out, width=10)
    >>> bar.update(50); bar.update(150); bar.close()
    >>> print(out.getvalue().split("\\r")[-1].split(" [")[0])
    demo: 100%|##########| 200/200
    """

    def __init__(self, total, desc, *, file=None, min_interval=0.1, width=30):
        self.total = max(int(total), 1)
        self.desc = desc
        self.file = sys.stderr if file is None else file
        self.min_interval = min_interval
        self.width = width
        self.n = 0
        self._start = self._last = time.perf_counter()
        self._closed = False
        self._draw(self._start)

    def update(self, n=1):
        """Count ``n`` more iterations; redraw if the last draw is old enough."""
        self.n = min(self.n + int(n), self.total)
        now = time.perf_counter()
        if now - self._last >= self.min_interval:
            self._draw(now)

    def close(self):
        """Draw the final state and end the line."""
        if self._closed:
            return
        self._closed = True
        self._draw(time.perf_counter())
        self.file.write("\n")
        self.file.flush()

    def _draw(self, now):
        self._last = now
        fraction = self.n / self.total
        done = int(self.width * fraction)
        elapsed = now - self._start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.n) / rate if rate > 0 else 0.0
        self.file.write(
            f"\r{self.desc}: {100 * fraction:3.0f}%|{'#' * done}"
            f"{' ' * (self.width - done)}| {self.n}/{self.total} "
            f"[{_format_seconds(elapsed)}<{_format_seconds(left)}, "
            f"{rate:.0f} it/s]")
        self.file.flush()


class MHSampler(DensityMixin, BaseEstimator):
    """Metropolis-Hastings sampler of a posterior or any unnormalized density.

    Give either ``log_prob`` (the log target), or ``log_likelihood`` (per
    observation of the data passed to :meth:`fit`) and, optionally,
    ``log_prior`` (flat when omitted). ``fit`` runs ``n_chains`` chains of
    ``n_steps`` iterations, drops the burn-in and keeps every ``thin``-th
    state; a rejected proposal repeats the current state, so averages over
    ``chain_`` are Monte Carlo estimates of posterior expectations.

    Parameters
    ----------
    log_prob : callable, default=None
        ``log_prob(theta) -> float``, the unnormalized log density of
        ``theta`` of shape (n_dim,). NaN counts as a rejected proposal (with
        one warning per fit); ``-inf`` marks zero probability.
    log_likelihood : callable, default=None
        ``log_likelihood(theta, X) -> (n_obs,)`` log density of each row of
        ``X`` given ``theta``. Needed by :meth:`score`.
    log_prior : callable, default=None
        ``log_prior(theta) -> float``; the likelihood is not evaluated where
        it is ``-inf``. Only with ``log_likelihood``.
    vectorized : bool, default=False
        If True, the callables take ``theta`` of shape (n, n_dim) for any n
        and return (n,) (or (n, n_obs) for ``log_likelihood``).
    init : float or array-like of shape (n_dim,) or (n_chains, n_dim)
        Starting point, required. One point is used as is by a single chain
        and jittered for several chains.
    n_steps : int, default=1000
        Iterations per chain, burn-in included.
    n_chains : int, default=4
    step_size : float or "auto", default="auto"
        Standard deviation of the Gaussian random-walk proposal. ``"auto"``
        tunes it during burn-in toward an acceptance rate of about 0.44 in
        one dimension and 0.234 in many, then freezes it. Only used by
        ``move="gaussian"``; emcee moves carry their own scale.
    burn_in : float in [0, 1) or int, default=0.5
        Fraction of ``n_steps``, or number of iterations, to drop.
    thin : int, default=1
        Keep every ``thin``-th iteration after burn-in.
    move : {"gaussian", "stretch", "de"} or emcee Move, default="gaussian"
        ``"gaussian"`` is the native vectorized random walk. The others run
        through :class:`emcee.EnsembleSampler`, with the chains as walkers.
    progress : bool, default=False
        Show a progress bar of the iterations on standard error: tqdm's when
        tqdm is installed, else a plain text bar.
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    chain_ : ndarray of shape (n_kept, n_chains, n_dim)
    log_prob_chain_ : ndarray of shape (n_kept, n_chains)
    samples_ : ndarray of shape (n_kept * n_chains, n_dim)
        ``chain_`` flattened, iteration-major.
    n_accepted_ : ndarray of shape (n_chains,)
        Accepted proposals of each chain over all ``n_steps`` iterations.
    acceptance_rate_ : ndarray of shape (n_chains,)
        ``n_accepted_ / n_steps``.
    step_size_ : float or None
        The proposal scale of the kept chain (None for emcee moves).
    autocorr_time_ : ndarray of shape (n_dim,)
        Integrated autocorrelation time, in kept (thinned) iterations.
    ess_ : ndarray of shape (n_dim,)
        Effective sample size, ``n_kept * n_chains / autocorr_time_``.
    r_hat_ : ndarray of shape (n_dim,)
        Split-chain potential scale reduction factor.
    mean_, std_ : ndarray of shape (n_dim,)
        Posterior mean and standard deviation estimated from ``samples_``.
    n_features_in_ : int
        Number of columns of ``X`` (only when ``X`` was given to ``fit``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when ``X`` has string column names.

    See Also
    --------
    mh_categorical : Metropolis-Hastings over a few discrete states.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import MHSampler
    >>> def log_prob(theta):
    ...     return -0.5 * np.sum(theta**2, axis=-1)
    >>> mh = MHSampler(log_prob=log_prob, vectorized=True, init=[0.0, 0.0],
    ...                n_steps=4000, n_chains=8, random_state=0).fit()
    >>> mh.chain_.shape
    (2000, 8, 2)
    >>> bool(np.all(np.abs(mh.mean_) < 4 / np.sqrt(mh.ess_)))
    True
    """

    _parameter_constraints = {
        "log_prob": [callable, None],
        "log_likelihood": [callable, None],
        "log_prior": [callable, None],
        "vectorized": ["boolean"],
        "init": ["array-like", Real, None],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "n_chains": [Interval(Integral, 1, None, closed="left")],
        "step_size": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "burn_in": [
            Interval(Integral, 0, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="left"),
        ],
        "thin": [Interval(Integral, 1, None, closed="left")],
        "move": [StrOptions({"gaussian", "stretch", "de"}), emcee.moves.Move],
        "progress": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        log_prob=None,
        *,
        log_likelihood=None,
        log_prior=None,
        vectorized=False,
        init=None,
        n_steps=1000,
        n_chains=4,
        step_size="auto",
        burn_in=0.5,
        thin=1,
        move="gaussian",
        progress=False,
        random_state=None,
    ):
        self.log_prob = log_prob
        self.log_likelihood = log_likelihood
        self.log_prior = log_prior
        self.vectorized = vectorized
        self.init = init
        self.n_steps = n_steps
        self.n_chains = n_chains
        self.step_size = step_size
        self.burn_in = burn_in
        self.thin = thin
        self.move = move
        self.progress = progress
        self.random_state = random_state

    def _log_target(self, X):
        """The log posterior as ``theta (n, n_dim) -> (n,)``."""
        if self.log_prob is not None:
            if self.log_likelihood is not None or self.log_prior is not None:
                raise ValueError(
                    "Give either log_prob, or log_likelihood (with an optional "
                    "log_prior), not both."
                )
            return _batched(self.log_prob, "log_prob", self.vectorized)
        if self.log_likelihood is None:
            raise ValueError("One of log_prob or log_likelihood is required.")
        if X is None:
            raise ValueError("log_likelihood needs data: call fit(X).")
        like = _batched(
            lambda theta, X: np.sum(self.log_likelihood(theta, X), axis=-1),
            "log_likelihood",
            self.vectorized,
        )
        prior = (
            None
            if self.log_prior is None
            else _batched(self.log_prior, "log_prior", self.vectorized)
        )

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

    def _start(self, log_target, step, gen):
        """Initial states (n_chains, n_dim) and their finite log densities."""
        if self.init is None:
            raise ValueError(
                "init is required: a starting point of shape (n_dim,) or one per "
                "chain, shape (n_chains, n_dim)."
            )
        try:
            init = np.asarray(self.init, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"init must be numeric, got {self.init!r}.") from exc
        if init.ndim == 0:
            init = init.reshape(1)
        n_chains = self.n_chains
        if init.ndim > 2 or init.size == 0 or (
            init.ndim == 2 and init.shape[0] != n_chains
        ):
            raise ValueError(
                f"init has shape {init.shape}; expected (n_dim,) or (n_chains, "
                f"n_dim) with n_chains={n_chains}."
            )
        if not np.isfinite(init).all():
            raise ValueError("init must be finite.")
        if init.ndim == 2:
            lp = log_target(init)
            bad = ~np.isfinite(lp)
            if bad.any():
                raise ValueError(
                    "init has zero probability (or an invalid log density) for "
                    f"chains {np.flatnonzero(bad).tolist()}: log density "
                    f"{lp[bad].tolist()} at {_format_theta(init[bad])}."
                )
            return init.copy(), lp
        lp0 = log_target(init[None])[0]
        if not np.isfinite(lp0):
            raise ValueError(
                "init has zero probability (or an invalid log density): log "
                f"density {lp0} at init={_format_theta(init)}."
            )
        theta = np.repeat(init[None], n_chains, axis=0)
        lp = np.full(n_chains, lp0)
        if n_chains > 1:
            jittered = theta + 0.1 * step * gen.standard_normal(theta.shape)
            lp_jit = log_target(jittered)
            ok = np.isfinite(lp_jit)  # a jittered chain off the support stays put
            theta[ok], lp[ok] = jittered[ok], lp_jit[ok]
        return theta, lp

    def _burn_in_steps(self):
        """``burn_in`` as a number of iterations."""
        if isinstance(self.burn_in, Integral):
            n_burn = int(self.burn_in)
        else:
            n_burn = int(round(self.burn_in * self.n_steps))
        if n_burn >= self.n_steps:
            raise ValueError(
                f"burn_in={self.burn_in!r} drops all n_steps={self.n_steps} "
                "iterations."
            )
        return n_burn

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Run the chains.

        Parameters
        ----------
        X : array-like of shape (n_obs, n_features), default=None
            Data of ``log_likelihood``; validated and otherwise ignored with
            ``log_prob``.
        y : None
            Ignored.

        Returns
        -------
        self : MHSampler
        """
        if X is not None:
            X = validate_data(self, X)
        log_target = self._log_target(X)
        gen = _generator(self.random_state)
        n_steps = self.n_steps
        n_burn = self._burn_in_steps()
        native = isinstance(self.move, str) and self.move == "gaussian"
        if native and self.step_size == "auto" and n_burn == 0:
            raise ValueError("step_size='auto' is tuned during burn-in: set burn_in > 0.")
        step0 = 1.0 if self.step_size == "auto" else float(self.step_size)

        # NaN log densities count as rejections; count them to warn once.
        n_invalid = [0, None]

        def counted_target(theta):
            lp = log_target(theta)
            if not (lp < np.inf).all():
                if np.isposinf(lp).any():
                    raise ValueError(
                        "The log density returned +inf at theta="
                        f"{_format_theta(theta[np.isposinf(lp)])}: the target is "
                        "not a proper density."
                    )
                invalid = np.isnan(lp)
                if n_invalid[1] is None:
                    n_invalid[1] = f"theta={_format_theta(theta[invalid][0])}"
                n_invalid[0] += int(invalid.sum())
                lp = np.where(invalid, -np.inf, lp)
            return lp

        theta, lp = self._start(log_target, step0, gen)
        pbar = self._progress_bar()
        try:
            if native:
                chain, lp_chain, n_acc, step, bad, first = _mh_gaussian(
                    log_target, theta, lp, n_steps, n_burn, self.thin,
                    self.step_size, gen, pbar,
                )
                n_invalid = [bad, first]
            else:
                chain, lp_chain, n_acc = self._run_emcee(
                    counted_target, theta, lp, n_burn, gen, pbar
                )
                step = None
        finally:
            if pbar is not None:
                pbar.close()
        if n_invalid[0]:
            warnings.warn(
                f"The log density returned NaN for {n_invalid[0]} proposals "
                f"(first at {n_invalid[1]}); they were rejected.",
                UserWarning,
            )

        self.chain_ = chain
        self.log_prob_chain_ = lp_chain
        self.samples_ = chain.reshape(-1, chain.shape[2])
        self.n_accepted_ = n_acc
        self.acceptance_rate_ = n_acc / n_steps
        self.step_size_ = step
        self.autocorr_time_ = integrated_time(chain)
        self.ess_ = chain.shape[0] * chain.shape[1] / self.autocorr_time_
        self.r_hat_ = split_r_hat(chain)
        self.mean_ = self.samples_.mean(axis=0)
        self.std_ = self.samples_.std(axis=0)
        return self

    def _progress_bar(self):
        if not self.progress:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return _TextBar(self.n_steps, type(self).__name__)
        return tqdm(total=self.n_steps, desc=type(self).__name__)

    def _run_emcee(self, log_target, theta, lp, n_burn, gen, pbar):
        n_chains, n_dim = theta.shape
        move = {"stretch": emcee.moves.StretchMove, "de": emcee.moves.DEMove}
        move = move[self.move]() if isinstance(self.move, str) else copy.deepcopy(
            self.move
        )
        ensemble = isinstance(move, emcee.moves.RedBlueMove)
        if ensemble and n_chains < 2 * n_dim:
            raise ValueError(
                f"move={self.move!r} is an ensemble move: it needs n_chains >= 2 * "
                f"n_dim = {2 * n_dim}, got n_chains={n_chains}."
            )
        sampler = emcee.EnsembleSampler(
            n_chains, n_dim, log_target, moves=move, vectorize=True
        )
        rs = np.random.RandomState(gen.integers(np.iinfo(np.int32).max))
        state = emcee.State(theta, log_prob=lp, random_state=rs.get_state())
        for _ in sampler.sample(
            state,
            iterations=self.n_steps,
            skip_initial_state_check=not ensemble or n_chains == 1,
        ):
            if pbar is not None:
                pbar.update(1)
        thin = self.thin
        chain = sampler.get_chain()[n_burn::thin]
        lp_chain = sampler.get_log_prob()[n_burn::thin]
        return chain, lp_chain, sampler.backend.accepted.astype(np.intp)

    def _has_log_likelihood(self):
        if self.log_likelihood is None:
            raise AttributeError(
                "score needs log_likelihood: a log_prob alone has no held-out data "
                "to score."
            )
        return True

    @available_if(_has_log_likelihood)
    def score_samples(self, X):
        """Log pointwise predictive density of each row of ``X``.

        ``log mean_s exp(log_likelihood(theta_s, x))`` over the kept samples
        ``theta_s``, computed stably with logsumexp.

        Parameters
        ----------
        X : array-like of shape (n_obs, n_features)

        Returns
        -------
        lppd : ndarray of shape (n_obs,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        samples = self.samples_
        n_obs = X.shape[0]
        # Chunks of samples keep the (chunk, n_obs) matrix within ~16 MB.
        chunk = max(1, 2**21 // n_obs)
        partial = [
            logsumexp(
                _pointwise(self.log_likelihood, self.vectorized,
                           samples[s : s + chunk], X),
                axis=0,
            )
            for s in range(0, len(samples), chunk)
        ]
        return logsumexp(np.stack(partial), axis=0) - np.log(len(samples))

    @available_if(_has_log_likelihood)
    def score(self, X, y=None):
        """Mean log pointwise predictive density of held-out ``X``.

        Parameters
        ----------
        X : array-like of shape (n_obs, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
            Higher is better, so GridSearchCV can compare priors and models.
        """
        return float(np.mean(self.score_samples(X)))


def mh_categorical(log_p, n_chains, n_steps, random_state, init=None, burn_in=0):
    """Metropolis-Hastings over ``m`` states for ``n`` independent targets.

    Each proposal is uniform among the other ``m - 1`` states and is accepted
    with probability ``min(1, exp(log_p[new] - log_p[old]))``. All ``n *
    n_chains`` chains advance in one vectorized step.

    Parameters
    ----------
    log_p : array-like of shape (n, m)
        Unnormalized log-probabilities; ``-inf`` marks forbidden states.
    n_chains : int
        Chains per target.
    n_steps : int
        Iterations, burn-in included.
    random_state : int, RandomState instance or None
    init : array-like of int of shape (n, n_chains), default=None
        Starting states; uniform over the allowed states when None.
    burn_in : int, default=0
        Iterations to drop.

    Returns
    -------
    states : ndarray of int of shape (n_steps - burn_in, n, n_chains)
    acceptance_rate : float
        Accepted fraction of all proposals, burn-in included.

    See Also
    --------
    categorical_frequencies : Visit frequencies of the returned states.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import categorical_frequencies, mh_categorical
    >>> log_p = np.log([[0.5, 0.3, 0.2, 1.0]])
    >>> log_p[0, 3] = -np.inf  # a forbidden state
    >>> states, rate = mh_categorical(log_p, n_chains=50, n_steps=1000,
    ...                               random_state=0, burn_in=100)
    >>> states.shape
    (900, 1, 50)
    >>> categorical_frequencies(states, 4).round(1)
    array([[0.5, 0.3, 0.2, 0. ]])
    """
    log_p = np.asarray(log_p, dtype=float)
    if log_p.ndim != 2 or log_p.shape[1] == 0:
        raise ValueError(f"log_p must have shape (n, m) with m >= 1, got {log_p.shape}.")
    if np.isnan(log_p).any() or np.isposinf(log_p).any():
        raise ValueError("log_p must not contain NaN or +inf.")
    for name, value, low in [("n_chains", n_chains, 1), ("n_steps", n_steps, 1),
                             ("burn_in", burn_in, 0)]:
        if not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    if burn_in >= n_steps:
        raise ValueError(f"burn_in={burn_in} must be smaller than n_steps={n_steps}.")
    n, m = log_p.shape
    allowed = log_p > -np.inf
    empty = ~allowed.any(axis=1)
    if empty.any():
        raise ValueError(f"Rows {np.flatnonzero(empty).tolist()} of log_p allow no state.")
    gen = _generator(random_state)
    if init is None:
        # The k-th allowed state of each row, k uniform.
        k = np.floor(gen.random((n, n_chains)) * allowed.sum(axis=1)[:, None])
        state = (np.cumsum(allowed, axis=1)[:, None, :] <= k[:, :, None]).sum(axis=2)
    else:
        state = np.asarray(init)
        if state.shape != (n, n_chains) or not np.issubdtype(state.dtype, np.integer):
            raise ValueError(
                f"init must be an int array of shape (n, n_chains) = {(n, n_chains)}, "
                f"got {state.dtype} {state.shape}."
            )
        if (state < 0).any() or (state >= m).any():
            raise ValueError(f"init states must lie in [0, {m}).")
        if not allowed[np.arange(n)[:, None], state].all():
            raise ValueError("init puts chains on forbidden (-inf) states.")
    state = state.astype(np.intp)
    out = np.empty((n_steps - burn_in, n, n_chains), dtype=np.intp)
    if m == 1:
        out[...] = 0
        return out, 0.0

    flat = log_p.ravel()
    offset = (np.arange(n) * m)[:, None]
    lp = flat[offset + state]
    n_accepted = 0
    block = max(1, min(n_steps, _BLOCK // (n * n_chains)))
    t = 0
    while t < n_steps:
        size = min(block, n_steps - t)
        shifts = gen.integers(1, m, size=(size, n, n_chains))
        log_u = -gen.standard_exponential((size, n, n_chains))
        for i in range(size):
            new = state + shifts[i]
            new[new >= m] -= m
            lp_new = flat[offset + new]
            accept = log_u[i] < lp_new - lp
            np.copyto(state, new, where=accept)
            np.copyto(lp, lp_new, where=accept)
            n_accepted += np.count_nonzero(accept)
            if t + i >= burn_in:
                out[t + i - burn_in] = state
        t += size
    return out, n_accepted / (n_steps * n * n_chains)


def categorical_frequencies(states, m):
    """Visit frequency of each state for each target.

    Parameters
    ----------
    states : array-like of int of shape (n_steps, n, n_chains)
        As returned by :func:`mh_categorical`.
    m : int
        Number of states.

    Returns
    -------
    frequencies : ndarray of shape (n, m)
        Rows sum to one.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import categorical_frequencies
    >>> states = np.array([[[0, 1]], [[0, 0]]])  # 2 steps, 1 target, 2 chains
    >>> categorical_frequencies(states, 3)
    array([[0.75, 0.25, 0.  ]])
    """
    states = np.asarray(states)
    if states.ndim != 3 or not np.issubdtype(states.dtype, np.integer):
        raise ValueError("states must be an int array of shape (n_steps, n, n_chains).")
    if states.size and (states.min() < 0 or states.max() >= m):
        raise ValueError(f"states must lie in [0, {m}).")
    n_steps, n, n_chains = states.shape
    index = states + (np.arange(n) * m)[:, None]
    counts = np.bincount(index.ravel(), minlength=n * m).reshape(n, m)
    return counts / max(n_steps * n_chains, 1)
