"""The progress bar of ``compare``, drawn by tqdm on the standard error.

On a terminal the bar redraws in place. Anywhere else (a log file, a pipe, a
CI log) redraws would pile up as carriage returns on one line, so each
redraw becomes a line of its own, and there is one at the start, at most one
every ``LOG_INTERVAL`` seconds, and one at the end.
"""

from tqdm import tqdm

#: seconds between two progress lines when the standard error is no terminal
LOG_INTERVAL = 30.0
_LOG_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]"


class _Lines:
    """A stream for tqdm that writes each redraw as a line."""

    def __init__(self, stream):
        self.stream, self.last = stream, None

    def write(self, text):
        text = text.replace("\r", "").rstrip()
        if text and text != self.last:  # closing redraws the last state
            self.stream.write(text + "\n")
            self.last = text

    def flush(self):
        self.stream.flush()


def progress_bar(total, stream):
    """A tqdm bar over ``total`` configurations, written to ``stream``.

    Parameters
    ----------
    total : int
    stream : file-like
        Its ``isatty()`` decides between a bar redrawn in place and a line
        per redraw (see the module's docstring).

    Returns
    -------
    bar : tqdm
    """
    common = dict(total=total, desc="compare", unit="config", leave=True)
    if getattr(stream, "isatty", lambda: False)():
        return tqdm(file=stream, dynamic_ncols=True, **common)
    return tqdm(file=_Lines(stream), mininterval=LOG_INTERVAL, ncols=80,
                ascii=True, bar_format=_LOG_FORMAT, **common)
