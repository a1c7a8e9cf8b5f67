"""MHSampler: Metropolis-Hastings as a scikit-learn estimator."""

import sys
import warnings
from numbers import Integral, Real

import emcee
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm import tqdm

from .._restore import restore_on_error
from ._densities import _log_posterior
from ._emcee_runner import _run_emcee
from ._arviz_export import _inference_data
from ._chain_groups import _run_chain_groups
from ._random import _generator
from ._sampler_diagnostics import _ChainDiagnosticsMixin, warn_if_unconverged
from ._scoring import HeldOutScoreMixin, _pointwise_log_likelihood
from ._starts import _initial_states


class MHSampler(_ChainDiagnosticsMixin, HeldOutScoreMixin, DensityMixin,
                BaseEstimator):
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
        one dimension and 0.234 in many, then freezes it. It is tuned per
        group of chains (see ``n_jobs``), so that the result does not depend
        on how the groups are spread over processes. Only used by
        ``move="gaussian"``; emcee moves carry their own scale.
    burn_in : float in [0, 1) or int, default=0.5
        Fraction of ``n_steps``, or number of iterations, to drop.
    thin : int, default=1
        Keep every ``thin``-th iteration after burn-in.
    move : {"gaussian", "stretch", "de"}, emcee Move or list, default="gaussian"
        ``"gaussian"`` is the native vectorized random walk. The others run
        through :class:`emcee.EnsembleSampler`, with the chains as walkers;
        a list of Moves, or of ``(Move, weight)`` pairs, mixes them as emcee
        does.
    progress : bool, default=False
        Show a tqdm progress bar on standard error, counting draws (chains
        times iterations, burn-in included). It is tqdm's plain text bar,
        which works in a terminal, a log file and a notebook alike. With
        ``n_jobs > 1`` it advances as groups of chains finish.
    n_jobs : int, default=None
        Processes for ``move="gaussian"``, through joblib: None means 1
        unless in a :func:`joblib.parallel_config` context, -1 all cores.
        The chains form ``min(n_chains, 8)`` groups, a number fixed by
        ``n_chains`` alone; each group has its own random stream, spawned
        from ``random_state``, and its own tuned ``step_size``. Workers take
        whole groups, so the same ``random_state`` gives the same chains for
        any ``n_jobs`` (provided the log density of one parameter vector does
        not depend on the others evaluated with it). Parallel runs pay off
        for costly log densities, the scalar ones above all; in one process
        all chains already share each vectorized call. emcee moves couple
        their walkers and run in this process.
    random_state : int, RandomState instance or None, default=None
        Seeds the starting jitter and the chains; an int gives the same
        result on every fit.

    Attributes
    ----------
    chain_ : ndarray of shape (n_kept, n_chains, n_dim)
    log_prob_chain_ : ndarray of shape (n_kept, n_chains)
    accepted_chain_ : ndarray of bool of shape (n_kept, n_chains)
        Whether the proposal of each kept iteration was accepted.
    samples_ : ndarray of shape (n_kept * n_chains, n_dim)
        ``chain_`` flattened, iteration-major.
    n_accepted_ : ndarray of shape (n_chains,)
        Accepted proposals of each chain over all ``n_steps`` iterations.
    acceptance_rate_ : ndarray of shape (n_chains,)
        ``n_accepted_ / n_steps``.
    step_size_ : ndarray of shape (n_chains,) or None
        The proposal scale of each chain's kept iterations, shared within a
        group of chains (None for emcee moves).
    r_hat_ : ndarray of shape (n_dim,)
        Rank-normalized, folded split R-hat (Vehtari et al. 2021): the larger
        of the split R-hat of the rank-normalized draws and of the draws
        folded about their median. Run longer while it exceeds 1.01. With
        one chain, its two halves are compared.
    ess_ : ndarray of shape (n_dim,)
        Bulk effective sample size: the ESS of the rank-normalized split
        chains, by Geyer's initial monotone sequence. The Monte Carlo
        standard error of ``mean_`` is about ``std_ / sqrt(ess_)``.
    ess_tail_ : ndarray of shape (n_dim,)
        Tail effective sample size: the smaller ESS of the indicators of the
        5% and 95% quantiles, which governs credible intervals.
    autocorr_time_ : ndarray of shape (n_dim,)
        Integrated autocorrelation time implied by the bulk ESS,
        ``n_kept * n_chains / ess_``, in kept (thinned) iterations.
    mean_, std_ : ndarray of shape (n_dim,)
        Posterior mean and standard deviation estimated from ``samples_``.
    n_features_in_ : int
        Number of columns of ``X`` (only when ``X`` was given to ``fit``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when ``X`` has string column names.

    Notes
    -----
    ``r_hat_``, ``ess_``, ``ess_tail_`` and ``autocorr_time_`` match ArviZ's
    ``rhat(method="rank")`` and ``ess(method="bulk" / "tail")`` of the same
    draws (except that ArviZ gives no R-hat for one chain, an ESS of
    ``n_kept * n_chains`` rather than NaN for a dimension that never moved,
    and a tail ESS that may differ where a 5% or 95% quantile falls on a
    draw repeated by rejections: ArviZ's quantile can land one ulp below it
    and leave its copies out).
    They rank every kept draw, which can cost more than sampling a cheap
    target: they are computed from ``chain_`` when first read, and cached.

    References
    ----------
    A. Vehtari, A. Gelman, D. Simpson, B. Carpenter and P.-C. Bürkner,
    "Rank-normalization, folding, and localization: an improved R-hat for
    assessing convergence of MCMC", Bayesian Analysis 16 (2021) 667-718.

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
        "move": [StrOptions({"gaussian", "stretch", "de"}), emcee.moves.Move, list],
        "progress": ["boolean"],
        "n_jobs": [Integral, None],
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
        n_jobs=None,
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
        self.n_jobs = n_jobs
        self.random_state = random_state

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

    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Run the chains.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_obs, n_features), default=None
            Data of ``log_likelihood``; validated and otherwise ignored with
            ``log_prob``.
        y : None
            Ignored.

        Returns
        -------
        self : MHSampler

        Warns
        -----
        ConvergenceWarning
            Where the classic split R-hat of a dimension exceeds 1.1 (the
            chains disagree) or is undefined (they did not move), or fewer
            than 4 draws per chain are kept.
        """
        if X is not None:
            X = validate_data(self, X, accept_sparse=["csr", "csc"])
        else:
            # no data, no columns: none of an earlier fit's either
            for name in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(name, None)
        log_target = _log_posterior(
            self.log_prob, self.log_likelihood, self.log_prior, self.vectorized, X
        )
        gen = _generator(self.random_state)
        n_steps = self.n_steps
        n_burn = self._burn_in_steps()
        native = isinstance(self.move, str) and self.move == "gaussian"
        if native and self.step_size == "auto" and n_burn == 0:
            raise ValueError(
                "step_size='auto' is tuned during burn-in: set burn_in > 0."
            )
        step0 = 1.0 if self.step_size == "auto" else float(self.step_size)

        theta, lp = _initial_states(self.init, self.n_chains, log_target, step0, gen)
        pbar = self._progress_bar()
        try:
            if native:
                run = _run_chain_groups(
                    log_target, theta, lp, n_steps, n_burn, self.thin,
                    self.step_size, gen, self.n_jobs, pbar,
                )
                chain, lp_chain, accepted = run.chain, run.lp_chain, run.accepted
                n_acc, n_invalid, step = run.n_accepted, run.n_invalid, run.step
                first = run.first_invalid and "iteration {}, chain {}".format(
                    *run.first_invalid)
            else:
                chain, lp_chain, accepted, n_acc, n_invalid, first = _run_emcee(
                    self.move, log_target, theta, lp, n_steps, n_burn, self.thin,
                    gen, pbar,
                )
                step = None
        finally:
            if pbar is not None:
                pbar.close()
        if n_invalid:
            warnings.warn(
                f"The log density returned NaN for {n_invalid} proposals "
                f"(first at {first}); they were rejected.",
                UserWarning,
            )

        self.__dict__.pop("_diagnostics_cache", None)
        self.chain_ = chain
        self.log_prob_chain_ = lp_chain
        self.accepted_chain_ = accepted
        self.samples_ = chain.reshape(-1, chain.shape[2])
        self.n_accepted_ = n_acc
        self.acceptance_rate_ = n_acc / n_steps
        self.step_size_ = step
        self.mean_ = self.samples_.mean(axis=0)
        self.std_ = self.samples_.std(axis=0)
        warn_if_unconverged(chain)
        return self

    def _progress_bar(self):
        if not self.progress:
            return None
        return tqdm(total=self.n_steps * self.n_chains, desc=type(self).__name__,
                    unit="draw", unit_scale=True, file=sys.stderr)

    def to_arviz(self, X=None):
        """The chains as ArviZ's InferenceData, for its plots and summaries.

        Needs ArviZ (``pip install arviz``), imported only here.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_obs, n_features), default=None
            With ``log_likelihood``, rows (usually those given to
            :meth:`fit`) whose log-likelihood under every kept draw fills
            the log_likelihood group, which ``az.loo`` and ``az.waic`` read:
            ``n_chains * n_kept * n_obs`` values.

        Returns
        -------
        idata : arviz.InferenceData
            The posterior group holds ``theta`` with dimensions ``(chain,
            draw, theta_dim)``; the sample_stats group holds ``lp`` (the log
            density of each draw), ``accepted`` (whether that iteration's
            proposal was accepted) and, for ``move="gaussian"``,
            ``step_size``; with ``X``, the log_likelihood group holds ``obs``
            with dimensions ``(chain, draw, obs_dim)``.

        Examples
        --------
        >>> import numpy as np
        >>> from skebm.sampling import MHSampler
        >>> def log_prob(theta):
        ...     return -0.5 * np.sum(theta**2, axis=-1)
        >>> mh = MHSampler(log_prob, vectorized=True, init=[0.0, 0.0],
        ...                n_steps=2000, random_state=0).fit()
        >>> idata = mh.to_arviz()
        >>> idata.posterior["theta"].shape
        (4, 1000, 2)
        >>> import arviz as az
        >>> summary = az.summary(idata, round_to="none")
        >>> bool(np.allclose(summary["r_hat"], mh.r_hat_))
        True
        """
        check_is_fitted(self)
        pointwise = None
        if X is not None:
            if self.log_likelihood is None:
                raise ValueError(
                    "to_arviz(X) stores the log_likelihood of each draw at the "
                    "rows of X, and this sampler has a log_prob, no "
                    "log_likelihood: call to_arviz() without X.")
            pointwise = _pointwise_log_likelihood(
                self.log_likelihood, self.vectorized, self.chain_,
                self._check_data(X))
        return _inference_data(
            self.chain_, self.log_prob_chain_, self.accepted_chain_,
            self.step_size_, pointwise,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # X only reaches the user's log_likelihood, which may read sparse rows
        tags.input_tags.sparse = True
        return tags
