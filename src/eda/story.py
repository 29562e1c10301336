"""The six chapters of the story, written from the numbers at run time.

Every sentence is a template in this file filled with values computed from the frame in scope,
and names the current filter. A chapter is a list of items (markdown, figures, tables, alerts)
that both the page and the HTML report know how to draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from src.churn import data as telco
from src.eda import charts, findings, quality, rates, stats
from src.eda.data import (
    CATEGORICAL,
    NUMERIC,
    OUTCOME,
    SENIOR,
    TARGET,
    TENURE_BAND,
    Filter,
    label,
)
from src.eda.segments import N_SEGMENTS, SEGMENT, Segmentation, segment

#: The chapters in reading order: URL slug -> title. "findings" is the Home tour's target.
CHAPTERS = {
    "question": "1 · The question",
    "quality": "2 · Data quality",
    "who-leaves": "3 · Who leaves",
    "money": "4 · Money",
    "segments": "5 · Segments",
    "findings": "6 · What it means",
}
#: Columns charted in "Who leaves".
WHO_LEAVES = ("Contract", TENURE_BAND, "InternetService", "PaymentMethod", SENIOR,
              "OnlineSecurity", "TechSupport", "OnlineBackup", "DeviceProtection")
#: Columns whose categories the segment rules test (the tenure bands stand in for tenure).
SEGMENT_COLUMNS = (*CATEGORICAL, TENURE_BAND)
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


# --- the items a chapter is made of ----------------------------------------------------------


@dataclass
class Metric:
    label: str
    value: str
    help: str = ""


@dataclass
class Metrics:
    items: list[Metric]


@dataclass
class Table:
    frame: pd.DataFrame
    caption: str = ""
    #: Column -> format: "pct", "money", "float" (integers get thousands separators).
    formats: dict[str, str] = field(default_factory=dict)

    def formatted(self) -> pd.DataFrame:
        """The table as display strings, the same on the page and in the report."""
        out = self.frame.copy()
        for column in out.columns:
            kind = self.formats.get(column)
            if kind is None and pd.api.types.is_integer_dtype(out[column]):
                kind = "int"
            fmt = {"pct": "{:.1%}", "money": "${:,.2f}", "float": "{:.3f}", "int": "{:,}"}.get(kind or "")
            if fmt:
                out[column] = [fmt.format(v) if pd.notna(v) else "" for v in out[column]]
        return out.rename(columns=HEADERS)


@dataclass
class Alerts:
    alerts: list[quality.Alert]


@dataclass
class Note:
    text: str
    tone: Literal["info", "warning"] = "info"


Item = str | go.Figure | Metrics | Table | Alerts | Note


@dataclass
class Chapter:
    slug: str
    title: str
    items: list[Item]


#: Readable table headers for the frames' column names.
HEADERS = {
    "rate": "churn rate", "churn_rate": "churn rate", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "name": "segment", "median_tenure": "median tenure (months)", "median_monthly": "median monthly",
    "mean_services": "services (mean)", "top_contract": "most common contract",
}


# --- formatting ------------------------------------------------------------------------------


def pct(x: float) -> str:
    return f"{x:.1%}"


def ci(low: float, high: float) -> str:
    return f"95% CI {low:.1%}–{high:.1%}"


def points(x: float) -> str:
    return f"{x * 100:+.1f} points"


def money(x: float) -> str:
    return f"${x:,.2f}"


def chi_text(chi: stats.ChiSquare) -> str:
    return (f"χ²({chi.dof}) = {chi.statistic:,.1f}, {stats.format_p(chi.p)}, Cramér's V = {chi.cramers_v:.2f} "
            f"({stats.effect_label(chi.cramers_v)})")


def mw_text(mw: stats.MannWhitney) -> str:
    return (f"Mann-Whitney U = {mw.u:,.0f}, {stats.format_p(mw.p)}, rank-biserial r = {mw.rank_biserial:+.2f} "
            f"({stats.effect_label(mw.rank_biserial)})")


def gap_text(f: findings.SegmentFinding) -> str:
    """One category against the rest, with the interval of the difference."""
    who = _cap(_level_words(f.column, f.level))
    return (f"{who} churn at {pct(f.rate.value)} ({ci(f.rate.low, f.rate.high)}) against {pct(f.rest.value)} "
            f"for everyone else: {points(f.diff.value)} (95% CI {f.diff.low * 100:+.1f} to {f.diff.high * 100:+.1f})")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _value(column: str, value: float) -> str:
    """A value of a numeric column with its unit."""
    return f"{value:,.0f} months" if column == "tenure" else money(value)


def _level_words(column: str, level: str) -> str:
    """A category as the subject of a sentence: "Month-to-month customers", "customers without tech support"."""
    if column in CATEGORICAL and level in ("Yes", "No") and column != SENIOR:
        return f"customers {'with' if level == 'Yes' else 'without'} {label(column).lower()}"
    if level in ("No internet service", "No phone service"):
        return f"customers with {level.lower()}"
    if column == TENURE_BAND:
        return f"customers at {level} of tenure"
    if column == SENIOR:
        return f"{level.lower()} customers"
    return f"{level} customers"


# --- the scope: frames plus the analyses chapters share --------------------------------------


@dataclass
class Scope:
    """What a story is told about: the published file, and the rows the filter keeps."""

    raw: pd.DataFrame
    full: pd.DataFrame
    filter: Filter

    @cached_property
    def frame(self) -> pd.DataFrame:
        return self.filter.apply(self.full)

    @property
    def who(self) -> str:
        """The filter in words, e.g. "senior customers on a month-to-month contract"."""
        return self.filter.describe()

    @property
    def counted(self) -> str:
        """The group with its size, e.g. "all 7,043 customers" or "the 636 senior customers on ..."."""
        n = len(self.frame)
        return f"all {n:,} customers" if self.filter.is_empty else f"the {n:,} {self.who}"

    @cached_property
    def base(self) -> stats.Rate:
        return stats.wilson(int(self.frame[TARGET].sum()), len(self.frame))

    @cached_property
    def column_findings(self) -> list[findings.ColumnFinding]:
        return findings.column_findings(self.frame, TARGET, CATEGORICAL, NUMERIC)

    @cached_property
    def segment_findings(self) -> list[findings.SegmentFinding]:
        return findings.segment_findings(self.frame, TARGET, SEGMENT_COLUMNS)

    @cached_property
    def segmentation(self) -> Segmentation | None:
        return segment(self.frame)

    def top_gap(self, column: str) -> findings.SegmentFinding | None:
        """The passing category of ``column`` furthest from the rest, if any."""
        return next((f for f in self.segment_findings if f.column == column and f.passes), None)


def empty_message(flt: Filter, total: int) -> str:
    """What to say when the filter keeps nobody."""
    return (f"No customers match this filter: there are no {flt.describe()} among the {total:,} in the data. "
            "Widen the filter in the sidebar (remove a contract, an internet type or the senior choice) "
            "and the story comes back.")


# --- chapter 1: the question and the data ----------------------------------------------------


def question(scope: Scope) -> Chapter:
    raw, frame, base = scope.raw, scope.frame, scope.base
    churned = int(frame[TARGET].sum())
    clean = telco.clean(raw)
    numeric = [c for c in clean.columns if pd.api.types.is_numeric_dtype(clean[c]) and c != TARGET]
    as_text = [c for c in numeric if not pd.api.types.is_numeric_dtype(raw[c])]
    n_text = raw.shape[1] - len(numeric) - 2  # minus the ID and the churn flag
    one_in = round(1 / base.value) if base.value > 0 else 0
    items: list[Item] = [
        "**The question:** which customers leave, and what could keep them?",
        f"The data is IBM's Telco customer file: **{len(raw):,} rows and {raw.shape[1]} columns**. One row is one "
        f"customer; `Churn` says whether they left in the last month. Besides the ID and the churn flag there are "
        f"{n_text} text columns (services, contract, billing, demographics) and {len(numeric)} numeric ones"
        + (f", of which {', '.join(as_text)} is published as text (see Data quality)." if as_text else "."),
    ]
    if scope.filter.is_empty:
        items.append(f"**{churned:,} of {len(frame):,} customers left: a churn rate of {pct(base.value)}** "
                     f"({ci(base.low, base.high)}), about 1 in {one_in}. That is the base rate every other "
                     "number in this story is compared with.")
    else:
        overall = stats.wilson(int(scope.full[TARGET].sum()), len(scope.full))
        items.append(f"This story is filtered to **{scope.who}: {len(frame):,} of {len(scope.full):,} customers**. "
                     f"{churned:,} of them left, **a churn rate of {pct(base.value)}** ({ci(base.low, base.high)}), "
                     f"against {pct(overall.value)} for all customers. Every number below is for this group.")
    items.append(Metrics([
        Metric("Customers", f"{len(frame):,}", f"rows kept by the filter: {scope.who}"),
        Metric("Churned", f"{churned:,}"),
        Metric("Churn rate", pct(base.value), ci(base.low, base.high) + " (Wilson)"),
        Metric("Columns", f"{raw.shape[1]}", "as published, including the ID and the churn flag"),
    ]))
    items.append(charts.outcome_donut(churned, len(frame) - churned,
                                      f"About 1 in {one_in} of {scope.who} left ({pct(base.value)})"
                                      if one_in else f"None of {scope.who} left"))
    items.append(Table(_dictionary(raw), "Every column as published, and the type the story uses."))
    return Chapter("question", CHAPTERS["question"], items)


def _dictionary(raw: pd.DataFrame) -> pd.DataFrame:
    clean = telco.clean(raw)
    rows = []
    for column in raw.columns:
        values = raw[column].dropna().astype(str).unique()
        rows.append({"column": column, "published as": str(raw[column].dtype), "used as": str(clean[column].dtype),
                     "distinct values": raw[column].nunique(),
                     "examples": ", ".join(values[:3]) + (" …" if len(values) > 3 else "")})
    return pd.DataFrame(rows)


# --- chapter 2: data quality -----------------------------------------------------------------


def data_quality(scope: Scope) -> Chapter:
    alerts = quality.alerts(scope.raw)
    counts = {s: sum(a.severity == s for a in alerts) for s in quality.SEVERITY_ORDER}
    blank = quality.is_blank(scope.filter.apply(scope.raw)["TotalCharges"]).sum()
    items: list[Item] = [
        f"{len(alerts)} automatic checks on the file as published ({len(scope.raw):,} rows) raised "
        f"**{counts['high']} high, {counts['medium']} medium, {counts['low']} low** and {counts['info']} "
        "informational alerts. The checks run on the whole file, before any filter, because a fix applies to "
        f"every row; of {scope.counted} in scope, {blank:,} have a blank TotalCharges.",
        Alerts(alerts),
        "Thresholds: near-constant at "
        f"{quality.NEAR_CONSTANT_SHARE:.0%} of rows in one value, imbalanced at {quality.IMBALANCED_SHARE:.0%}, "
        f"outliers beyond {quality.IQR_FENCE} IQR (Tukey), TotalCharges inconsistent beyond "
        f"{quality.TOTAL_MISMATCH:.0%} of tenure × MonthlyCharges.",
    ]
    return Chapter("quality", CHAPTERS["quality"], items)


# --- chapter 3: who leaves -------------------------------------------------------------------


def who_leaves(scope: Scope) -> Chapter:
    frame, base = scope.frame, scope.base
    items: list[Item] = [
        f"Among {scope.who}, {pct(base.value)} left ({ci(base.low, base.high)}). Each chart shows a group's churn "
        "rate with its 95% Wilson interval; the dashed line is that base rate, and groups above it are in red. "
        "Under each chart: the chi-square test of the whole column, and the group furthest from everyone else "
        "when it passes the rules (see What it means).",
    ]
    skipped = []
    for column in WHO_LEAVES:
        table = rates.churn_rates(frame, column)
        if len(table) < 2 or frame[TARGET].nunique() < 2:
            skipped.append(label(column))
            continue
        hi, lo = table.loc[table["rate"].idxmax()], table.loc[table["rate"].idxmin()]
        title = (f"{_cap(_level_words(column, hi['group']))} churn most: {pct(hi['rate'])}"
                 f"<br><sup>{label(column)}: lowest is {_level_words(column, lo['group'])}, {pct(lo['rate'])}</sup>")
        caption = f"{label(column)} — {chi_text(stats.chi_square(frame[column], frame[TARGET]))}."
        gap = scope.top_gap(column)
        if gap is not None:
            caption += f" Furthest from the rest: {gap_text(gap)}."
        items += [charts.rate_bars(table, base.value, title), caption]
    if skipped:
        items.append(Note(f"Not charted because the filter leaves one group or one outcome: {', '.join(skipped)}."))
    table = pd.concat([rates.churn_rates(frame, c).assign(column=label(c)) for c in WHO_LEAVES], ignore_index=True)
    items.append(Table(table[["column", "group", "customers", "churned", "rate", "ci_low", "ci_high"]],
                       f"Churn rate by group for {scope.who}, with 95% Wilson intervals.",
                       {"rate": "pct", "ci_low": "pct", "ci_high": "pct"}))
    return Chapter("who-leaves", CHAPTERS["who-leaves"], items)


# --- chapter 4: money ------------------------------------------------------------------------

#: Spearman rho from which two columns count as repeating each other.
STRONG_RHO = 0.8


def _direction(mw: stats.MannWhitney, up: str, down: str) -> str:
    """``up``/``down`` when churners differ significantly with at least a small effect, else "same"."""
    if mw.p >= findings.ALPHA or abs(mw.rank_biserial) < findings.MIN_EFFECT:
        return "same"
    return up if mw.rank_biserial > 0 else down


def _phrase(direction: str) -> str:
    return "about the same" if direction == "same" else direction


def _strength(rho: float) -> str:
    return "closely" if abs(rho) >= STRONG_RHO else "moderately" if abs(rho) >= 0.5 else "weakly"


def money_chapter(scope: Scope) -> Chapter:
    frame = scope.frame
    churned, stayed = frame[frame[TARGET] == 1], frame[frame[TARGET] == 0]
    if len(churned) < 2 or len(stayed) < 2:
        return Chapter("money", CHAPTERS["money"], [Note(
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
    return Chapter("money", CHAPTERS["money"], items)


# --- chapter 5: segments ---------------------------------------------------------------------


def segments_chapter(scope: Scope) -> Chapter:
    seg = scope.segmentation
    if seg is None:
        return Chapter("segments", CHAPTERS["segments"], [Note(
            f"The filter keeps {scope.counted}: too few to cluster into {N_SEGMENTS} segments. "
            "Widen the filter.", "warning")])
    p = seg.profile
    fit = ("clear structure" if seg.silhouette >= 0.5 else
           "moderate separation: a useful summary, not natural kinds" if seg.silhouette >= 0.25 else
           "weak separation: read the segments as slices of a continuum")
    risky, safe = p.iloc[0], p.iloc[-1]
    ratio = risky["churn_rate"] / safe["churn_rate"] if safe["churn_rate"] > 0 else float("inf")
    items: list[Item] = [
        f"K-means with k = {N_SEGMENTS} on scaled tenure, monthly charges and number of services splits "
        f"{scope.counted} into {N_SEGMENTS} segments (silhouette {seg.silhouette:.2f}: {fit}). "
        "Each is named by rule from its centre against the medians. The clustering never sees churn, "
        "so the churn rates below are a test of the segments, not their definition.",
        f"**The riskiest segment, {risky['name'].lower()}, churns at {pct(risky['churn_rate'])}**"
        + (f", {ratio:.1f}× the rate of the safest ({safe['name'].lower()}, {pct(safe['churn_rate'])})."
           if ratio != float("inf") else f"; nobody in the safest ({safe['name'].lower()}) left."),
    ]
    for _, s in p.iterrows():
        items.append(
            f"- **{s['name']}**: {s['customers']:,} customers ({s['share']:.0%}), churn {pct(s['churn_rate'])} "
            f"({ci(s['ci_low'], s['ci_high'])}); median tenure {s['median_tenure']:.0f} months, "
            f"{money(s['median_monthly'])}/month, {s['mean_services']:.1f} services on average, "
            f"{s['top_contract_share']:.0%} on {s['top_contract'].lower()} contracts.")
    colours = dict(zip(p["name"], charts.SEGMENT_COLOURS, strict=False))
    framed = scope.frame.assign(**{SEGMENT: seg.labels})
    bars = p.rename(columns={"name": "group", "churn_rate": "rate"})
    items += [
        charts.rate_bars(bars, scope.base.value, f"{risky['name']} churn most: {pct(risky['churn_rate'])}"),
        charts.scatter(framed, "tenure", "MonthlyCharges", SEGMENT, colours,
                       f"The {N_SEGMENTS} segments on tenure and monthly charge"),
    ]
    table = p[["name", "customers", "share", "churn_rate", "ci_low", "ci_high", "median_tenure", "median_monthly",
               "mean_services", "top_contract"]]
    items.append(Table(table, f"Segment profiles for {scope.who}.",
                       {"share": "pct", "churn_rate": "pct", "ci_low": "pct", "ci_high": "pct",
                        "median_monthly": "money", "mean_services": "float"}))
    return Chapter("segments", CHAPTERS["segments"], items)


# --- chapter 6: what it means ----------------------------------------------------------------


def shap_drivers(card) -> tuple[list[tuple[str, float]] | None, str]:
    """The churn model's top SHAP drivers by original column, or None with the reason they are missing."""
    if card is None:
        return None, ("The churn model has no committed model card yet, so there are no SHAP drivers to compare "
                      "with. `python -m src.churn.train` creates it.")
    drivers = (card.extra or {}).get("top_drivers")
    if not drivers:
        return None, ("The churn model's card has no `top_drivers` entry, so there are no SHAP drivers to "
                      "compare with; retraining with `python -m src.churn.train` writes them.")
    totals: dict[str, float] = {}
    names = sorted({*telco.FEATURES, SENIOR}, key=len, reverse=True)
    for d in drivers:
        feature = str(d["feature"])
        column = next((c for c in names if c in feature), feature)
        column = SENIOR if column == "SeniorCitizen" else column
        totals[column] = totals.get(column, 0.0) + float(d["mean_abs_shap"])
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True), ""


