"""How the command line words problems: the user's (one line, exit status 2)
and a configuration's (the first sentence of the exception it raised)."""

import re

_SENTENCE = re.compile(r"(.+?[.!?])(?=\s|$)")


class CLIError(Exception):
    """A problem with the user's input, reported as one line."""


def first_sentence(exc):
    """The first sentence of an exception's message, for one table cell.

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    reason : str
        The first sentence of the first non-empty line of the message,
        prefixed by the exception's type unless it is a ``ValueError``.

    Examples
    --------
    >>> from skebm._cli._errors import first_sentence
    >>> first_sentence(ValueError("Training diverged at 0.5. Lower it."))
    'Training diverged at 0.5.'
    >>> first_sentence(ZeroDivisionError("division by zero"))
    'ZeroDivisionError: division by zero'
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    match = _SENTENCE.match(text)
    text = match.group(1) if match else text
    if type(exc) is ValueError and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
