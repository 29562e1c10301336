"""The model registry (MLflow, same store as the runs): committed cards as version 1, and gate decisions.

Each demo is a registered model named after it. Every version points at the run that logged its card
(``runs:/<run>/card``) and carries tags: the card version (short sha256), the headline metric and its
value, and for retrains the gate's decision, both figures and the reason. The alias ``champion``
marks the version whose model is in ``models/<demo>/``. Nothing from the registry is committed: a fresh
clone rebuilds it from the committed cards (``python -m src.pipeline register``, or the page's first visit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from src.core import tracking
from src.core.cards import Card, read_card
from src.core.demos import CARDED
from src.core.settings import model_dir
from src.mlops.gate import Decision
from src.mlops.versions import card_version

log = logging.getLogger(__name__)

CHAMPION = "champion"
#: Demos with a trained, versioned model (RAG's card is an evaluation of packaged models).
MODEL_DEMOS = CARDED


@dataclass(frozen=True)
class Version:
    """One registry version as the page shows it."""

    demo: str
    version: int
    created_ms: int
    card_version: str
    metric: str
    value: float | None
    champion: bool
    decision: str
    reason: str
    run_id: str


def _log_card_run(client: Any, demo: str, folder: Path, card: Card, source: str) -> str:
    """A run holding the card (artifact) and its metrics; returns the run id."""
    run = client.create_run(tracking.experiment_id(client, demo),
                            tags={"demo": demo, "source": source, "git_commit": card.git_commit,
                                  "data_sha256": ",".join(v for d in card.data for v in d.sha256.values())[:5000]},
                            run_name=f"{demo}-{source}")
    handle = tracking.TrackedRun(client, run.info.run_id, demo)
    client.log_batch(run.info.run_id, params=[_param(k, v) for k, v in
                                              list(tracking.flatten(card.config).items())[:100]])
    handle.log_card(folder)
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


def _param(key: str, value: str) -> Any:
    from mlflow.entities import Param

    return Param(key, value)


def _ensure_model(client: Any, demo: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(demo)
    except MlflowException:
        client.create_registered_model(demo, description=f"The {demo} demo's model; alias 'champion' is committed.")


def add_version(client: Any, demo: str, folder: Path, *, source: str, tags: dict[str, str] | None = None,
                champion: bool = False) -> int:
    """Register the card in ``folder`` as a new version of ``demo``; returns the version number."""
    card = read_card(folder)
    if card is None:
        raise FileNotFoundError(f"no model card in {folder}")
    run_id = _log_card_run(client, demo, folder, card, source)
    _ensure_model(client, demo)
    all_tags = {"card_version": card_version(folder), "headline_metric": card.headline.name,
                "headline_value": f"{card.headline.value:.6g}", "source": source, **(tags or {})}
    version = client.create_model_version(demo, f"runs:/{run_id}/card", run_id=run_id, tags=all_tags,
                                          description=card.summary[:500])
    if champion:
        client.set_registered_model_alias(demo, CHAMPION, version.version)
    return int(version.version)


def register_committed(demos: tuple[str, ...] = MODEL_DEMOS, client: Any | None = None) -> list[str]:
    """Register each committed card that the registry does not hold yet as the champion; returns what was added."""
    client = client or tracking.client()
    added = []
    for demo in demos:
        folder = model_dir(demo)
        if read_card(folder) is None:
            continue
        known = {v.tags.get("card_version") for v in client.search_model_versions(f"name='{demo}'")}
        if card_version(folder) in known:
            continue
        champion = not known
        add_version(client, demo, folder, source="committed card", champion=champion,
                    tags={"gate_decision": "committed model" if champion else "committed model (not via the gate)"})
        if not champion:  # the committed folder is what the app serves, so it is the champion
            latest = max(int(v.version) for v in client.search_model_versions(f"name='{demo}'"))
            client.set_registered_model_alias(demo, CHAMPION, str(latest))
        added.append(demo)
    return added


def record_decision(demo: str, challenger_folder: Path, decision: Decision, client: Any | None = None) -> int:
    """Register the challenger with the gate's decision; move ``champion`` to it when promoted."""
    client = client or tracking.client()
    register_committed((demo,), client)
    tags = {"gate_decision": decision.label, "gate_reason": decision.reason[:5000],
            "challenger_value": f"{decision.challenger.value:.6g}",
            "champion_value": "" if decision.champion is None else f"{decision.champion.value:.6g}",
            "noise": f"{max(decision.challenger.noise, decision.champion.noise if decision.champion else 0):.6g}"}
    return add_version(client, demo, challenger_folder, source="retrain challenger", tags=tags,
                       champion=decision.promote)


def versions(demo: str, client: Any | None = None) -> list[Version]:
    """Every version of ``demo``, newest first, with the champion marked."""
    from mlflow.exceptions import MlflowException

    client = client or tracking.client()
    try:
        champion = client.get_model_version_by_alias(demo, CHAMPION).version
    except MlflowException:
        champion = None
    rows = []
    for v in client.search_model_versions(f"name='{demo}'"):
        value = v.tags.get("headline_value")
        rows.append(Version(demo, int(v.version), int(v.creation_timestamp or 0), v.tags.get("card_version", ""),
                            v.tags.get("headline_metric", ""), float(value) if value else None,
                            str(v.version) == str(champion), v.tags.get("gate_decision", ""),
                            v.tags.get("gate_reason", ""), v.run_id or ""))
    return sorted(rows, key=lambda r: -r.version)
