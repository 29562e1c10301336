"""A fast intent router: live-prediction questions go to the churn or sentiment model as a tool.

The 135M generator is not reliable at tool calling, so the decision is made by rules that run
in microseconds and can be read and tested: a churn request needs a churn word, a prediction word
and at least one customer detail we can parse; a sentiment request needs a "positive/negative/
sentiment" ask and a text to score. The router only ever sees the visitor's question, never
document text, so a document cannot trigger a tool.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from src.churn.data import ADD_ONS as INTERNET_ADDONS  # the Telco column groups live in one place
from src.core.markdown import escape

_CHURN_WORD = re.compile(r"\b(churn\w*|leave|leaving|cancel\w*|quit|attrition|stay)\b", re.I)
_PREDICT_WORD = re.compile(
    r"\b(risk|probability|likel\w*|chance|odds|predict\w*|score|will|would|going to|expected)\b", re.I)
_SENTIMENT_ASK = re.compile(
    r"\b(positive|negative|sentiment|favou?rable|happy or (?:sad|unhappy)|good or bad review|tone)\b", re.I)
_QUOTED = re.compile(r"[\"“«'‘](.{3,}?)[\"”»'’](?:\s|$|[?.!])", re.S)
#: A number as a visitor may type it: 70, 70.5, 1e308, 10^20 (the whole of it, never a tail like the "20" of
#: "10^20", which the old pattern read as a tenure of 20 months, or the "1" of "$1e308").
_NUM = r"(?<![\w.^])(\d+(?:\.\d+)?(?:e[+-]?\d+|\^\d+)?)(?![\w^]|\.\d)"
#: Values a customer can plausibly have; anything beyond is refused with a note, never silently clipped.
PLAUSIBLE = {"tenure": (0, 1200), "MonthlyCharges": (0, 10_000)}


@dataclass
class Route:
    """What the router decided: which tool, with what input, and what it had to assume."""

    tool: str  # "churn" | "sentiment"
    payload: Any
    parsed: list[str] = field(default_factory=list)
    #: Values the visitor gave that can't be a customer's ("MonthlyCharges 1e308"): nothing is scored then.
    problems: list[str] = field(default_factory=list)


# --- churn: parse a customer from a sentence ---------------------------------------------------


def _flag(text: str, pattern: str) -> str | None:
    """'Yes' when the feature is mentioned, 'No' when negated ("no tech support", "without a partner")."""
    match = re.search(rf"\b{pattern}", text)
    if not match:
        return None
    negated = re.search(r"\b(no|without|not|n't have|lacks?)\s+(?:\w+\s+)?$", text[: match.start()])
    return "No" if negated else "Yes"


def to_number(text: str) -> float:
    """A typed number as a float ("10^20" and "1e308" included; overflow gives inf)."""
    if "^" in text:
        base, power = text.split("^", 1)
        try:
            return float(base) ** float(power)
        except OverflowError:
            return math.inf
    return float(text)


def implausible(found: dict[str, Any], raw: dict[str, str]) -> list[str]:
    """Readable notes for parsed values outside :data:`PLAUSIBLE` (those values are removed from ``found``)."""
    notes = []
    for feature, (low, high) in PLAUSIBLE.items():
        value = found.get(feature)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            shown = raw.get(feature, value)
            notes.append(f"{feature} = {shown} is not a plausible value (expected {low} to {high:,}).")
            del found[feature]
    return notes


def parse_customer(text: str) -> tuple[dict[str, Any], list[str]]:
    """Customer features found in free text, and their names. Unmentioned features are left out."""
    found, _ = _parse(text)
    return found, list(found)


#: Categories said in words: (pattern, value) in order, the first pattern found wins.
_CONTRACTS = ((r"month[- ]to[- ]month|monthly contract|no contract", "Month-to-month"),
              (r"(one|1)[- ]year|annual contract|yearly contract", "One year"), (r"(two|2)[- ]year", "Two year"))
_INTERNET = ((r"no internet", "No"), (r"fib(er|re)", "Fiber optic"), (r"\bdsl\b", "DSL"))
_GENDERS = ((r"\b(female|woman)\b", "Female"), (r"\b(male|man)\b", "Male"))


def _said(found: dict[str, Any], feature: str, t: str, options: tuple[tuple[str, str], ...]) -> None:
    """Set ``found[feature]`` to the value of the first of ``options`` whose pattern is in ``t``, if any."""
    if value := next((value for pattern, value in options if re.search(pattern, t)), None):
        found[feature] = value


def _parse(text: str) -> tuple[dict[str, Any], list[str]]:
    """Features and the notes of implausible values (see :func:`implausible`)."""
    found: dict[str, Any] = {}
    raw: dict[str, str] = {}
    t = text.lower()
    # tenure: "2 months", "3 years" (but not "1-year contract", "$70 a month"), or "tenure of 5"
    if m := re.search(_NUM + r"\s*[- ]?(?:years?|yrs?)\b(?!\s*[- ]?contract)", t):
        found["tenure"], raw["tenure"] = to_number(m.group(1)) * 12, f"{m.group(1)} years"
    if m := re.search(_NUM + r"\s*[- ]?(?:months?|mos?)\b(?!\s*[- ]?(?:contract|to))", t):
        found["tenure"], raw["tenure"] = to_number(m.group(1)), f"{m.group(1)} months"
    if m := re.search(r"tenure\s*(?:of|is|=|:)?\s*" + _NUM, t):
        found["tenure"], raw["tenure"] = to_number(m.group(1)), m.group(1)
    if "tenure" in found and math.isfinite(found["tenure"]):
        found["tenure"] = round(found["tenure"])
    _said(found, "Contract", t, _CONTRACTS)
    if m := re.search(r"\$\s*" + _NUM.replace("(?<![\\w.^])", "") + r"|" + _NUM + r"\s*(?:\$|dollars?|usd|eur|€)"
                      r"|(?:monthly charges?|pays|paying|bill)\D{0,12}" + _NUM, t):
        raw["MonthlyCharges"] = next(g for g in m.groups() if g)
        found["MonthlyCharges"] = to_number(raw["MonthlyCharges"])
    _said(found, "InternetService", t, _INTERNET)
    for pattern, value in (("electronic check", "Electronic check"), ("mailed check", "Mailed check"),
                           ("bank transfer", "Bank transfer (automatic)"), ("credit card", "Credit card (automatic)")):
        if pattern in t:
            found["PaymentMethod"] = value
    if re.search(r"\bsenior\b|\belderly\b|retired", t):
        found["SeniorCitizen"] = 1
    _said(found, "gender", t, _GENDERS)
    for feature, pattern in (("TechSupport", r"tech(nical)? support"), ("OnlineSecurity", r"online security"),
                             ("OnlineBackup", r"online backup"), ("DeviceProtection", r"device protection"),
                             ("StreamingTV", r"streaming tv"), ("StreamingMovies", r"streaming movies"),
                             ("PaperlessBilling", r"paperless"), ("Partner", r"(partner|spouse|married)"),
                             ("Dependents", r"(dependents|children|kids)"), ("PhoneService", r"phone service")):
        value = _flag(t, pattern)
        if value is not None:
            found[feature] = value
    return found, implausible(found, raw)


def consistent_customer(found: dict[str, Any]) -> dict[str, Any]:
    """The parsed features, made consistent: no internet means no internet add-ons.

    Everything left out is filled by the churn predictor itself (training mode or median), and the
    answer lists what was not given.
    """
    row = dict(found)
    if row.get("InternetService") == "No":
        row.update(dict.fromkeys(INTERNET_ADDONS, "No internet service"))
    return row


# --- classification ----------------------------------------------------------------------------


def _text_to_score(question: str) -> str:
    """The text a sentiment question asks about: the quoted part, else what follows a colon."""
    if m := _QUOTED.search(question):
        return m.group(1).strip()
    if ":" in question:
        return question.split(":", 1)[1].strip().strip("\"'“”")
    return ""


def classify(question: str) -> Route | None:
    """The tool a question asks for, or None for a question about the documents."""
    text = question.strip()
    if _SENTIMENT_ASK.search(text.split(":", 1)[0] if ":" in text else text):
        target = _text_to_score(text)
        if target:
            return Route("sentiment", target)
    if _CHURN_WORD.search(text) and _PREDICT_WORD.search(text):
        found, problems = _parse(text)
        who = re.search(r"\b(customer|client|subscriber|user|someone|person|account|he|she|they)\b", text, re.I)
        if (found or problems) and who:
            return Route("churn", consistent_customer(found), list(found), problems)
    return None


# --- tools -----------------------------------------------------------------------------------


@dataclass
class Tool:
    """A predictor the router can call, and whether its artifact is there."""

    name: str
    title: str
    module: str
    run: Callable[[Any], dict]
    available: Callable[[], bool]


@dataclass
class ToolAnswer:
    """What a tool said, as markdown for the chat, plus the raw output for the inspector."""

    tool: str
    text: str
    output: dict | None
    ok: bool


def default_tools() -> dict[str, Tool]:
    """The churn and sentiment predictors, imported lazily and only when their model card exists."""
    from src.core import demos

    def has(slug: str) -> Callable[[], bool]:
        return lambda: demos.get(slug).has_artifact

    def churn(features: dict) -> dict:
        from src.churn.predict import predict_one

        return predict_one(features)

    def sentiment(text: str) -> dict:
        from src.sentiment.predict import predict_text

        return predict_text(text)

    return {
        "churn": Tool("churn", "Churn model", "src.churn.predict.predict_one", churn, has("churn")),
        "sentiment": Tool("sentiment", "Sentiment model", "src.sentiment.predict.predict_text", sentiment,
                          has("sentiment")),
    }


def _format_reasons(reasons: Any) -> str:
    if not reasons:
        return ""
    items = reasons if isinstance(reasons, list | tuple) else [reasons]
    return "\n".join(f"- {r if isinstance(r, str) else r.get('text', r)}" for r in items[:3])


def run_tool(route: Route, tools: dict[str, Tool]) -> ToolAnswer:
    """Call the routed tool and word its answer; a missing artifact or a failure is said plainly."""
    if route.problems:  # said before anything else: the visitor's value is the problem, not the model
        return ToolAnswer(route.tool, "I can't score this customer: " + " ".join(route.problems), None, True)
    tool = tools.get(route.tool)
    if tool is None or not tool.available():
        return ToolAnswer(route.tool, f"The {route.tool} model is not trained on this deployment, so I can't "
                          "make a live prediction. Here is what the documents say instead.", None, False)
    try:
        out = tool.run(route.payload)
    except ValueError as exc:  # both predictors explain invalid input in a readable ValueError
        return ToolAnswer(route.tool, f"The {tool.title.lower()} could not score this: {escape(str(exc))}",
                          None, False)
    except Exception as exc:  # a tool bug must not break the chat
        return ToolAnswer(route.tool, f"The {tool.title.lower()} failed on this input ({type(exc).__name__}).",
                          None, False)
    header = f"**Answered by the {tool.title.lower()}** (tool `{tool.module}`), not by the language model.\n\n"
    if route.tool == "churn":
        prob = float(out.get("probability", 0.0))
        given = ", ".join(f"{k}={route.payload[k]}" for k in route.parsed)
        text = (f"{header}Churn probability **{prob:.0%}** ({out.get('risk_band', 'unknown')} risk) "
                f"for a customer with {given}.")
        if reasons := _format_reasons(out.get("reasons")):
            text += f"\n\nMain reasons:\n{reasons}"
        text += "\n\n_Features not mentioned take the most common value (or the median) of the training data._"
    else:
        conf = float(out.get("confidence", 0.0))
        model = f" (model: {out['model']})" if out.get("model") else ""
        shown = escape(route.payload if len(route.payload) <= 200 else route.payload[:200] + "…")
        text = f"{header}The text “{shown}” reads **{out.get('label', '?')}** with {conf:.0%} confidence{model}."
    return ToolAnswer(route.tool, text, out, True)
