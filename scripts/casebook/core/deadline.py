"""A time limit on work that takes quadratic time on some input: Python-Markdown on thousands of
unclosed `<a ` or `[x](` (40 KB take half a minute, a 1 MB file hours). A build would hang on such
a page just as long: validation gives each page (and markup.py's reading of a body) this long and
reports a page that needs more (E417)."""

from __future__ import annotations

import contextlib
import gc
import signal
import threading

RENDER_SECONDS = 5


class TooSlow(BaseException):  # not Exception: nothing on the way may swallow it
    pass


_AGAIN_SECONDS = 0.05  # after the limit, the signal comes again this often until it has raised


@contextlib.contextmanager
def deadline(seconds: float):
    """Raise TooSlow in the block after `seconds` (a real-time timer; only in the main thread,
    where signals arrive: elsewhere, such as under `mkdocs serve`, no limit).

    Python prints and drops an exception raised in a garbage-collector callback (hypothesis
    installs one; any library may) or in `__del__`: a signal landing there lets the next one
    come, every _AGAIN_SECONDS, until one lands in ordinary code; that one stops the timer and
    raises."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        swallowing = {getattr(callback, "__code__", None) for callback in gc.callbacks}
        while frame is not None:
            if frame.f_code in swallowing or frame.f_code.co_name == "__del__":
                return
            frame = frame.f_back
        signal.setitimer(signal.ITIMER_REAL, 0)
        raise TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, _AGAIN_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
