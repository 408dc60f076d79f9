"""The kernel launcher keeps scheduled runs' logs to what matters (riskkit/app/pipeline/_kernel_launch.py)."""

from __future__ import annotations

import logging

import pytest

from riskkit.app.pipeline import _kernel_launch


@pytest.fixture
def kernel_log() -> list[str]:
    """What reaches a handler on ipykernel's application logger ("IPKernelApp")."""
    logger = logging.getLogger("IPKernelApp")
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect()
    saved = list(logger.filters)
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.filters[:] = saved


def test_the_shutdown_interrupt_record_is_dropped_and_nothing_else(kernel_log: list[str]) -> None:
    logger = logging.getLogger("IPKernelApp")
    logger.error("KeyboardInterrupt caught in kernel.")  # before: it reaches the log
    assert kernel_log == ["KeyboardInterrupt caught in kernel."]
    kernel_log.clear()
    _kernel_launch.quiet_shutdown_interrupt()
    # both spellings ipykernel uses (kernelbase.py: with and without the full stop)
    logger.error("KeyboardInterrupt caught in kernel.")
    logger.error("KeyboardInterrupt caught in kernel")
    logger.error("Exception in message handler:")
    logger.warning("Unknown message type: %r", "x")
    assert kernel_log == ["Exception in message handler:", "Unknown message type: 'x'"]
