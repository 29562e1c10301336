"""Bounded load test: N concurrent visitors against a locally served app (``make load``; not part of ``make test``).

    python tests/load/run_load.py                 # N = 5 and N = 10, every kind of visit
    python tests/load/run_load.py --sessions 3 --kinds chat --out /tmp/load.json

Each visitor is a light websocket client speaking Streamlit's own protocol (the ``websockets``
package Streamlit itself depends on, and Streamlit's protobuf messages), not a browser: six
Chromium instances on 2 cores measure the client machine, not the server. A visit opens a page,
makes it run a prediction (churn what-if, sentiment analysis) or asks the chat a question, and
records success and latency (request sent -> script finished). The server's own CPU and memory
are read from /proc for each phase.

Safety: the server binds to 127.0.0.1 only and the clients only connect there; session counts,
per-visit timeouts and a total deadline bound every loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.servers import free_port, serving  # noqa: E402

HOST = "127.0.0.1"  # loopback only, never anything else
MAX_SESSIONS = 20
#: What each kind of visit opens, and the chat question it asks (None: opening the page is the prediction).
VISITS = {
    "churn": ("churn", "chapter=customer", None),
    "sentiment": ("sentiment", "chapter=analyse", None),
    "chat": ("rag", "chapter=chat", "How is the churn model evaluated?"),
}
#: Every page of the app, for the fresh-server tours: (page url path, query, chat question or None).
PAGES = {
    "home": ("home", "", None),
    "eda": ("eda", "", None),
    "churn": VISITS["churn"],
    "vision": ("vision", "chapter=classify", None),
    "sentiment": VISITS["sentiment"],
    "chat": VISITS["chat"],
    "model_health": ("model_health", "", None),
    "model_cards": ("model-cards", "", None),
}


@dataclass
class Visit:
    """One visitor's outcome."""

    kind: str
    ok: bool = False
    open_s: float = 0.0  # page open: request -> script finished
    action_s: float = 0.0  # the chat question: request -> answer rendered (0 for page-only visits)
    total_s: float = 0.0
    error: str = ""


@dataclass
class Run:
    """The messages of one script run."""

    status: int | None = None
    elements: list = field(default_factory=list)


async def _script_run(ws, timeout: float) -> Run:
    """Read forward messages until a script run finishes (not one cut short by st.rerun)."""
    run = Run()
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no script_finished within {timeout:.0f} s")
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), left))
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            run.elements.append(msg.delta.new_element)
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                run = Run()  # the app reran itself (st.rerun): wait for the run that finishes
                continue
            run.status = msg.script_finished
            return run


def _problems(run: Run) -> str:
    """An exception element or an error alert in the run, as text ("" when clean)."""
    for el in run.elements:
        which = el.WhichOneof("type")
        if which == "exception":
            return f"exception: {el.exception.message[:200]}"
        if which == "alert" and el.alert.format == 1:  # Alert.ERROR
            return f"error box: {el.alert.body[:200]}"
    return ""


def _rerun(page: str, query: str, widgets: list | None = None) -> bytes:
    back = BackMsg()
    back.rerun_script.page_name = page
    back.rerun_script.query_string = query
    for state in widgets or []:
        back.rerun_script.widget_states.widgets.append(state)
    return back.SerializeToString()


async def _timed_run(ws, page: str, query: str, timeout: float, widgets: list | None = None) -> tuple[Run, float]:
    """Ask the server for one script run and wait for it: the run and its seconds (request -> finished)."""
    start = time.perf_counter()
    await ws.send(_rerun(page, query, widgets))
    run = await _script_run(ws, timeout)
    return run, time.perf_counter() - start


def _raise_problems(run: Run) -> None:
    if problem := _problems(run):
        raise RuntimeError(problem)


async def _open_and_ask(ws, page: str, query: str, question: str | None, timeout: float,
                        result: Visit) -> None:
    """Open one page on a connected session and, for the chat, ask one question; raises on any problem."""
    run, result.open_s = await _timed_run(ws, page, query, timeout)
    _raise_problems(run)
    if question is not None:
        chat = next((el.chat_input for el in run.elements if el.WhichOneof("type") == "chat_input"), None)
        if chat is None:
            raise RuntimeError("the chat page has no chat input")
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=chat.id)
        state.chat_input_value.data = question
        run, result.action_s = await _timed_run(ws, page, query, timeout, [state])
        _raise_problems(run)
        if not any(el.WhichOneof("type") == "text" and question in el.text.body for el in run.elements):
            raise RuntimeError("the question is not in the conversation after the answer")
    result.ok = run.status == ForwardMsg.FINISHED_SUCCESSFULLY


