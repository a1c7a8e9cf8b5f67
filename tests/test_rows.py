"""Identical rows merged into weights before a full-batch fit."""

import numpy as np
import pytest
import scipy.sparse as sp

from skebm import EnergyClassifier, EnergyRegressor
from skebm._rows import merge_duplicate_rows, row_block


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csr_array])
def test_repeated_rows_and_integer_weights_give_the_same_arrays(container):
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(12, 4)), 1)
    X[3, 1] = 0.0  # an explicit zero in the sparse layout of one copy
    y = rng.integers(0, 3, 12)
    w = rng.integers(0, 4, 12).astype(float)
    order = rng.permutation(12)
    a = merge_duplicate_rows(container(X[order]), y[order], w[order])
    b = merge_duplicate_rows(container(X.repeat(w.astype(int), axis=0)),
                             y.repeat(w.astype(int)), np.ones(int(w.sum())))
    dense = [m.toarray() if sp.issparse(m) else m for m in (a[0], b[0])]
    np.testing.assert_array_equal(dense[0], dense[1])
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    assert len(a[1]) == np.count_nonzero(w) and a[2].sum() == w.sum()


def test_distinct_rows_of_equal_weight_are_left_as_they_are():
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0, 1, 0, 1, 0, 1])
    Xm, ym, wm = merge_duplicate_rows(X, y, np.full(6, 2.0))
    assert Xm is X and ym is y and np.all(wm == 2.0)


def test_rows_all_repeated_alike_keep_the_order_of_their_first_copies():
    # as one row of weight k is left: alpha="auto" then holds out the same
    # rows (sorted copies chose alpha 0.1 where the weights chose 10)
    X = np.random.default_rng(0).normal(size=(6, 2))
    y = np.arange(6) % 2
    for X_copies, y_copies in [(np.vstack([X] * 3), np.tile(y, 3)),
                               (X.repeat(3, axis=0), y.repeat(3))]:
        Xm, ym, wm = merge_duplicate_rows(X_copies, y_copies, np.ones(18))
        np.testing.assert_array_equal(Xm, X)
        np.testing.assert_array_equal(ym, y)
        assert np.all(wm == 3.0)
    rng = np.random.RandomState(0)
    X = rng.randn(200, 4)
    y = X @ [1.0, 2.0, 0.0, 0.0] + 0.1 * rng.randn(200)
    weighted = EnergyRegressor(random_state=0).fit(X, y,
                                                  sample_weight=np.full(200, 5.0))
    repeated = EnergyRegressor(random_state=0).fit(np.vstack([X] * 5), np.tile(y, 5))
    assert weighted.alpha_ == repeated.alpha_
    np.testing.assert_array_equal(weighted.predict(X), repeated.predict(X))


def test_same_answer_and_same_features_only_are_merged():
    X = np.zeros((3, 2))
    Xm, ym, wm = merge_duplicate_rows(X, np.array([0, 1, 0]), np.ones(3))
    assert sorted(zip(ym.tolist(), wm.tolist())) == [(0, 2.0), (1, 1.0)]


# about rows, not convergence: 60 iterations may end short of it and warn
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator, kw", [
    (EnergyClassifier, dict(loss="hinge", energy="mlp", hidden_layer_sizes=(8,))),
    (EnergyRegressor, dict(energy="joint", hidden_layer_sizes=(8,))),
])
def test_lbfgs_fit_ignores_row_order_and_weights_are_repetitions(Estimator, kw):
    # a non-convex objective: without the merge, rounding differences
    # between the two sums send L-BFGS to different points
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    w = rng.integers(1, 4, 30)
    est = Estimator(max_iter=60, random_state=0, **kw)
    method = "predict_proba" if Estimator is EnergyClassifier else "predict"
    order = rng.permutation(30)
    est.fit(X[order], y[order], sample_weight=w[order].astype(float))
    weighted = getattr(est, method)(X)
    repeated = getattr(est.fit(X.repeat(w, axis=0), y.repeat(w)), method)(X)
    np.testing.assert_array_equal(weighted, repeated)


@pytest.mark.parametrize("sparse", [False, True])
def test_no_copy_of_the_data_when_no_row_is_merged(sparse):
    # a million-row fit must not pay a float64 copy of X for finding no
    # duplicate: the keys are made a block of rows at a time
    import tracemalloc

    rng = np.random.default_rng(0)
    if sparse:
        cols = np.sort(rng.choice(5_000, size=(50_000, 60)), axis=1)
        X = sp.csr_matrix((rng.random(cols.size).astype(np.float32), cols.ravel(),
                           np.arange(0, cols.size + 1, 60)), shape=(50_000, 5_000))
        X.sum_duplicates()  # canonical: sorted, no duplicate entries
        size = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    else:
        X = rng.normal(size=(100_000, 50)).astype(np.float32)
        size = X.nbytes
    y = np.arange(X.shape[0])
    tracemalloc.start()
    try:
        Xm, _, _ = merge_duplicate_rows(X, y, np.ones(X.shape[0], dtype=np.float32))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert Xm is X
    assert peak < 0.5 * size


def test_sparse_rows_are_used_as_they_are_or_copied_before_canonicalizing():
    X = sp.random(200, 30, density=0.1, format="csr", random_state=0)
    assert merge_duplicate_rows(X, np.arange(200), np.ones(200))[0] is X
    # a duplicate entry in one row: summed in a copy, the caller's matrix kept
    X = sp.csr_matrix((np.ones(3), np.array([1, 1, 0]), np.array([0, 3])),
                      shape=(1, 3))
    Xm, _, _ = merge_duplicate_rows(X, np.zeros(1, dtype=int), np.ones(1))
    assert X.nnz == 3 and Xm.nnz == 2
    np.testing.assert_array_equal(Xm.toarray(), [[1.0, 2.0, 0.0]])


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array, np.asarray])
@pytest.mark.parametrize("rows", [slice(0, 40), slice(7, 23), slice(30, 60),
                                  slice(40, 40)])
def test_a_row_block_equals_the_slice_and_shares_the_values(container, rows):
    X = container(sp.random(40, 9, density=0.3, random_state=0,
                            dtype=np.float32).toarray())
    block = row_block(X, rows)
    assert type(block) is type(X) and block.dtype == np.float32
    dense = block.toarray() if sp.issparse(block) else block
    expected = X[rows].toarray() if sp.issparse(X) else X[rows]
    np.testing.assert_array_equal(dense, expected)
    values = block.data if sp.issparse(block) else block
    assert values.size == 0 or np.shares_memory(
        values, X.data if sp.issparse(X) else X)
