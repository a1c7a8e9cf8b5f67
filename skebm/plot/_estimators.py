"""What a display reads from what it is given: the fitted model (a search's
best estimator, a pipeline's final step) and the names of its inputs."""

from numbers import Integral

import numpy as np
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted


def searched(estimator):
    """The refitted ``best_estimator_`` of a fitted search (GridSearchCV,
    RandomizedSearchCV, the halving searches), else ``estimator`` itself.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skebm.plot._estimators import searched
    >>> search = GridSearchCV(Ridge(), {"alpha": [1.0]}, cv=2)
    >>> search = search.fit([[0], [1], [2], [3]], [0, 1, 2, 3])
    >>> type(searched(search)).__name__
    'Ridge'
    """
    if not isinstance(estimator, BaseSearchCV):
        return estimator
    check_is_fitted(estimator)
    if not hasattr(estimator, "best_estimator_"):
        raise ValueError(f"This {type(estimator).__name__} was fitted with "
                         "refit=False: it has no best_estimator_ to plot.")
    return estimator.best_estimator_


def final_step(estimator):
    """The model at the end of ``estimator``: a search's best estimator, then
    a pipeline's final step."""
    estimator = searched(estimator)
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def input_columns(estimator, X):
    """The names of the columns of ``X`` (the estimator's if ``X`` has
    none), refused where they differ from those it was fitted on: the grid
    would be read in another order, silently."""
    fitted = getattr(estimator, "feature_names_in_", None)
    columns = getattr(X, "columns", None)
    if columns is None:
        return fitted
    columns = np.asarray([str(c) for c in columns], dtype=object)
    if fitted is not None and list(columns) != list(fitted):
        raise ValueError(
            "The feature names of X should match those that were passed "
            f"during fit: {list(fitted)}, in that order; X has {list(columns)}.")
    return columns


def position(key, names, what):
    """The position of ``key``: an int as it is, a string as the index of
    that name in ``names``."""
    if isinstance(key, str):
        names = [] if names is None else [str(name) for name in names]
        if key not in names:
            raise ValueError(f"{what}: {key!r} is none of {names}.")
        return names.index(key)
    if not isinstance(key, Integral) or isinstance(key, bool):
        raise TypeError(f"{what} must hold ints or names, got {key!r}.")
    return int(key)


def feature_names(names, n):
    """Axis labels of ``n`` features: ``names``, or numbered."""
    if names is not None and len(names) == n:
        return [str(s) for s in names]
    return [f"feature {i}" for i in range(n)]
