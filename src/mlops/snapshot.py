"""A JSON snapshot of the MLflow store for the Model health page's runs chapter, read without importing MLflow.

``import mlflow`` costs 2-4 s of a cold visit. The snapshot holds what the chapter shows: each
demo's registry versions (as :func:`src.mlops.registry.versions` returns them), its runs (info,
tags, params, latest metrics) and every metric's history. It is written through MLflow's own API,
by ``python -m src.warm`` and by the page after it had to read the store live, to
``data/cache/mlops/runs.json`` (gitignored).

It is keyed on the store file's size and modification time: any write to the store (a tracked run,
a registration, a gate decision) makes it stale, and the page then reads MLflow live, as before.
Only the embedded SQLite store is snapshotted; a server named by ``MLFLOW_TRACKING_URI`` is always
read live. :class:`SnapshotClient` answers the few ``MlflowClient`` calls of :mod:`src.mlops.runs`,
so the tables are built by the same code from either source.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from src.core import keyed_cache, tracking
from src.core.contract import NO_VERSION
from src.core.demos import CARDED
from src.core.settings import DATA_DIR, model_dir
from src.mlops.versions import card_version

log = logging.getLogger(__name__)

SNAPSHOT_FILE = DATA_DIR / "cache" / "mlops" / "runs.json"
#: Bumped when the layout changes, so an old file is ignored rather than misread.
FORMAT = 1
#: Runs per demo kept (as many as the page's table lists).
MAX_RUNS = 200


def store_key(uri: str | None = None) -> dict[str, Any] | None:
    """The embedded store's state (path, size, mtime), or None for any other store (never snapshotted)."""
    uri = uri or tracking.tracking_uri()
    if not tracking.is_default_store(uri):
        return None
    try:
        stat = tracking.DEFAULT_DB.stat()
    except OSError:
        return None
    return {"uri": uri, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "format": FORMAT}


def _committed() -> dict[str, str]:
    """Each demo's committed card version: the registry must hold all of them for the snapshot to serve."""
    return {demo: card_version(model_dir(demo)) for demo in CARDED}


def _run(run: Any) -> dict[str, Any]:
    return {"run_id": run.info.run_id, "start_time": run.info.start_time, "status": run.info.status,
            "tags": dict(run.data.tags), "params": dict(run.data.params), "metrics": dict(run.data.metrics)}


def build(client: Any | None = None) -> dict[str, Any]:
    """Everything the runs chapter reads, through MLflow's API (imports MLflow)."""
    from src.mlops.registry import versions

    client = client or tracking.client()
    demos: dict[str, Any] = {}
    for demo in CARDED:
        experiment = client.get_experiment_by_name(demo)
        runs = [] if experiment is None else client.search_runs(
            [experiment.experiment_id], order_by=["attributes.start_time DESC"], max_results=MAX_RUNS)
        histories = {r.info.run_id: {key: [[m.step, m.value] for m in client.get_metric_history(r.info.run_id, key)]
                                     for key in r.data.metrics} for r in runs}
        demos[demo] = {"experiment_id": None if experiment is None else experiment.experiment_id,
                       "runs": [_run(r) for r in runs], "histories": histories,
                       "versions": [asdict(v) for v in versions(demo, client)]}
    # Only the committed cards the registry already holds: a card nobody registered yet (a retrain since)
    # keeps the snapshot from serving, so the page reads live and registers it, as it always did.
    registered = {d: {v["card_version"] for v in demos[d]["versions"]} for d in demos}
    committed = {d: v for d, v in _committed().items() if v == NO_VERSION or v in registered.get(d, set())}
    return {"committed": committed, "demos": demos}


def write(path: Path | None = None, uri: str | None = None) -> bool:
    """Snapshot the embedded store; False (nothing written) for another store or when it changed meanwhile."""
    before = store_key(uri)
    if before is None:
        return False
    payload = build()
    if store_key(uri) != before:  # a run was tracked while reading: this snapshot may already be stale
        log.info("the MLflow store changed while it was snapshotted; not written")
        return False
    return keyed_cache.write(path or SNAPSHOT_FILE, before, payload)


def read(path: Path | None = None, uri: str | None = None) -> SnapshotClient | None:
    """The snapshot when it matches the store as it is now and holds every committed card, else None."""
    key = store_key(uri)
    if key is None:
        return None
    stored = keyed_cache.read(path or SNAPSHOT_FILE, key)
    if not isinstance(stored, dict) or stored.get("committed") != _committed():
        return None
    return SnapshotClient(stored["demos"])


class SnapshotClient:
    """The ``MlflowClient`` calls :mod:`src.mlops.runs` makes, answered from a snapshot (read-only)."""

    def __init__(self, demos: dict[str, Any]) -> None:
        self._demos = demos
        self._runs = {r["run_id"]: r for d in demos.values() for r in d["runs"]}
        self._histories = {run_id: h for d in demos.values() for run_id, h in d["histories"].items()}

    def versions(self, demo: str) -> list[Any]:
        """:func:`src.mlops.registry.versions` as it was when the snapshot was taken."""
        from src.mlops.registry import Version

        return [Version(**v) for v in self._demos.get(demo, {}).get("versions", [])]

    def get_experiment_by_name(self, name: str) -> Any | None:
        found = self._demos.get(name, {}).get("experiment_id")
        return None if found is None else SimpleNamespace(experiment_id=found, name=name)

    def search_runs(self, experiment_ids: list[str], order_by: list[str] | None = None,
                    max_results: int = MAX_RUNS) -> list[Any]:
        """The runs of the experiments, newest first (the only order the page asks for)."""
        if order_by not in (None, ["attributes.start_time DESC"]):
            raise ValueError(f"the snapshot only lists runs newest first, not by {order_by}")
        runs = [r for d in self._demos.values() if d["experiment_id"] in experiment_ids for r in d["runs"]]
        runs.sort(key=lambda r: -(r["start_time"] or 0))
        return [self._entity(r) for r in runs[:max_results]]

    def get_run(self, run_id: str) -> Any:
        return self._entity(self._runs[run_id])

    def get_metric_history(self, run_id: str, key: str) -> list[Any]:
        return [SimpleNamespace(key=key, step=step, value=value) for step, value in self._histories[run_id][key]]

    @staticmethod
    def _entity(run: dict[str, Any]) -> Any:
        return SimpleNamespace(
            info=SimpleNamespace(run_id=run["run_id"], start_time=run["start_time"], status=run["status"]),
            data=SimpleNamespace(tags=run["tags"], params=run["params"], metrics=run["metrics"]))
