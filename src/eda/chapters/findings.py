"""Chapter 6, "Findings": the columns that pass the rules, EDA against SHAP, and first actions."""

from __future__ import annotations

import pandas as pd

from src.churn import data as telco
from src.core.cards import Card
from src.core.contract import train_command
from src.eda import charts, findings, stats
from src.eda.data import SENIOR, TARGET, TENURE_BAND, label
from src.eda.items import Chapter, Item, Note, Table
from src.eda.scope import Scope
from src.eda.words import cap, gap_text, level_words, pct, value

SLUG = "findings"
#: How many findings are written out in full (the rest are listed, and all are in a table).
TOP_FINDINGS = 6
#: How many findings go into the EDA-versus-SHAP comparison.
TOP_K = 5
#: How many first actions to recommend.
N_ACTIONS = 3
#: What a retention team can do about a category that churns more than the rest. Columns missing
#: here (gender, partner...) describe who a customer is, not something the company can change.
ACTIONS = {
    "Contract": "Offer **{level}** customers a reason to commit: a discount or perk for a one- or two-year contract",
    TENURE_BAND: "Build an onboarding programme for customers in their first months (**{level}**)",
    "PaymentMethod": "Move **{level}** payers to automatic payment (bank transfer or credit card)",
    "InternetService": "Review the **{level}** internet offer: its price and its service quality",
    "OnlineSecurity": "Bundle a free trial of **online security** for customers without it",
    "TechSupport": "Bundle a free trial of **tech support** for customers without it",
    "OnlineBackup": "Bundle a free trial of **online backup** for customers without it",
    "DeviceProtection": "Bundle a free trial of **device protection** for customers without it",
    "PaperlessBilling": "Find out why **paperless-billing** customers leave (bill shock, missed e-mails)",
}


def shap_drivers(card: Card | None) -> tuple[list[tuple[str, float]] | None, str]:
    """The churn model's top SHAP drivers by original column, or None with the reason they are missing."""
    if card is None:
        return None, ("The churn model has no committed model card yet, so there are no SHAP drivers to compare "
                      f"with. `{train_command('churn')}` creates it.")
    drivers = (card.extra or {}).get("top_drivers")
    if not drivers:
        return None, ("The churn model's card has no `top_drivers` entry, so there are no SHAP drivers to "
                      f"compare with; retraining with `{train_command('churn')}` writes them.")
    totals: dict[str, float] = {}
    names = sorted({*telco.FEATURES, SENIOR}, key=len, reverse=True)
    for d in drivers:
        feature = str(d["feature"])
        column = next((c for c in names if c in feature), feature)
        column = SENIOR if column == "SeniorCitizen" else column
        totals[column] = totals.get(column, 0.0) + float(d["mean_abs_shap"])
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True), ""


def build(scope: Scope, card: Card | None = None) -> Chapter:
    """Ranked findings, every test, EDA against the model's SHAP drivers, and first actions."""
    tested = scope.column_findings
    passed = findings.passing(tested)
    rules = (f"a column counts when its test's Benjamini-Hochberg adjusted p-value is below {findings.ALPHA} and "
             f"its effect size is at least {findings.MIN_EFFECT} (Cramér's V for categories, |rank-biserial r| "
             f"for numbers); a category counts when it differs from everyone else by at least "
             f"{findings.MIN_RATE_GAP * 100:.0f} points, its {stats.CONFIDENCE:.0%} interval excludes zero, "
             f"the adjusted p is below {findings.ALPHA} and both sides hold at least {findings.MIN_GROUP} customers")
    if not tested:
        return Chapter.of(SLUG, [Note(
            f"Among {scope.who} there is only one outcome, so there is nothing to test. Widen the filter.",
            "warning")])
    failed = [label(f.column) for f in tested if not f.passes]
    verb = "passes" if len(passed) == 1 else "pass"
    items: list[Item] = [
        "### Key findings, ranked by effect size",
        f"For {scope.who}, **{len(passed)} of {len(tested)} columns {verb} the rules**: {rules}. "
        + (f"Not passing: {', '.join(failed)}." if failed else "Every column passes."),
    ]
    lines = []
    for i, f in enumerate(passed[:TOP_FINDINGS], 1):
        if f.kind == "categorical":
            stat = f"χ²({f.dof}) = {f.statistic:,.1f}, adjusted {stats.format_p(f.q)}, Cramér's V = {f.effect:.2f}"
            gap = scope.top_gap(f.column)
            detail = f" {gap_text(gap)}." if gap is not None else ""
        else:
            stat = (f"Mann-Whitney U = {f.statistic:,.0f}, adjusted {stats.format_p(f.q)}, "
                    f"rank-biserial r = {f.effect:+.2f}")
            detail = (f" A median of {value(f.column, f.median_churned)} for churners against "
                      f"{value(f.column, f.median_stayed)} for stayers: churners tend "
                      f"{'higher' if f.effect > 0 else 'lower'}.")
        lines.append(f"{i}. **{label(f.column)}** ({stats.effect_label(f.size)} effect; {stat}).{detail}")
    items.append("\n".join(lines) if lines else Note("No column passes the rules for this filter."))
    if len(passed) > TOP_FINDINGS:
        rest = ", ".join(f"{label(f.column)} ({f.size:.2f})" for f in passed[TOP_FINDINGS:])
        items.append(f"Also passing, in order: {rest}. Every test is in the table below the chart.")
    effects = pd.DataFrame([{"column": f.column, "size": f.size, "kind": f.effect_name, "passes": f.passes}
                            for f in tested])
    strongest = passed[0] if passed else tested[0]
    items.append(charts.effect_bars(effects, findings.MIN_EFFECT,
                                    f"{label(strongest.column)} is the strongest signal "
                                    f"({strongest.effect_name} {strongest.effect:.2f})"))
    items.append(Table(_tests_table(tested), f"Every column's test against churn for {scope.who}; "
                       "q is the Benjamini-Hochberg adjusted p-value.", {"effect": "float", "statistic": "float"}))
    items += _eda_vs_shap(scope, passed, card)
    items += _actions(scope)
    return Chapter.of(SLUG, items)


def _tests_table(tested: list[findings.ColumnFinding]) -> pd.DataFrame:
    return pd.DataFrame([{
        "column": label(f.column), "test": f.test, "statistic": f.statistic, "p": stats.format_p(f.p),
        "q": stats.format_p(f.q).replace("p", "q", 1), "effect size": f.effect_name, "effect": f.effect,
        "size": stats.effect_label(f.size), "passes": "yes" if f.passes else "no",
    } for f in tested])


def _eda_vs_shap(scope: Scope, passed: list[findings.ColumnFinding], card: Card | None) -> list[Item]:
    items: list[Item] = ["### Strongest in the data against what the model uses"]
    drivers, reason = shap_drivers(card)
    eda = [(f.column, f.size) for f in passed[:TOP_K]]
    if drivers is None:
        return [*items, Note(reason)]
    shap = drivers[:TOP_K]
    rows = []
    for i in range(max(len(eda), len(shap))):
        e = eda[i] if i < len(eda) else ("", float("nan"))
        s = shap[i] if i < len(shap) else ("", float("nan"))
        rows.append({"rank": i + 1, "strongest in EDA": label(e[0]) if e[0] else "", "effect size": e[1],
                     "top SHAP driver": label(s[0]) if s[0] else "", "mean |SHAP|": s[1]})
    shap_rank = {c: i for i, (c, _) in enumerate(drivers, 1)}
    eda_rank = {f.column: i for i, f in enumerate(scope.column_findings, 1)}
    top_shap = {c for c, _ in shap}
    top_eda = {c for c, _ in eda}
    both = [label(c) for c, _ in eda if c in top_shap]
    only_eda = [f"{label(c)} (model rank {shap_rank.get(c, '–')})" for c, _ in eda if c not in top_shap]
    only_shap = [f"{label(c)} (EDA rank {eda_rank.get(c, '–')})" for c, _ in shap if c not in top_eda]
    text = (f"**{len(both)} of the top {TOP_K} agree**" + (f": {', '.join(both)}." if both else ".")
            + (f" Strong in the data but outside the model's top {TOP_K}: {', '.join(only_eda)}." if only_eda
               else "")
            + (f" In the model's top {TOP_K} but weaker on their own: {', '.join(only_shap)}." if only_shap else "")
            + " The EDA measures each column on its own; SHAP measures what the model draws from a column given "
              "all the others, so columns that repeat each other (the add-ons and InternetService, TotalCharges "
              "and tenure) split the credit there."
            + ("" if scope.filter.is_empty else
               f" The SHAP ranking is for the model on all customers; the EDA ranking is for {scope.who}."))
    return [*items, text, Table(pd.DataFrame(rows), "Side by side: effect size from this page, mean |SHAP| "
                                "from the churn model's card (one-hot columns summed per original column).",
                                {"effect size": "float", "mean |SHAP|": "float"})]


def _actions(scope: Scope) -> list[Item]:
    items: list[Item] = ["### What a retention team should do first"]
    chosen: list[findings.SegmentFinding] = []
    candidates = [f for f in scope.segment_findings if f.passes and f.diff.value > 0 and f.column in ACTIONS]
    for f in sorted(candidates, key=lambda f: f.excess_churners, reverse=True):
        if f.column not in {c.column for c in chosen}:
            chosen.append(f)
        if len(chosen) == N_ACTIONS:
            break
    if not chosen:
        return [*items, Note(f"No category of {scope.who} that a retention team can act on churns clearly above "
                             "the rest, so the rules recommend nothing here.")]
    churners = int(scope.frame[TARGET].sum())
    lines = []
    for i, f in enumerate(chosen, 1):
        action = ACTIONS[f.column].format(level=f.level.lower() if f.column != TENURE_BAND else f.level)
        lines.append(
            f"{i}. {action}. {cap(level_words(f.column, f.level))}: {f.rate.n:,} of them, churning at "
            f"{pct(f.rate.value)} against {pct(f.rest.value)} for the rest. At the rest's rate about "
            f"**{f.excess_churners:,.0f} fewer would leave** ({f.excess_churners / churners:.0%} of the "
            f"{churners:,} churners).")
    return [
        *items,
        f"Ranked by the churners a group has beyond what the rest's rate predicts, one action per column, from "
        f"the categories that pass the rules among {scope.who}:",
        "\n".join(lines),
        Note("These are associations, not causes: the groups overlap (month-to-month customers are also the new "
             "ones), and an offer can change who stays. Try each action on a random half of its group first "
             "and measure the difference."),
    ]
