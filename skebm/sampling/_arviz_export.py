"""Export of a fitted sampler's chains to ArviZ, imported only when asked."""

import warnings

import numpy as np


def _import_arviz():
    try:
        with warnings.catch_warnings():
            # ArviZ 0.2x announces its coming 1.0 refactor on import: news
            # about ArviZ's API, not about this call.
            warnings.simplefilter("ignore", FutureWarning)
            import arviz
    except ImportError as exc:
        raise ImportError(
            "MHSampler.to_arviz needs ArviZ, which is not installed: "
            "pip install arviz (or pip install \".[arviz]\" from a clone of skebm)."
        ) from exc
    return arviz


def _inference_data(chain, lp_chain, accepted, step_size=None, log_likelihood=None):
    """ArviZ's InferenceData of chains stored iteration-major.

    The posterior holds ``theta`` with dimensions (chain, draw, theta_dim);
    the sample statistics hold ArviZ's conventional ``lp`` (log density),
    ``accepted`` (whether that draw's proposal was accepted) and, for the
    Gaussian random walk, ``step_size``; ``log_likelihood`` (chain, draw,
    obs), when given, is the log_likelihood group's ``obs``.
    """
    az = _import_arviz()
    n_kept, n_chains, n_dim = chain.shape
    stats = {"lp": lp_chain.T, "accepted": accepted.T}
    if step_size is not None:
        stats["step_size"] = np.repeat(
            np.broadcast_to(step_size, (n_chains,))[:, None], n_kept, axis=1
        )
    coords, dims = {"theta_dim": np.arange(n_dim)}, {"theta": ["theta_dim"]}
    pointwise = {}
    if log_likelihood is not None:
        pointwise = {"log_likelihood": {"obs": log_likelihood}}
        coords["obs_dim"] = np.arange(log_likelihood.shape[2])
        dims["obs"] = ["obs_dim"]
    return az.from_dict(
        posterior={"theta": np.moveaxis(chain, 0, 1)},
        sample_stats=stats,
        coords=coords,
        dims=dims,
        attrs={"inference_library": "skebm"},
        **pointwise,
    )
