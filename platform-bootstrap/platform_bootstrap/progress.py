"""Progress for long waits: what is awaited, the elapsed time and the last status seen.

On a terminal a rich spinner line is updated in place; otherwise (make in CI, a pipe) a line
is printed whenever the status changes and at least every ``heartbeat`` seconds, so a log
never goes quiet for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from rich.console import Console

T = TypeVar("T")


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def wait_for(
    what: str,
    probe: Callable[[], tuple[bool, str, T]],
    timeout: float,
    console: Console,
    poll: float = 5.0,
    heartbeat: float = 30.0,
) -> tuple[bool, str, T]:
    """Call ``probe`` every ``poll`` seconds until it says done or ``timeout`` seconds pass.

    Args:
        what: what is awaited, e.g. ``"the OpenMetadata server (http://127.0.0.1:8585)"``.
        probe: returns ``(done, status line, value)``; must not raise.
        timeout: seconds; 0 means probe once.
        console: where progress goes (rich; a spinner on a terminal, lines otherwise).
        poll / heartbeat: seconds between probes / between repeated unchanged lines.

    Returns:
        The last ``(done, status, value)``.
    """
    start = time.monotonic()
    deadline = start + max(0.0, timeout)
    done, status, value = probe()
    if done or timeout <= 0:
        return done, status, value
    live = console.is_terminal
    last_line, last_print = None, 0.0
    spinner = console.status("", spinner="dots") if live else None
    if spinner:
        spinner.start()
    try:
        while not done and time.monotonic() < deadline:
            elapsed = time.monotonic() - start
            line = f"waiting for {what}: {_clock(elapsed)} of {_clock(timeout)}; last status: {status}"
            if spinner:
                spinner.update(line)
            elif status != last_line or elapsed - last_print >= heartbeat:
                console.print(line)
                last_line, last_print = status, elapsed
            time.sleep(max(0.0, min(poll, deadline - time.monotonic())))
            done, status, value = probe()
    finally:
        if spinner:
            spinner.stop()
    elapsed = _clock(time.monotonic() - start)
    if done:
        console.print(f"{what}: ready after {elapsed}")
    else:
        console.print(f"gave up waiting for {what} after {elapsed}; last status: {status}")
    return done, status, value