def meaning(scope: Scope, card=None) -> Chapter:
    tested = scope.column_findings
    passed = findings.passing(tested)
    rules = (f"a column counts when its test's Benjamini-Hochberg adjusted p-value is below {findings.ALPHA} and "
             f"its effect size is at least {findings.MIN_EFFECT} (Cramér's V for categories, |rank-biserial r| "
             f"for numbers); a category counts when it differs from everyone else by at least "
             f"{findings.MIN_RATE_GAP * 100:.0f} points, its 95% interval excludes zero, the adjusted p is below "
             f"{findings.ALPHA} and both sides hold at least {findings.MIN_GROUP} customers")
    if not tested:
        return Chapter("findings", CHAPTERS["findings"], [Note(
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
            detail = (f" A median of {_value(f.column, f.median_churned)} for churners against "
                      f"{_value(f.column, f.median_stayed)} for stayers: churners tend "
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
    return Chapter("findings", CHAPTERS["findings"], items)


def _tests_table(tested: list[findings.ColumnFinding]) -> pd.DataFrame:
    return pd.DataFrame([{
        "column": label(f.column), "test": f.test, "statistic": f.statistic, "p": stats.format_p(f.p),
        "q": stats.format_p(f.q).replace("p", "q", 1), "effect size": f.effect_name, "effect": f.effect,
        "size": stats.effect_label(f.size), "passes": "yes" if f.passes else "no",
    } for f in tested])


def _eda_vs_shap(scope: Scope, passed: list[findings.ColumnFinding], card) -> list[Item]:
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
            f"{i}. {action}. {_level_words(f.column, f.level).capitalize()}: {f.rate.n:,} of them, churning at "
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


BUILDERS = {
    "question": question,
    "quality": data_quality,
    "who-leaves": who_leaves,
    "money": money_chapter,
    "segments": segments_chapter,
    "findings": meaning,
}


def chapter(slug: str, scope: Scope, card=None) -> Chapter:
    """One chapter by URL slug."""
    if slug == "findings":
        return meaning(scope, card)
    return BUILDERS[slug](scope)


def story(scope: Scope, card=None) -> list[Chapter]:
    """All six chapters, in order (for the report)."""
    return [chapter(slug, scope, card) for slug in CHAPTERS]
