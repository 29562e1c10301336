"""Track every training command as an MLflow run, embedded by default.

    with track_run("churn", config, data_sha256=digest) as run:
        run.log_metrics({"fold_roc_auc": 0.85}, step=0)
        ...                          # write the artifact
        run.log_card(folder)         # card + config as artifacts, the card's metrics as final metrics

The store is SQLite under ``data/`` (gitignored); ``MLFLOW_TRACKING_URI`` points it at a team's own
server instead, which is the scale-out path. MLflow is imported lazily inside (``import mlflow``
takes seconds), and tracking is best effort: any failure logs one warning and the training run
carries on, because a broken tracking store must never cost a 25-minute training run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from src.core.settings import DATA_DIR

log = logging.getLogger(__name__)

#: Default store: one SQLite file (MLflow 3.x deprecates the file store).
DEFAULT_DB = DATA_DIR / "mlflow.db"
#: Where run artifacts (cards, configs) go with the default store.
DEFAULT_ARTIFACTS = DATA_DIR / "mlartifacts"
#: Set this to ``0`` to switch tracking off (e.g. in tests that train but don't look at runs).
ENABLE_ENV = "PORTFOLIO_TRACKING"

# Nothing may reach for the network: no pip-requirements inference, no usage telemetry, no progress bars.
_OFFLINE_ENV = {
    "MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "GIT_PYTHON_REFRESH": "quiet",
}
# MLflow's rule for metric and param names (letters, digits, _ - . space /); anything else becomes "_".
_NAME_OK = re.compile(r"[^\w\-. /]")
_MAX_PARAM_CHARS = 6000  # MLflow 3.x param value limit
_warned: set[str] = set()


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` when set, else the embedded SQLite store under ``data/``."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{DEFAULT_DB}"


def is_default_store(uri: str | None = None) -> bool:
    """True when runs go to the embedded SQLite file (so artifacts go under ``data/`` too)."""
    return (uri or tracking_uri()) == f"sqlite:///{DEFAULT_DB}"


def enabled() -> bool:
    """False when ``PORTFOLIO_TRACKING=0``."""
    return os.environ.get(ENABLE_ENV, "1").lower() not in {"0", "false", "no", "off"}


def warn_once(key: str, message: str, exc: BaseException | None = None) -> None:
    """One warning per process and cause; the traceback goes to debug logging."""
    if key in _warned:
        return
    _warned.add(key)
    log.warning("%s (%s: %s); training continues", message, type(exc).__name__ if exc else "", exc or "")
    if exc is not None:
        log.debug("tracking failure", exc_info=exc)


def metric_name(name: str) -> str:
    """A card's metric name as MLflow accepts it: ``hit@5 (hybrid)`` -> ``hit_5 _hybrid_``."""
    return _NAME_OK.sub("_", name).strip() or "metric"


def flatten(config: Any, prefix: str = "") -> dict[str, str]:
    """A config (dataclass, mapping or object) as a flat ``{"a.b": "value"}`` dict of strings."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config = dataclasses.asdict(config)
    elif not isinstance(config, Mapping) and hasattr(config, "__dict__"):
        config = vars(config)
    if not isinstance(config, Mapping):
        return {prefix or "config": str(config)[:_MAX_PARAM_CHARS]}
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name))
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            flat[metric_name(name)] = text[:_MAX_PARAM_CHARS]
    return flat


def _config_dict(config: Any) -> Any:
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    return config if isinstance(config, Mapping) else vars(config) if hasattr(config, "__dict__") else str(config)


def client() -> Any:
    """An ``MlflowClient`` on :func:`tracking_uri` (imports MLflow: only call where runs are needed)."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    if is_default_store():
        DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
    from mlflow.tracking import MlflowClient  # lazy: seconds to import

    return MlflowClient(tracking_uri=tracking_uri(), registry_uri=tracking_uri())


def experiment_id(mlflow_client: Any, demo: str) -> str:
    """The experiment named after the demo, created on first use (artifacts under ``data/`` by default)."""
    found = mlflow_client.get_experiment_by_name(demo)
    if found is not None:
        return found.experiment_id
    location = DEFAULT_ARTIFACTS.joinpath(demo).as_uri() if is_default_store() else None
    return mlflow_client.create_experiment(demo, artifact_location=location)


