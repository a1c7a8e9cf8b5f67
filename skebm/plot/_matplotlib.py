"""What every display needs from matplotlib: pyplot, imported on first use
with a clear error when matplotlib is missing, and Axes to draw on."""


def import_pyplot(caller):
    """Return ``matplotlib.pyplot``, or raise an ImportError naming `caller`.

    Parameters
    ----------
    caller : str
        The function or method that needs matplotlib, for the error message.

    Returns
    -------
    pyplot : module

    Examples
    --------
    >>> from skebm.plot._matplotlib import import_pyplot
    >>> import_pyplot("my_plot").__name__
    'matplotlib.pyplot'
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise ImportError(
            f"{caller} requires matplotlib. Install it with "
            "`pip install matplotlib`.") from exc
    return plt


def axes_or_new(ax, plt, **subplots_kw):
    """Return `ax`, or the Axes of a new figure when `ax` is None.

    Parameters
    ----------
    ax : matplotlib Axes or None
    plt : module
        ``matplotlib.pyplot``.
    **subplots_kw
        Passed to :func:`matplotlib.pyplot.subplots` for a new figure.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skebm.plot._matplotlib import axes_or_new, import_pyplot
    >>> plt = import_pyplot("example")
    >>> ax = axes_or_new(None, plt, figsize=(3, 2))
    >>> axes_or_new(ax, plt) is ax
    True
    >>> plt.close("all")
    """
    if ax is None:
        _, ax = plt.subplots(**subplots_kw)
    return ax
