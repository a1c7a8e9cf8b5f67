"""TraceDisplay: trace, histogram and autocorrelation of one dimension of a
fitted MHSampler's chains."""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..sampling import autocorr_function
from ._matplotlib import import_pyplot


class TraceDisplay:
    """Trace, histogram and autocorrelation of one dimension of an MCMC run.

    Use :meth:`from_estimator` to create it.

    Parameters
    ----------
    chain : ndarray of shape (n_kept, n_chains)
        The kept samples of one dimension, per chain.
    autocorrelation : ndarray of shape (max_lag + 1, n_chains)
        Normalized autocorrelation of each chain at lags ``0..max_lag``, as
        from :func:`skebm.sampling.autocorr_function`; NaN for a chain that
        never moves.
    dim : int
        The dimension shown.
    autocorr_time : float or None
        Integrated autocorrelation time of that dimension.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The trace of each chain.
    hist_ : tuple
        What :meth:`matplotlib.axes.Axes.hist` returned.
    acf_lines_ : list of matplotlib Line2D
        The autocorrelation of each chain.
    axes_ : ndarray of three matplotlib Axes
        Trace, histogram and autocorrelation panels.
    ax_ : matplotlib Axes
        The trace panel (``axes_[0]``).
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skebm import MHSampler
    >>> from skebm.plot import TraceDisplay
    >>> sampler = MHSampler(lambda t: -0.5 * np.sum(t ** 2), init=np.zeros(2),
    ...                     n_steps=500, n_chains=2, random_state=0).fit()
    >>> disp = TraceDisplay.from_estimator(sampler, dim=1)
    >>> disp.chain.shape == sampler.chain_[:, :, 1].shape
    True
    >>> len(disp.axes_)
    3
    """

    def __init__(self, *, chain, autocorrelation, dim=0, autocorr_time=None):
        self.chain = chain
        self.autocorrelation = autocorrelation
        self.dim = dim
        self.autocorr_time = autocorr_time

    def plot(self, ax=None, *, bins=40):
        """Draw the three panels.

        Parameters
        ----------
        ax : array-like of three matplotlib Axes, default=None
            Axes for the trace, the histogram and the autocorrelation; a new
            figure with three panels is created when None.
        bins : int, default=40
            Number of histogram bins.

        Returns
        -------
        display : TraceDisplay
        """
        plt = import_pyplot("TraceDisplay.plot")
        if ax is None:
            _, axes = plt.subplots(1, 3, figsize=(13, 3.5))
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if axes.size != 3:
                raise ValueError(f"TraceDisplay needs 3 Axes, got {axes.size}.")
        trace_ax, hist_ax, acf_ax = axes
        n_chains = self.chain.shape[1]
        label = f"theta[{self.dim}]"
        self.lines_ = [trace_ax.plot(self.chain[:, c], lw=0.6,
                                     label=f"chain {c}")[0]
                       for c in range(n_chains)]
        trace_ax.set_xlabel("iteration (kept)")
        trace_ax.set_ylabel(label)
        trace_ax.set_title(f"Trace of {label}")

        samples = self.chain.ravel()
        self.hist_ = hist_ax.hist(samples, bins=bins, density=True,
                                  color="C0", alpha=0.7, label="kept samples")
        hist_ax.axvline(samples.mean(), color="k", ls="--",
                        label=f"mean {samples.mean():.3g}")
        hist_ax.set_xlabel(label)
        hist_ax.set_ylabel("density")
        hist_ax.set_title(f"Histogram of {label}")

        lags = np.arange(self.autocorrelation.shape[0])
        self.acf_lines_ = [acf_ax.plot(lags, self.autocorrelation[:, c],
                                       lw=0.8, label=f"chain {c}")[0]
                           for c in range(n_chains)]
        acf_ax.axhline(0.0, color="k", lw=0.5)
        acf_ax.set_xlabel("lag")
        acf_ax.set_ylabel("autocorrelation")
        title = "Autocorrelation"
        if self.autocorr_time is not None and np.isfinite(self.autocorr_time):
            title += f" (tau = {self.autocorr_time:.1f})"
        acf_ax.set_title(title)

        if n_chains <= 10:
            trace_ax.legend(fontsize="small", loc="upper right")
            acf_ax.legend(fontsize="small", loc="upper right")
        hist_ax.legend(fontsize="small")
        if ax is None:
            trace_ax.figure.tight_layout()
        self.axes_ = np.asarray(axes, dtype=object)
        self.ax_ = trace_ax
        self.figure_ = trace_ax.figure
        return self

    @classmethod
    def from_estimator(cls, sampler, *, dim=0, max_lag=None, ax=None):
        """Plot the diagnostics of one dimension of a fitted MHSampler.

        Parameters
        ----------
        sampler : MHSampler, fitted
            Uses ``chain_`` of shape (n_kept, n_chains, n_dim) and
            ``autocorr_time_``.
        dim : int, default=0
            The dimension to show.
        max_lag : int, default=None
            Largest lag of the autocorrelation. None uses five times the
            autocorrelation time (at least 50), capped at ``n_kept - 1``.
        ax : array-like of three matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        display : TraceDisplay
        """
        from ..sampling import MHSampler

        if not isinstance(sampler, MHSampler):
            raise TypeError("TraceDisplay plots the chains of an MHSampler; got "
                            f"{type(sampler).__name__}.")
        check_is_fitted(sampler, "chain_")
        chain = np.asarray(sampler.chain_)
        n_dim = chain.shape[2]
        if not isinstance(dim, Integral) or isinstance(dim, bool):
            raise TypeError(f"dim must be an int, got {dim!r}.")
        if not 0 <= dim < n_dim:
            raise ValueError(f"dim={dim} out of range for {n_dim} dimension(s).")
        tau = getattr(sampler, "autocorr_time_", None)
        tau = None if tau is None else float(np.atleast_1d(tau)[dim])
        if max_lag is None:
            max_lag = 50 if tau is None or not np.isfinite(tau) else \
                max(50, int(np.ceil(5 * tau)))
        max_lag = max(int(min(max_lag, chain.shape[0] - 1)), 0)
        acf = autocorr_function(chain[:, :, dim:dim + 1])[:max_lag + 1, :, 0]
        disp = cls(chain=chain[:, :, dim], autocorrelation=acf, dim=dim,
                   autocorr_time=tau)
        return disp.plot(ax=ax)