def _connect(port: int, timeout: float):
    import websockets

    # No client pings: a browser sends none, so a server busy for 20 s must show as latency, not as the
    # websockets library closing the connection (1011 keepalive ping timeout) where a visitor would wait.
    return websockets.connect(f"ws://{HOST}:{port}/_stcore/stream", subprotocols=["streamlit"],
                              max_size=2**26, open_timeout=timeout, ping_interval=None)


async def visit(port: int, kind: str, timeout: float) -> Visit:
    """Open a page and, for the chat, ask one question; never raises."""
    result = Visit(kind)
    start = time.perf_counter()
    try:
        async with _connect(port, timeout) as ws:
            await _open_and_ask(ws, *VISITS[kind], timeout, result)
    except Exception as exc:  # a failed visit is data for the report, not a crash of the load test
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    result.total_s = time.perf_counter() - start
    return result


async def tour(port: int, first: int, timeout: float) -> list[Visit]:
    """One visitor opening every page in turn on one session, starting at page ``first``; never raises.

    Visitors start at different pages, so on a fresh server the first wave loads different models at once
    (the cold start that once showed an error box) and every page is then visited by every visitor.
    """
    names = list(PAGES)
    order = names[first % len(names):] + names[:first % len(names)]
    visits = [Visit(name) for name in order]
    try:
        async with _connect(port, timeout) as ws:
            for result in visits:
                start = time.perf_counter()
                try:
                    await _open_and_ask(ws, *PAGES[result.kind], timeout, result)
                except (RuntimeError, TimeoutError) as exc:  # a page's failure; the tour goes on
                    result.error = f"{type(exc).__name__}: {exc}"[:300]
                result.total_s = time.perf_counter() - start
    except Exception as exc:  # the connection itself failed: every page not yet visited fails with it
        for result in visits:
            if not result.ok and not result.error:
                result.error = f"{type(exc).__name__}: {exc}"[:300]
    return visits


class ServerMeter:
    """CPU seconds and peak memory of the server process, from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.ticks  # utime + stime

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) in MB."""
        status = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines()
                      if ":" in line)
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summarise(visits: list[Visit], wall: float, cpu: float) -> dict:
    """p50/p95/max latency and failures, overall and per kind, plus server CPU over the phase."""
    out: dict = {"visits": len(visits), "failures": sum(not v.ok for v in visits), "wall_s": round(wall, 2),
                 "server_cpu_s": round(cpu, 2), "server_cpu_cores": round(cpu / wall, 2) if wall else 0.0}
    for kind in sorted({v.kind for v in visits}):
        mine = [v for v in visits if v.kind == kind]
        key = [v.action_s if v.action_s else v.open_s for v in mine if v.ok]
        out[kind] = {"n": len(mine), "failures": sum(not v.ok for v in mine),
                     "p50_s": round(_pct(key, 50), 2), "p95_s": round(_pct(key, 95), 2),
                     "max_s": round(max(key), 2) if key else None,
                     "open_p50_s": round(_pct([v.open_s for v in mine if v.ok], 50), 2),
                     "errors": sorted({v.error for v in mine if v.error})[:3]}
    return out


async def phase(port: int, n: int, kinds: list[str], timeout: float) -> list[Visit]:
    """n visitors at once, kinds taken in turn (5 -> churn, sentiment, chat, churn, sentiment)."""
    return list(await asyncio.gather(*(visit(port, kinds[i % len(kinds)], timeout) for i in range(n))))


