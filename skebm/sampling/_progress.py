"""A plain text progress bar."""

import sys
import time


def _format_seconds(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}:{minutes:02d}:{seconds:02d}" if hours
            else f"{minutes:02d}:{seconds:02d}")


class _TextBar:
    """A progress bar on standard error, for when tqdm is not installed.

    It has the two methods the samplers call, ``update(n)`` and ``close()``,
    and redraws its line in place at most once per ``min_interval`` seconds,
    and once more, followed by a newline, when closed.

    Examples
    --------
    >>> import io
    >>> from skebm.sampling._progress import _TextBar
    >>> out = io.StringIO()
    >>> bar = _TextBar(200, "demo", file=out, width=10)
    >>> bar.update(50); bar.update(150); bar.close()
    >>> print(out.getvalue().split("\\r")[-1].split(" [")[0])
    demo: 100%|##########| 200/200
    """

    def __init__(self, total, desc, *, file=None, min_interval=0.1, width=30):
        self.total = max(int(total), 1)
        self.desc = desc
        self.file = sys.stderr if file is None else file
        self.min_interval = min_interval
        self.width = width
        self.n = 0
        self._start = self._last = time.perf_counter()
        self._closed = False
        self._draw(self._start)

    def update(self, n=1):
        """Count ``n`` more iterations; redraw if the last draw is old enough."""
        self.n = min(self.n + int(n), self.total)
        now = time.perf_counter()
        if now - self._last >= self.min_interval:
            self._draw(now)

    def close(self):
        """Draw the final state and end the line."""
        if self._closed:
            return
        self._closed = True
        self._draw(time.perf_counter())
        self.file.write("\n")
        self.file.flush()

    def _draw(self, now):
        self._last = now
        fraction = self.n / self.total
        done = int(self.width * fraction)
        elapsed = now - self._start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.n) / rate if rate > 0 else 0.0
        self.file.write(
            f"\r{self.desc}: {100 * fraction:3.0f}%|{'#' * done}"
            f"{' ' * (self.width - done)}| {self.n}/{self.total} "
            f"[{_format_seconds(elapsed)}<{_format_seconds(left)}, "
            f"{rate:.0f} it/s]")
        self.file.flush()