class TrackedRun:
    """One training run's handle. Every method is best effort: it never raises."""

    def __init__(self, mlflow_client: Any | None, run_id: str | None, demo: str) -> None:
        self._client = mlflow_client
        self.run_id = run_id
        self.demo = demo

    @property
    def active(self) -> bool:
        """True when the run is being recorded."""
        return self._client is not None and self.run_id is not None

    def _safely(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        if not self.active:
            return
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # tracking must never fail training
            warn_once(f"{self.demo}:{what}", f"MLflow tracking could not {what}", exc)

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """One metric value (per epoch or fold when ``step`` is given)."""
        self._safely("log a metric", self._client.log_metric if self._client else None, self.run_id,
                     metric_name(key), float(value), step=step or 0)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Several metrics at one step, in one batch."""
        from_time = int(time.time() * 1000)

        def send() -> None:
            from mlflow.entities import Metric as MlflowMetric

            batch = [MlflowMetric(metric_name(k), float(v), from_time, step or 0) for k, v in metrics.items()
                     if v is not None]
            self._client.log_batch(self.run_id, metrics=batch)

        self._safely("log metrics", send)

    def set_tag(self, key: str, value: Any) -> None:
        """A free-form tag on the run."""
        self._safely("set a tag", self._client.set_tag if self._client else None, self.run_id, key, str(value))

    def log_card(self, folder: Path | str) -> None:
        """The artifact folder's card and config as run artifacts, and the card's metrics as final metrics."""
        folder = Path(folder)

        def send() -> None:
            from src.core.cards import read_card
            from src.core.contract import CARD_FILE, CONFIG_FILE

            for name in (CARD_FILE, CONFIG_FILE):
                if (folder / name).is_file():
                    self._client.log_artifact(self.run_id, str(folder / name), artifact_path="card")
            card = read_card(folder)
            if card is not None:
                final = {m.name: m.value for m in card.metrics}
                final |= {f"{m.name} std": m.std for m in card.metrics if m.std is not None}
                self.log_metrics(final)
                self._client.set_tag(self.run_id, "headline_metric", card.headline.name)

        self._safely("log the card", send)


def _start(demo: str, config: Any, data_sha256: str | None) -> TrackedRun:
    from src.core.cards import git_commit, reproduce_command

    mlflow_client = client()
    tags = {"demo": demo, "git_commit": git_commit(), "command": reproduce_command()[:5000],
            "data_sha256": data_sha256 or "unknown", "mlflow.source.name": reproduce_command()[:500]}
    run = mlflow_client.create_run(experiment_id(mlflow_client, demo), tags=tags,
                                   run_name=f"{demo}-{time.strftime('%Y%m%d-%H%M%S')}")
    run_id = run.info.run_id
    from mlflow.entities import Param

    params = [Param(k, v) for k, v in flatten(config).items()]
    for start in range(0, len(params), 100):  # MLflow takes at most 100 params per batch
        mlflow_client.log_batch(run_id, params=params[start:start + 100])
    mlflow_client.log_dict(run_id, _config_dict(config), "config/config.json")
    return TrackedRun(mlflow_client, run_id, demo)


@contextlib.contextmanager
def track_run(demo: str, config: Any, data_sha256: str | None = None) -> Iterator[TrackedRun]:
    """Record the block as an MLflow run of experiment ``demo``: params, tags, metrics, card, duration.

    The run ends FINISHED, or FAILED/KILLED when the block raises (the exception still propagates).
    When tracking is off or the store fails, the yielded run is inactive and every call is a no-op.
    """
    started = time.perf_counter()
    run = TrackedRun(None, None, demo)
    if enabled():
        try:
            run = _start(demo, config, data_sha256)
        except Exception as exc:  # tracking must never fail training
            warn_once(f"{demo}:start", f"MLflow tracking is off for this run: {tracking_uri()} failed", exc)
    status = "FINISHED"
    try:
        yield run
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    except BaseException:
        status = "FAILED"
        raise
    finally:
        run.set_tag("duration_s", f"{time.perf_counter() - started:.1f}")
        run._safely("end the run", run._client.set_terminated if run._client else None, run.run_id, status)
        if run.active:
            log.info("tracked as MLflow run %s (%s)", run.run_id, tracking_uri())
