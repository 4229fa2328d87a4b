"""What every command of the kit shares: argument types that name the argument when a value
is out of range (argparse exits 2), and one way to end: ``run_command`` turns a bad input into
one ``error:`` line (exit 1) and Ctrl-C or SIGTERM into one line (exit 130), after every
writer has removed its temporary files.
"""
from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable

from r2a_utils.errors import InputFileError

INPUT_ERRORS = (InputFileError, OSError, ValueError, RuntimeError)  # VideoError, PoseError, ConfigError, ...


def count(minimum: int) -> Callable[[str], int]:
    """argparse type: a whole number >= ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}")
        return value
    return parse


def between(low: float, high: float, what: str = "a number") -> Callable[[str], float]:
    """argparse type: a finite number in ``(low, high]``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low < value <= high:  # NaN fails here too
            raise argparse.ArgumentTypeError(f"{value} is not {what} above {low:g} and up to {high:g}")
        return value
    return parse


def run_command(body: Callable[[], int], errors: tuple[type[BaseException], ...] = INPUT_ERRORS,
                interrupted: str = "interrupted; nothing written") -> int:
    """Run a command's body: its exit code, 1 with one ``error:`` line for ``errors``, 130 on
    Ctrl-C or SIGTERM (which unwinds like Ctrl-C, so killed runs clean up the same way)."""
    previous = _terminate_like_interrupt()
    try:
        return body()
    except errors as e:
        print(f"\nerror: {_say(e)}" if _bar_open() else f"error: {_say(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{interrupted}", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _say(e: BaseException) -> str:
    """An OS error as 'path: what happened' (not '[Errno 28] ...'); others as they are."""
    if isinstance(e, OSError) and not isinstance(e, InputFileError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    return str(e)


def _bar_open() -> bool:
    """True while a tqdm bar may own the end of the terminal line (the error goes below it)."""
    try:
        from tqdm import tqdm
        return bool(getattr(tqdm, "_instances", None))
    except ImportError:
        return False


def _terminate_like_interrupt():
    """SIGTERM -> KeyboardInterrupt; returns the previous handler (None off the main thread)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:
        return None
