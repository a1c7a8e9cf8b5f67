"""The fitted model behind what a display is given: a search's best
estimator, a pipeline's final step."""

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted


def searched(estimator):
    """The refitted ``best_estimator_`` of a fitted search (GridSearchCV and
    the like), else ``estimator`` itself.

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
    if not all(hasattr(estimator, name) for name in ("estimator", "cv", "refit")):
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
