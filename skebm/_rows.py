"""Identical training rows merged into one weighted row, for full-batch fits."""

import numpy as np
import scipy.sparse as sp


# rows whose keys are computed at a time: the products are made in float64,
# and a block of about 2 MB, not a float64 copy of the whole X, is the
# memory this costs beyond the data
_BLOCK_VALUES = 2**18


def row_block(X, rows):
    """Rows ``rows`` (a slice of step 1) of X, without copying X's values.

    A dense X gives a view. scipy copies the values of a CSR slice; this
    block shares X's data and indices, and only its row pointers are new:
    what changes them in place (``sort_indices``) changes X.
    """
    if not sp.isspmatrix_csr(X) and not isinstance(X, sp.csr_array):
        return X[rows]
    start, stop, _ = rows.indices(X.shape[0])
    stop = max(start, stop)
    first, last = X.indptr[start], X.indptr[stop]
    # the constructor would copy views of a larger array (its prune step);
    # the attributes are public and are set after it
    block = type(X)((stop - start, X.shape[1]), dtype=X.dtype)
    block.indptr = X.indptr[start:stop + 1] - first
    block.indices = X.indices[first:last]
    block.data = X.data[first:last]
    return block


def _keys(X, y):
    # two fixed random projections: equal rows get equal keys, and unequal
    # rows almost surely do not (equality is checked exactly afterwards).
    # Not X @ r: BLAS may sum a row in another order depending on where the
    # row sits, and equal rows must give bitwise equal keys; numpy's sum
    # along a C-contiguous row, and scipy's product of a CSR row, do not
    # depend on it, nor on the block of rows the row is computed in
    rng = np.random.default_rng(0)
    r = rng.standard_normal(X.shape[1])
    kx = np.empty(X.shape[0])
    # stored values per row: all of them, or a sparse row's non-zeros
    per_row = X.nnz / max(1, X.shape[0]) if sp.issparse(X) else X.shape[1]
    step = max(1, int(_BLOCK_VALUES // max(1.0, per_row)))
    for start in range(0, X.shape[0], step):
        rows = slice(start, start + step)
        if sp.issparse(X):
            kx[rows] = np.asarray(row_block(X, rows) @ r, dtype=np.float64).ravel()
        else:
            kx[rows] = np.multiply(X[rows], r, dtype=np.float64,
                                   order="C").sum(axis=1)
    y2 = y.reshape(len(y), -1).astype(np.float64)
    ky = (y2 * rng.standard_normal(y2.shape[1])).sum(axis=1)
    return kx, ky


def _equal_rows(X, y, rows, others):
    """Whether row ``rows[i]`` of (X, y) equals row ``others[i]``."""
    if sp.issparse(X):
        diff = (X[others] - X[rows]).tocsr()
        diff.eliminate_zeros()
        same_x = np.diff(diff.indptr) == 0
    else:
        same_x = np.all(X[others] == X[rows], axis=1)
    y2 = y.reshape(len(y), -1)
    return same_x & np.all(y2[others] == y2[rows], axis=1)


def merge_duplicate_rows(X, y, sample_weight):
    """Merge identical ``(x, y)`` rows, summing their weights, and sort.

    Rows of weight zero are dropped. A full-batch (L-BFGS) fit of the result
    computes the same sums in the same order whether a row comes ``k`` times
    or once with weight ``k``: integer weights then act as repetitions to the
    last bit, not only up to the rounding that a non-convex or kinked
    objective amplifies into another fit. The rows are sorted (whatever
    their order, then, the sums are the same), but two cases keep the
    caller's order: data without duplicate rows and with equal weights is
    returned unchanged, and data whose rows all come equally often gives
    their first copies.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    X, y, sample_weight : the merged rows, sorted (but in the two cases
        above), and their total weights

    Examples
    --------
    >>> import numpy as np
    >>> from skebm._rows import merge_duplicate_rows
    >>> X = np.array([[1.0, 0.0], [2.0, 1.0], [1.0, 0.0]])
    >>> Xm, ym, wm = merge_duplicate_rows(X, np.array([0, 1, 0]), np.ones(3))
    >>> sorted(zip(Xm[:, 0].tolist(), ym.tolist(), wm.tolist()))
    [(1.0, 0, 2.0), (2.0, 1, 1.0)]
    """
    if sp.issparse(X):
        # one layout per row content: sorted indices, no duplicate entries.
        # A CSR matrix in that layout already is used as it is, not copied
        csr = X.tocsr()
        if not csr.has_canonical_format:
            csr = csr.copy() if csr is X else csr
            csr.sum_duplicates()
        X = csr
    positive = sample_weight > 0
    if not positive.all():
        X, y, sample_weight = X[positive], y[positive], sample_weight[positive]
    kx, ky = _keys(X, y)
    order = np.lexsort((ky, kx))
    kx, ky = kx[order], ky[order]
    candidates = np.flatnonzero((kx[1:] == kx[:-1]) & (ky[1:] == ky[:-1]))
    if not candidates.size and np.all(sample_weight == sample_weight[0]):
        # the common case, kept in the caller's order: dropping rows of
        # weight zero is then the same as not passing them
        return X, y, sample_weight
    # in sorted order, whether each row starts a group of equal rows; the
    # rows are compared, and kept, through ``order``: one copy of the merged
    # rows, not a sorted copy of all of them first
    first = np.ones(len(y), dtype=bool)
    if candidates.size:
        same = _equal_rows(X, y, order[candidates], order[candidates + 1])
        first[candidates[same] + 1] = False
    group = np.cumsum(first) - 1
    weight = np.bincount(group, weights=sample_weight[order]).astype(
        sample_weight.dtype)
    keep = order[first]
    if np.all(weight == weight[0]):
        # every row k times, as one row of weight k would be passed: the
        # first copies, in the caller's order (the common case's), so that
        # alpha="auto" holds out the same rows either way (lexsort is
        # stable: a group's first row is its first copy)
        by_position = np.argsort(keep)
        keep, weight = keep[by_position], weight[by_position]
    return X[keep], y[keep], weight
