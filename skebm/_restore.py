"""Fitting that raises leaves the estimator as it was."""

import functools


def restore_on_error(method):
    """Leave the estimator exactly as it was when ``method`` raises: no
    half-updated model, no new ``n_features_in_`` beside old parameters."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper
