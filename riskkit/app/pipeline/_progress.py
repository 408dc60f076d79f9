"""Progress of ``riskkit run``: one timestamped line per run and state change, and on a terminal a
status line whose elapsed times tick while runs are going.

Piped output (a cron log, CI) gets only the state-change lines, each starting with an ISO 8601 UTC
timestamp, so the entries of nightly runs can be told apart and sorted.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, TextIO

__all__ = ["Progress", "timestamp"]

TICK_SECONDS = 1.0


def timestamp() -> str:
    """Now as ISO 8601 UTC with seconds, e.g. ``2026-11-30T04:52:01Z``.

    Returns
    -------
    str
    """
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Progress:
    """Report run states as they change (see the module docstring).

    Parameters
    ----------
    specs : sequence
        The runs (objects with a ``name``), in the order they are numbered.
    stream : text stream
        Where to write (standard output for the command line).
    tick : bool, optional
        Rewrite a status line with ticking elapsed times; default: when ``stream`` is a terminal.
    """

    def __init__(self, specs: Sequence[Any], stream: TextIO, tick: bool | None = None) -> None:
        self.total = len(specs)
        self.index = {s.name: i + 1 for i, s in enumerate(specs)}
        self.started: dict[str, float] = {}
        self.stream = stream
        self.width = max(len(s.name) for s in specs)
        self.lock = threading.Lock()
        isatty = getattr(stream, "isatty", None)
        self.tick = bool(isatty and isatty()) if tick is None else tick
        self._status_shown = False
        self._stop = threading.Event()
        self._ticker_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lines
    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write("\r\033[2K")
            self._status_shown = False

    def line(self, state: str, name: str, elapsed: float | None = None) -> None:
        """Write one state-change line.

        Parameters
        ----------
        state : str
            RUNNING, FINISHED, FAILED, KILLED, ...
        name : str
            The run's name.
        elapsed : float, optional
            Seconds since the run started (default: measured here).
        """
        if elapsed is None:
            elapsed = time.monotonic() - self.started.get(name, time.monotonic())
        with self.lock:
            self._clear_status()
            print(
                f"{timestamp()} [{self.index.get(name, 0):>{len(str(self.total))}}/{self.total}] "
                f"{name:<{self.width}}  {state:<8}  {elapsed:7.1f}s",
                file=self.stream,
                flush=True,
            )
            self._draw_status()

    def _draw_status(self) -> None:
        if not self.tick or not self.started:
            return
        now = time.monotonic()
        running = ", ".join(f"{n} {now - t:.0f}s" for n, t in self.started.items())
        self.stream.write(f"\r\033[2K{timestamp()} running: {running}"[:200])
        self.stream.flush()
        self._status_shown = True

    def _ticker(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self.lock:
                self._clear_status()
                self._draw_status()

    # ------------------------------------------------------------------ calls from the scheduler
    def running(self, name: str) -> None:
        """A run started: print its line and (on a terminal) tick its elapsed time."""
        self.started[name] = time.monotonic()
        self.line("RUNNING", name, 0.0)
        if self.tick and self._ticker_thread is None:
            self._ticker_thread = threading.Thread(target=self._ticker, daemon=True)
            self._ticker_thread.start()

    def ended(self, result: Any) -> None:
        """A run ended (any state): print its line."""
        self.started.pop(result.name, None)
        self.line(result.status, result.name, result.elapsed)

    # ------------------------------------------------------------------ events
    def listen(self, events: Any) -> None:
        """Consume ``(state, name, run_id, elapsed)`` events until ``None``.

        Parameters
        ----------
        events : queue-like
            Events from the workers.
        """
        ticker = threading.Thread(target=self._ticker, daemon=True) if self.tick else None
        if ticker is not None:
            ticker.start()
        try:
            while True:
                try:
                    event = events.get(timeout=0.5)
                except queue.Empty:
                    continue
                except (EOFError, OSError):
                    return
                if event is None:
                    return
                state, name, _run_id, elapsed = event
                if state == "RUNNING":
                    self.started[name] = time.monotonic()
                    self.line(state, name, 0.0)
                else:
                    self.started.pop(name, None)
                    self.line(state, name, elapsed)
        finally:
            self._stop.set()
            with self.lock:
                self._clear_status()
                self.stream.flush()

    def summary(self, results: Sequence[Any], experiment: str, uri: str) -> None:
        """The closing table: one row per run with status, elapsed, short id and error.

        Parameters
        ----------
        results : sequence of RunResult
        experiment : str
            MLflow experiment name.
        uri : str
            Tracking URI.
        """
        self._stop.set()
        with self.lock:
            self._clear_status()
        rows = [("run", "status", "elapsed", "run id", "error")]
        for r in results:
            rows.append((r.name, r.status, f"{r.elapsed:.1f}s", r.run_id[:12], r.error[:60]))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        out = self.stream
        print(f"\n{timestamp()} experiment {experiment!r} in {uri}", file=out)
        for i, row in enumerate(rows):
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)
            if i == 0:
                print("  ".join("-" * w for w in widths), file=out)
        for r in results:
            if len(r.error) > 60:  # the table cuts errors short; the whole line helps fixing it
                print(f"  {r.name}: {r.error[:1000]}", file=out)
            if getattr(r, "warning", ""):
                print(f"warning: {r.name}: {r.warning}", file=out)
        counts = {s: sum(r.status == s for r in results) for s in ("FINISHED", "FAILED", "KILLED", "NOT STARTED")}
        line = f"{counts['FINISHED']} finished, {counts['FAILED']} failed"
        if counts["KILLED"] or counts["NOT STARTED"]:
            line += f", {counts['KILLED']} killed, {counts['NOT STARTED']} not started"
        print(line, file=out, flush=True)
