"""skebm past one process: a Dask cluster of worker processes runs a grid
search and Metropolis-Hastings chains through joblib, and dask-ml's
Incremental trains EnergyClassifier block by block through ``partial_fit``.

One LocalCluster (two worker processes, one thread each, loopback only) is
started for the module. Every test checks both that the result equals the
one-process result and that the work really ran in the workers.
"""

import os

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier, MHSampler

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        yield client


def worker_pids(client):
    return set(client.run(os.getpid).values())


def workers_of(tasks):
    """The workers that ran the recorded tasks."""
    return {task["worker"] for task in tasks}


def pid_of_the_process(estimator, X, y):
    """A scorer that reports where it ran: the process id."""
    return float(os.getpid())


def test_grid_search_over_losses_and_energies_runs_on_the_workers(client):
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), EnergyClassifier(
            hidden_layer_sizes=(8,), max_iter=500, random_state=0)),
        {"energyclassifier__loss": ["nll", "hinge", "log"],
         "energyclassifier__energy": ["linear", "mlp"]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring={"accuracy": "accuracy", "pid": pid_of_the_process},
        refit="accuracy", n_jobs=2)
    serial = clone(search).set_params(n_jobs=1).fit(X, y)
    with parallel_config(backend="dask"):
        spread = search.fit(X, y)

    for key, value in serial.cv_results_.items():
        if "accuracy" in key or key == "params":
            np.testing.assert_array_equal(spread.cv_results_[key], value,
                                          err_msg=key)
    assert spread.best_params_ == serial.best_params_
    assert serial.best_score_ > 0.9
    pids = {spread.cv_results_[f"split{k}_test_pid"][i]
            for k in range(3) for i in range(6)}
    assert pids <= worker_pids(client) and os.getpid() not in pids
    assert len(pids) == 2  # both workers took fits


def test_sampler_chains_spread_over_the_workers_are_the_same_chains(client):
    # a frozen scipy distribution: importable on the workers, vectorized
    from scipy.stats import multivariate_normal

    target = multivariate_normal([1.0, -2.0], [[1.0, 0.6], [0.6, 2.0]])
    sampler = MHSampler(target.logpdf, vectorized=True, init=[0.0, 0.0],
                        n_chains=8, n_steps=2000, random_state=0)
    serial = clone(sampler).set_params(n_jobs=1).fit()
    with distributed.get_task_stream(client) as stream, \
            parallel_config(backend="dask"):
        spread = clone(sampler).set_params(n_jobs=2).fit()

    for name in ["chain_", "log_prob_chain_", "accepted_chain_", "n_accepted_",
                 "step_size_"]:
        np.testing.assert_array_equal(getattr(spread, name),
                                      getattr(serial, name), err_msg=name)
    assert np.all(np.abs(spread.mean_ - [1.0, -2.0]) < 0.2)
    assert len(workers_of(stream.data)) == 2


def test_incremental_partial_fit_over_dask_blocks_matches_one_fit(client):
    dask_ml_wrappers = pytest.importorskip(
        "dask_ml.wrappers", reason="dask-ml (the dask extra) is not installed")
    X, y = make_classification(n_samples=24000, n_features=20, n_informative=10,
                               n_classes=3, n_clusters_per_class=1,
                               random_state=0)
    X_train, y_train, X_test, y_test = X[:20000], y[:20000], X[20000:], y[20000:]
    Xd = da.from_array(X_train, chunks=5000)  # four blocks
    yd = da.from_array(y_train, chunks=5000)
    inc = dask_ml_wrappers.Incremental(
        EnergyClassifier(solver="adam", learning_rate_init=0.01, random_state=0),
        shuffle_blocks=True, random_state=0)
    local = clone(inc)
    with distributed.get_task_stream(client) as stream:
        for _ in range(3):  # one partial_fit call is one pass over the blocks
            inc.partial_fit(Xd, yd, classes=[0, 1, 2])
    with dask.config.set(scheduler="synchronous"):  # in this process
        for _ in range(3):
            local.partial_fit(Xd, yd, classes=[0, 1, 2])

    assert inc.estimator_.t_ == 3 * 20000
    # dask-ml keys the partial_fit of block i ("fit-<token>", i); -1 is the
    # unfitted estimator it starts from
    block_fits = [task for task in stream.data if isinstance(task["key"], tuple)
                  and task["key"][0].startswith("fit-") and task["key"][1] >= 0]
    assert len(block_fits) == 3 * 4
    assert workers_of(stream.data) <= set(client.scheduler_info()["workers"])
    # the cluster changes where blocks are fitted, not what is fitted
    np.testing.assert_array_equal(inc.estimator_.energy_.params_,
                                  local.estimator_.energy_.params_)
    in_memory = EnergyClassifier().fit(X_train, y_train).score(X_test, y_test)
    assert in_memory > 0.8
    assert abs(inc.score(X_test, y_test) - in_memory) < 0.01
