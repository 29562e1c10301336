"""Customer segments: k-means on scaled tenure, monthly charges and service count, each profiled.

Segments are named by rule from their centre against the whole frame's medians, so the names
follow the data ("New, high-spend, many services") instead of being typed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from src.eda import stats
from src.eda.data import SERVICE_COUNT, TARGET

FEATURES = ("tenure", "MonthlyCharges", SERVICE_COUNT)
#: Number of segments: small enough to name and act on.
N_SEGMENTS = 4
#: Below this many customers a clustering says more about noise than about customers.
MIN_ROWS = 60
#: Rows sampled for the silhouette score (it is quadratic in rows).
SILHOUETTE_SAMPLE = 2000
SEED = 0
SEGMENT = "Segment"


@dataclass(frozen=True)
class Segmentation:
    """Each row's segment, the per-segment profile, and how well separated the segments are."""

    labels: pd.Series
    profile: pd.DataFrame
    silhouette: float


def _name(centre: pd.Series, medians: pd.Series) -> str:
    tenure = "Long-standing" if centre["tenure"] >= medians["tenure"] else "New"
    spend = "high-spend" if centre["MonthlyCharges"] >= medians["MonthlyCharges"] else "low-spend"
    services = "many services" if centre[SERVICE_COUNT] >= medians[SERVICE_COUNT] else "few services"
    return f"{tenure}, {spend}, {services}"


def segment(frame: pd.DataFrame, k: int = N_SEGMENTS) -> Segmentation | None:
    """Cluster the frame; None when it has too few rows to cluster."""
    if len(frame) < max(MIN_ROWS, k):
        return None
    x = StandardScaler().fit_transform(frame[list(FEATURES)].astype(float))
    # One thread: on a busy 2-core box, OpenMP start-up and contention cost 20x the fit itself.
    with threadpool_limits(1):
        model = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(x)
    sample = min(SILHOUETTE_SAMPLE, len(frame))
    silhouette = float(silhouette_score(x, model.labels_, sample_size=sample, random_state=SEED))

    raw = pd.Series(model.labels_, index=frame.index)
    medians = frame[list(FEATURES)].median()
    rows = []
    for cluster, members in frame.groupby(raw):
        rate = stats.wilson(int(members[TARGET].sum()), len(members))
        rows.append({
            "cluster": cluster,
            "customers": len(members),
            "share": len(members) / len(frame),
            "churn_rate": rate.value, "ci_low": rate.low, "ci_high": rate.high,
            "median_tenure": members["tenure"].median(),
            "median_monthly": members["MonthlyCharges"].median(),
            "mean_services": members[SERVICE_COUNT].mean(),
            "top_contract": members["Contract"].mode().iloc[0],
            "top_contract_share": (members["Contract"] == members["Contract"].mode().iloc[0]).mean(),
            "name": _name(members[list(FEATURES)].mean(), medians),
        })
    profile = pd.DataFrame(rows).sort_values("churn_rate", ascending=False).reset_index(drop=True)
    profile["name"] = _unique(profile["name"].tolist())
    names = dict(zip(profile["cluster"], profile["name"], strict=True))
    return Segmentation(raw.map(names).rename(SEGMENT), profile.drop(columns="cluster"), silhouette)


def _unique(names: list[str]) -> list[str]:
    """Number repeated names ("New, low-spend, few services (2)") so each segment stays distinct."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return out


def mean_services(frame: pd.DataFrame) -> float:
    """Average services per customer (for the text)."""
    return float(np.mean(frame[SERVICE_COUNT]))