def _server(port: int) -> tuple[list[str], dict[str, str]]:
    # load-test predictions go to their own log, not into the Model health page's real traffic
    env = {"PORTFOLIO_PREDICTION_LOG": str(ROOT / "artifacts" / "load" / "predictions.sqlite3"), **os.environ,
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.address", HOST,
               "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    return command, env


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: The last line of a traceback: ``KeyError: 'x'``, ``torch.OutOfMemoryError: ...``
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")


def server_problems(log: Path) -> list[str]:
    """One line per traceback (plain or Rich-boxed) and per logged ERROR in a server log; the log has the rest."""
    text = _ANSI.sub("", log.read_text(errors="replace")) if log.is_file() else ""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if "Traceback (most recent call last)" in line:
            last = next((lines[j].strip() for j in range(i + 1, min(i + 400, len(lines)))
                         if _EXCEPTION_LINE.match(lines[j])), "(no exception line found)")
            found.append(f"traceback: {last[:300]}")
        elif " ERROR " in line or line.startswith("ERROR"):
            found.append(line.strip()[:300])
    return found


async def _tours(port: int, n: int, timeout: float) -> list[list[Visit]]:
    tours = asyncio.gather(*(tour(port, i, timeout) for i in range(n)))
    return list(await asyncio.wait_for(tours, timeout * len(PAGES)))


def fresh_round(n: int, log: Path, timeout: float) -> dict:
    """A freshly started server, then ``n`` visitors at once, each touring every page (see :func:`tour`)."""
    port = free_port()
    command, env = _server(port)
    with serving(command, f"http://{HOST}:{port}/_stcore/health", lambda body: body.strip() == b"ok",
                 cwd=ROOT, env=env, log=log) as proc:
        meter = ServerMeter(proc.pid)
        cpu0, t0 = meter.cpu_seconds(), time.perf_counter()
        tours = asyncio.run(_tours(port, n, timeout))
        visits = [v for one in tours for v in one]
        out = summarise(visits, time.perf_counter() - t0, meter.cpu_seconds() - cpu0)
        out["load_average_1min"] = round(os.getloadavg()[0], 1)
        out["server_peak_rss_mb"] = round(meter.memory_mb()[1])
    out["server_log"] = str(log)
    out["server_problems"] = server_problems(log)
    out["visits_detail"] = [asdict(v) for v in visits]
    return out


def _write_report(report: dict, out: Path) -> None:
    """Add this client's own CPU seconds (the load generator's cost) and write the report as JSON."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report["client_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))


def fresh_main(args: argparse.Namespace) -> int:
    """``--fresh-rounds R``: for each N, R rounds of N simultaneous tours, each on a newly started server."""
    report: dict = {"cpu": _cpu_kind(), "host": HOST, "mode": "fresh", "pages": list(PAGES), "rounds": {}}
    logs = args.out.parent / "server-logs"
    logs.mkdir(parents=True, exist_ok=True)
    failures = 0
    for n in args.sessions:
        for r in range(args.fresh_rounds):
            out = fresh_round(n, logs / f"fresh-n{n}-r{r}.log", args.timeout)
            report["rounds"][f"N={n} round {r}"] = out
            failures += out["failures"] + len(out["server_problems"])
            _print_round(f"N={n} round {r}", out)
    _write_report(report, args.out)
    print(f"CPU: {report['cpu']}; report in {args.out}")
    return 1 if failures else 0


def _print_round(name: str, out: dict) -> None:
    print(f"{name}: {out['visits']} page visits, {out['failures']} failed, {len(out['server_problems'])} server "
          f"tracebacks/errors, wall {out['wall_s']} s, server CPU {out['server_cpu_s']} s, peak RSS "
          f"{out['server_peak_rss_mb']} MB, machine load average {out['load_average_1min']}", flush=True)
    for page in PAGES:
        if page in out:
            k = out[page]
            print(f"    {page:12s} n={k['n']:2d} render p50 {k['open_p50_s']} s; p50 {k['p50_s']} s  p95 {k['p95_s']} s"
                  f"  max {k['max_s']} s  failures {k['failures']} {k['errors'] or ''}", flush=True)
    for problem in out["server_problems"][:5]:
        print(f"    server: {problem}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[5, 10], help="concurrent visitors per phase")
    parser.add_argument("--kinds", nargs="+", default=list(VISITS), choices=list(VISITS))
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds one visit may take")
    parser.add_argument("--deadline", type=float, default=1200.0, help="seconds the whole test may take")
    parser.add_argument("--fresh-rounds", type=int, default=0,
                        help="instead of phases on one server: R rounds per N of N visitors touring every page, "
                             "each round on a newly started server (the cold-start race test)")
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "load" / "load.json")
    args = parser.parse_args()
    if max(args.sessions) > MAX_SESSIONS or min(args.sessions) < 1:
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    if args.fresh_rounds:
        return fresh_main(args)
    port = free_port()
    command, env = _server(port)
    started = time.monotonic()
    report: dict = {"cpu": _cpu_kind(), "host": HOST, "kinds": args.kinds, "phases": {}}
    log = args.out.parent / "server-logs" / "phases.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with serving(command, f"http://{HOST}:{port}/_stcore/health", lambda body: body.strip() == b"ok",
                 cwd=ROOT, env=env, log=log) as proc:
        meter = ServerMeter(proc.pid)
        # one visitor of each kind first: loads the models into the shared caches (the cold visit)
        cold = asyncio.run(phase(port, len(args.kinds), args.kinds, args.timeout))
        report["cold"] = {v.kind: {"ok": v.ok, "total_s": round(v.total_s, 2), "error": v.error} for v in cold}
        # then each kind alone, warm: the server's CPU cost and script-run latency of one visit, no queueing
        report["solo"] = {}
        for kind in args.kinds:
            cpu0 = meter.cpu_seconds()
            (one,) = asyncio.run(phase(port, 1, [kind], args.timeout))
            report["solo"][kind] = {"ok": one.ok, "open_s": round(one.open_s, 2), "action_s": round(one.action_s, 2),
                                    "server_cpu_s": round(meter.cpu_seconds() - cpu0, 2), "error": one.error}
        for n in args.sessions:
            if time.monotonic() - started > args.deadline:
                report["phases"][str(n)] = "skipped: deadline reached"
                continue
            cpu0, t0 = meter.cpu_seconds(), time.perf_counter()
            visits = asyncio.run(asyncio.wait_for(phase(port, n, args.kinds, args.timeout), args.deadline))
            report["phases"][str(n)] = summarise(visits, time.perf_counter() - t0, meter.cpu_seconds() - cpu0)
            # other jobs on the machine slow the server too: the 1-minute load average says how busy it was
            report["phases"][str(n)]["load_average_1min"] = round(os.getloadavg()[0], 1)
            report["phases"][str(n)]["visits_detail"] = [asdict(v) for v in visits]
        report["server_rss_mb"], report["server_peak_rss_mb"] = (round(x) for x in meter.memory_mb())
    _write_report(report, args.out)
    report["server_problems"] = server_problems(log)
    _print(report)
    for problem in report["server_problems"][:5]:
        print(f"server: {problem}")
    failures = sum(p["failures"] for p in report["phases"].values() if isinstance(p, dict))
    return 1 if failures or report["server_problems"] else 0


def _cpu_kind() -> str:
    """The CPU model, core count and whether it has native bf16 (benchmarks say which CPU they ran on)."""
    from src.core.hardware import cpu_has_native_bf16

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return f"{model}, {os.cpu_count()} cores, native bf16: {'yes' if cpu_has_native_bf16() else 'no'}"


def _print(report: dict) -> None:
    print(f"CPU: {report['cpu']}  (server on {report['host']}, client CPU {report['client_cpu_s']} s)")
    print("cold first visits:", ", ".join(f"{k} {v['total_s']} s{'' if v['ok'] else ' FAILED'}"
                                          for k, v in report["cold"].items()))
    for kind, one in report["solo"].items():
        print(f"solo warm {kind:9s}: page {one['open_s']} s, question {one['action_s']} s, "
              f"server CPU {one['server_cpu_s']} s{'' if one['ok'] else ' FAILED ' + one['error']}")
    for n, p in report["phases"].items():
        if not isinstance(p, dict):
            print(f"N={n}: {p}")
            continue
        print(f"N={n}: {p['visits']} visits, {p['failures']} failed, wall {p['wall_s']} s, "
              f"server CPU {p['server_cpu_s']} s ({p['server_cpu_cores']} cores busy), "
              f"machine load average {p['load_average_1min']}")
        for kind in report["kinds"]:
            if kind in p:
                k = p[kind]
                print(f"    {kind:9s} n={k['n']:2d} p50 {k['p50_s']} s  p95 {k['p95_s']} s  max {k['max_s']} s  "
                      f"failures {k['failures']} {k['errors'] or ''}")
    print(f"server memory: {report['server_rss_mb']} MB now, peak {report['server_peak_rss_mb']} MB")


if __name__ == "__main__":
    sys.exit(main())
