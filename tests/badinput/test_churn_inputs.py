"""Churn batch scoring and its two CLIs against the corpus (issue 16 #4, #8, #9, #11)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from src.churn import data
from src.churn.evaluate import app as evaluate_app
from src.churn.predict import OUT_OF_RANGE, Predictor
from src.churn.predict import app as predict_app
from src.core.safe_csv import to_csv_bytes
from tests.badinput.checks import assert_clear, assert_cli_clean, assert_csv_safe, attempt, run_cli
from tests.badinput.corpus import churn_cases, churn_csv, churn_labelled, churn_lines

#: Hang guard per file (the 50k-row cap scores in ~2 s here): generous, it only catches a runaway.
SECONDS = 20


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    try:
        return Predictor.from_artifact()
    except FileNotFoundError as exc:
        pytest.skip(f"no committed churn model: {exc}")


@pytest.mark.parametrize("case", churn_cases(), ids=str)
def test_every_row_is_scored_or_listed_with_its_line(case, predictor):
    result, error, usage = attempt(lambda: predictor.score_upload(case.payload), data.SchemaError)
    if error is not None:
        assert case.rows_in == 0, f"{case.name}: the whole file was refused: {error}"
        assert_clear(error, case.expect)
        return
    assert usage.within(SECONDS), usage
    assert case.rows_in, f"{case.name} should have been refused as a whole"
    assert len(result.scored) + len(result.errors) == case.rows_in, "rows in = rows scored + rows in errors"
    lines = sorted([*result.scored["row"], *result.errors["row"]])
    assert len(set(lines)) == len(lines) and min(lines) >= 2, f"line numbers {lines}"
    if "errors" in case.extra:
        assert len(result.errors) == case.extra["errors"], result.errors[["row", "reason"]].to_dict("records")
    if "error_lines" in case.extra:
        assert sorted(result.errors["row"]) == case.extra["error_lines"]
    if "scored_lines" in case.extra:
        assert sorted(result.scored["row"]) == case.extra["scored_lines"]
    for reason in result.errors.get("reason", []):
        assert_clear(reason)
    assert_csv_safe(to_csv_bytes(result.scored))
    assert_csv_safe(to_csv_bytes(result.errors))
    if case.expect:
        assert any(case.expect in n.lower() for n in result.notes), result.notes


def test_blank_lines_keep_the_files_own_line_numbers(predictor):
    header, *rows = churn_lines(3)
    content = churn_csv([header, rows[0], "", "   ", rows[1].replace(",Male,", ",Robot,"), rows[2]])
    result = predictor.score_upload(content)
    assert sorted(result.scored["row"]) == [2, 6]
    errors = dict(zip(result.errors["row"], result.errors["reason"], strict=True))
    assert set(errors) == {3, 4, 5} and "blank" in errors[3].lower() and "Robot" in errors[5]


def test_an_extreme_tenure_is_scored_with_an_out_of_range_note(predictor):
    header, row = churn_lines(1)
    result = predictor.score_upload(churn_csv([header, row.replace(",1,", ",100000000000000000000,", 1)]))
    assert len(result.scored) == 1 and "tenure=1e+20" in result.scored.loc[0, OUT_OF_RANGE]
    assert any("outside the range seen in training" in n for n in result.notes)
    one = predictor.predict_one({"tenure": 10**20, "MonthlyCharges": 50})
    assert any("tenure=1e+20 is outside the training range" in n for n in one["notes"])


def test_formula_header_and_cells_are_neutralised_in_both_files(predictor, tmp_path):
    case = next(c for c in churn_cases() if c.name == "formula_cells_and_header")
    src = tmp_path / "in.csv"
    src.write_bytes(case.payload)
    result = run_cli(predict_app, ["--data", str(src), "--out", str(tmp_path / "out.csv")])
    assert_cli_clean(result, ok=True)
    for name in ("out.csv", "out.errors.csv"):
        assert_csv_safe((tmp_path / name).read_bytes())
    errors = (tmp_path / "out.errors.csv").read_text()
    assert "'=cmd|" in errors.splitlines()[0] or json.loads(result.stdout.splitlines()[-1])["errors"] == 0


# --- churn.predict CLI ---------------------------------------------------------------------------


def test_predict_out_into_a_missing_folder_creates_it(predictor, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(churn_csv(churn_lines(3)))
    out = tmp_path / "not" / "there" / "scored.csv"
    result = run_cli(predict_app, ["--data", str(src), "--out", str(out)])
    assert_cli_clean(result, ok=True)
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["scored"] == 3 and out.is_file() and (out.parent / "scored.errors.csv").is_file()


@pytest.mark.parametrize(("override", "expect"), [
    ({"--max-rows": "-3"}, "greater than or equal to 1"),
    ({"--max-rows": "0"}, "greater than or equal to 1"),
    ({"--max-rows": "ten"}, "integer"),
    ({"--data": "/no/such/file.csv"}, "no such file"),
    ({"--data": "/"}, "directory"),
    ({"--out": "/proc/forbidden/x.csv"}, "cannot write"),
    ({"--data": "{tmp}/empty.csv"}, "empty"),
    ({"--nonsense": "1"}, "no such option"),
    ({"--errors": "{tmp}/o.csv"}, "different files"),
    ({"--out": "{tmp}/in.csv"}, "different files"),
])
def test_predict_bad_arguments_get_one_clear_line(override, expect, predictor, tmp_path):
    (tmp_path / "in.csv").write_bytes(churn_csv(churn_lines(10)))
    (tmp_path / "empty.csv").write_bytes(b"")
    args = {"--data": str(tmp_path / "in.csv"), "--out": str(tmp_path / "o.csv")}
    args |= {k: v.format(tmp=tmp_path) for k, v in override.items()}
    result = run_cli(predict_app, [x for pair in args.items() for x in pair])
    assert_cli_clean(result, expect, ok=False)


def test_predict_max_rows_caps_and_says_so(predictor, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(churn_csv(churn_lines(10)))
    result = run_cli(predict_app, ["--data", str(src), "--out", str(tmp_path / "o.csv"), "--max-rows", "3"])
    assert_cli_clean(result, ok=True)
    assert json.loads(result.stdout.splitlines()[-1])["scored"] == 3
    assert "10 rows; only the first 3" in result.stderr


# --- churn.evaluate CLI --------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [["1", "0", "1", "0"], ["Yes", "No", "yes", "NO"], ["true", "false", "1", "No"]])
def test_evaluate_accepts_yes_no_and_0_1_labels(labels, predictor, tmp_path):
    src = tmp_path / "labelled.csv"
    src.write_bytes(churn_labelled(labels))
    result = run_cli(evaluate_app, ["--data", str(src)])
    assert_cli_clean(result, ok=True)
    metrics = json.loads(result.stdout)
    assert metrics["rows_scored"] == 4 and metrics["churn_rate"] == 0.5
    assert metrics["rows_in"] == metrics["rows_scored"] + metrics["rows_in_errors"]


def test_evaluate_counts_unusable_rows_and_writes_them_only_when_asked(predictor, tmp_path):
    src = tmp_path / "labelled.csv"
    content = churn_labelled(["1", "maybe", "0", "", "1"]).decode().splitlines()
    content.insert(3, "   ")
    src.write_text("\n".join(content) + "\n")
    result = run_cli(evaluate_app, ["--data", str(src)])
    assert_cli_clean(result, ok=True)
    metrics = json.loads(result.stdout)
    assert (metrics["rows_in"], metrics["rows_scored"], metrics["rows_in_errors"]) == (6, 3, 3)
    assert not any("errors file" in n for n in metrics["notes"]), "no errors file was written"
    errors = tmp_path / "sub" / "rejected.csv"
    result = run_cli(evaluate_app, ["--data", str(src), "--errors", str(errors)])
    assert_cli_clean(result, ok=True)
    rows = list(csv.DictReader(io.StringIO(errors.read_text())))
    assert [int(r["row"]) for r in rows] == [3, 4, 6] and "maybe" in rows[0]["reason"]


@pytest.mark.parametrize(("labels", "expect"), [(["maybe", "2"], "yes/no"), (None, "churn")])
def test_evaluate_without_usable_labels_says_why(labels, expect, predictor, tmp_path):
    src = tmp_path / "labelled.csv"
    src.write_bytes(churn_labelled(labels) if labels else churn_csv(churn_lines(2)))
    assert_cli_clean(run_cli(evaluate_app, ["--data", str(src)]), expect, ok=False)


@pytest.mark.parametrize(("args", "expect"), [
    (["--data", "/no/such.csv"], "no such file"), (["--threshold", "2"], "threshold"), (["--threshold", "x"], "number"),
])
def test_evaluate_bad_arguments(args, expect, predictor, tmp_path):
    src = tmp_path / "labelled.csv"
    src.write_bytes(churn_labelled(["1", "0"]))
    argv = ["--data", str(src), *args] if args[0] != "--data" else args
    assert_cli_clean(run_cli(evaluate_app, argv), expect, ok=False)


# --- the page's batch chapter --------------------------------------------------------------------


def _batch_page(name: str, data: bytes) -> None:
    from src.ui import churn_widgets
    from tests.badinput.checks import fake_uploads

    with fake_uploads([(name, data)]):
        churn_widgets.batch(churn_widgets.predictor())


def test_the_batch_page_shows_uploaded_header_names_as_text(predictor):
    from streamlit.testing.v1 import AppTest

    header, *rows = churn_lines(2)
    content = churn_csv([header + ",**bold** [x](http://evil.example)", *(r + ",1" for r in rows), "   "])
    at = AppTest.from_function(_batch_page, args=("evil.csv", content), default_timeout=60).run()
    assert not at.exception, at.exception
    notes = [str(w.value) for w in at.warning]
    assert any("bold" in n for n in notes), notes
    assert not any("**bold**" in n or "](http" in n for n in notes), f"issue 16 #10: markdown echoed: {notes}"
    assert any("Scored 2 row(s); 1 failed" in str(s.value) for s in at.success), [s.value for s in at.success]
