"""Chapter 4, "Money": what churners pay, monthly and in total, and how tenure ties in."""

from __future__ import annotations

from src.core.cards import Card
from src.eda import charts, findings, rates, stats
from src.eda.data import OUTCOME, TARGET
from src.eda.items import Chapter, Item, Note
from src.eda.scope import Scope
from src.eda.words import money, mw_text, pct

SLUG = "money"

#: Spearman rho from which two columns count as repeating each other.
STRONG_RHO = 0.8


def _direction(mw: stats.MannWhitney, up: str, down: str) -> str:
    """``up``/``down`` when churners differ significantly with at least a small effect, else "same"."""
    if not findings.notable(mw.p, mw.rank_biserial):
        return "same"
    return up if mw.rank_biserial > 0 else down


def _phrase(direction: str) -> str:
    return "about the same" if direction == "same" else direction


def _strength(rho: float) -> str:
    return "closely" if abs(rho) >= STRONG_RHO else "moderately" if abs(rho) >= 0.5 else "weakly"


def build(scope: Scope, card: Card | None = None) -> Chapter:
    """Monthly and total charges of churners against stayers, the tenure curve and the scatter."""
    frame = scope.frame
    churned, stayed = frame[frame[TARGET] == 1], frame[frame[TARGET] == 0]
    if len(churned) < 2 or len(stayed) < 2:
        return Chapter.of(SLUG, [Note(
            f"Among {scope.who} there are {len(churned):,} churners and {len(stayed):,} stayers: too few on one "
            "side to compare what they pay. Widen the filter.", "warning")])
    monthly = stats.mann_whitney(churned["MonthlyCharges"], stayed["MonthlyCharges"])
    total = stats.mann_whitney(churned["TotalCharges"], stayed["TotalCharges"])
    tenure = stats.mann_whitney(churned["tenure"], stayed["tenure"])
    rho = frame["tenure"].corr(frame["TotalCharges"], method="spearman")
    rho_monthly = frame["tenure"].corr(frame["MonthlyCharges"], method="spearman")
    pay_month, pay_total = _direction(monthly, "more", "less"), _direction(total, "more", "less")
    joiner = "But" if {pay_month, pay_total} == {"more", "less"} else "And"

    items: list[Item] = [
        f"**Churners among {scope.who} pay {_phrase(pay_month)} each month**: a median of "
        f"{money(monthly.median_a)} against {money(monthly.median_b)} for those who stay ({mw_text(monthly)}). "
        f"A random churner pays more per month than a random stayer {monthly.prob_superiority:.0%} of the time.",
        f"**{joiner} they leave having paid {_phrase(pay_total)} in total**: a median of {money(total.median_a)} "
        f"against {money(total.median_b)} ({mw_text(total)}). Their median tenure is {tenure.median_a:.0f} months "
        f"against {tenure.median_b:.0f} for stayers ({mw_text(tenure)}).",
        charts.distributions(frame, ("MonthlyCharges", "TotalCharges"),
                             f"Churners pay {_phrase(pay_month)} per month ({money(monthly.median_a)} vs "
                             f"{money(monthly.median_b)}) and {_phrase(pay_total)} in total "
                             f"({money(total.median_a)} vs {money(total.median_b)}), medians"),
    ]
    curve = rates.tenure_curve(frame)
    if len(curve) >= 2:
        first, last = curve.iloc[0], curve.iloc[-1]
        trend = "falls" if last["rate"] < first["rate"] else "rises" if last["rate"] > first["rate"] else "stays"
        items.append(charts.rate_curve(
            curve, scope.base.value, "tenure (months)",
            f"Churn {trend} from {pct(first['rate'])} in months {first['x']} to {pct(last['rate'])} "
            f"in months {last['x']}"))
    bond = _strength(rho)
    items.append(
        f"Tenure and total charges move together {bond} (Spearman ρ = {rho:.2f}), since the total is roughly "
        f"tenure × monthly charge; tenure and the monthly charge move together {_strength(rho_monthly)} "
        f"(ρ = {rho_monthly:.2f})."
        + (" So TotalCharges mostly repeats tenure: a model sees the two as nearly one signal."
           if abs(rho) >= STRONG_RHO else ""))
    stay_longer = _direction(tenure, "longer", "shorter")
    items.append(charts.scatter(
        frame, "tenure", "MonthlyCharges", OUTCOME, charts.OUTCOME_COLOURS,
        f"Churners have {_phrase(stay_longer)} tenure ({tenure.median_a:.0f} vs {tenure.median_b:.0f} months) "
        f"and pay {_phrase(pay_month)} monthly ({money(monthly.median_a)} vs {money(monthly.median_b)})"))
    return Chapter.of(SLUG, items)
