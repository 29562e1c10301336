"""Logging for command-line tools: configured once, by each CLI's entry point.

Library code in ``src/`` only calls ``logging.getLogger(__name__)``; pages get Streamlit's own
logging. Records go to stderr through ``tqdm.write`` (stdout stays free for a
command's JSON result), so a log line never breaks a progress bar.
"""

from __future__ import annotations

import logging
import sys

from tqdm.auto import tqdm

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%H:%M:%S"
#: Chatty libraries kept at WARNING unless ``verbose``.
QUIET = ("urllib3", "filelock", "httpx", "matplotlib", "PIL", "alembic", "mlflow", "git", "numba")


class TqdmHandler(logging.Handler):
    """Writes records above any live tqdm bar (tqdm ships this only as a context manager)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # logging must never crash the program
            self.handleError(record)


def setup_logging(verbose: bool = False) -> None:
    """INFO (DEBUG with ``verbose``) to stderr via tqdm; replaces earlier root handlers, so calling twice is safe."""
    handler = TqdmHandler()
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
