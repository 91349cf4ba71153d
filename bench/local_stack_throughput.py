"""Local stack throughput: requests/s and p50/p99 latency of a gallery list and a gallery get with
16 concurrent clients over loopback, next to bare HTTP servers answering the same bytes in the
same run, to show what the local gateway (and the functions and moto behind it) costs.

Starts the real local stack (``galleria-local --port 0 --no-emulators`` with a state file, its
access log sent to a file), seeds the dev team's gallery through the API (``local/procedural``,
four images per asynchronous request, waiting for the jobs), then captures the answers of
``GET /api/v1/gallery?limit=20`` (list) and ``GET /api/v1/gallery/{id}`` (get). Two bare servers,
each in a process of its own, answer those very bytes: the list answer to a path with a query
string, the get answer to any other path, without reading anything.

- **bare**: http.server's ``ThreadingHTTPServer``, HTTP/1.1 keep-alive, ``TCP_NODELAY``: the
  reference the ratios divide by.
- **bare, gateway's server**: the gateway's own HTTP scaffolding (``LoopbackServer`` and
  ``OneMethodHandler`` from galleria_local.http_server) writing its answer as the gateway does
  (status and headers, then the body). It separates what the HTTP layer costs from what invoking a
  function costs.

Every contender is driven by the same load generator, a process of its own (it shares no GIL with a
server): ``--clients`` threads, each with one keep-alive ``http.client`` connection (httpx's
per-request work made the load generator the bottleneck against the bare server: about 2,300
requests/s with a full core busy, against 7,000 with http.client). The get requests cycle through
every seeded item. Each client first sends ``--warmup`` untimed requests (they also start the
function's execution environments, eight at most per function, so with 16 clients half of the
requests queue in the gateway as they would for a Lambda at its concurrency limit). Then the run
goes on until ``--requests`` requests have been sent or ``--seconds`` have passed, whichever comes
first. Latency is per request, send to last body byte; a non-200 answer or a broken connection is an
error and not timed. p99 is by nearest rank: a run of fewer than 100 requests (the stack's list at a
few requests a second) reports its slowest request.

Contenders alternate in rounds (the order rotates each round). The table shows the medians over the
rounds, the requests and errors summed, and ratios that are medians of the per-round ratios to the
bare server. On Linux it also shows the servers' CPU time per request (the stack's process, which
holds the gateway, moto and the SQS pollers, plus its function workers, whose share is shown
apart), and the load generator's CPU time over the run's wall time (near 100% would mean the load
generator, not the server, sets the pace).

    .venv/bin/python -m bench.local_stack_throughput [--clients 16] [--seconds 5] [--requests 20000]
        [--rounds 3] [--items 100] [--warmup 3]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.machine import machine

ROOT = Path(__file__).resolve().parents[1]
RESULT, WARM, GO = "RESULT ", "WARM", "GO"
START_TIMEOUT_SECONDS = 90
SEED_TIMEOUT_SECONDS = 300
IMAGES_PER_REQUEST = 4
LIST_PATH = "/api/v1/gallery?limit=20"
GATEWAY, BARE, BARE_GATEWAY_SERVER = "local stack", "bare", "bare, gateway's server"
CONTENDERS = (GATEWAY, BARE, BARE_GATEWAY_SERVER)
OPERATIONS = ("list", "get")
LOAD_GENERATOR_BUSY = 0.9  # of a core: at or above, the load generator may set the pace


# --- The load generator (a process of its own) ---------------------------------------------------


@dataclass(frozen=True)
class LoadSpec:
    """What one run of the load generator sends, and until when."""

    port: int
    paths: list[str]
    headers: dict[str, str]
    clients: int
    requests: int
    seconds: float
    warmup: int


@dataclass(frozen=True)
class Run:
    """One contender's run, as the load generator saw it (server CPU added by the orchestrator)."""

    requests: int  # answered 200 and timed
    errors: int
    wall_seconds: float
    p50_ms: float
    p99_ms: float
    client_cpu_seconds: float
    server_cpu_seconds: float = math.nan
    function_cpu_seconds: float = math.nan

    @property
    def rps(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0

    def cpu_ms_per_request(self, seconds: float) -> float:
        return seconds * 1000 / self.requests if self.requests else math.nan


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of the values at or below it."""
    if not sorted_values:
        return math.nan
    rank = max(math.ceil(fraction * len(sorted_values)), 1)
    return sorted_values[rank - 1]


def fetch(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> int:
    """One GET on a keep-alive connection, the body read to the end; the status."""
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


class Client(threading.Thread):
    """One client: warm-up requests, then timed requests while tickets and time last."""

    def __init__(self, spec: LoadSpec, number: int, tickets: Iterator[int], barrier: threading.Barrier):
        super().__init__(daemon=True)
        self.spec, self.tickets, self.barrier = spec, tickets, barrier
        self.paths = itertools.cycle(spec.paths[number:] + spec.paths[:number])
        self.latencies: list[float] = []
        self.errors = 0
        self.deadline = math.inf  # set by the load generator between the two barrier waits

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.spec.port, timeout=60)
        try:
            for _ in range(self.spec.warmup):
                self._request(connection, timed=False)
            self.barrier.wait()  # warm
            self.barrier.wait()  # go
            while next(self.tickets) < self.spec.requests and time.perf_counter() < self.deadline:
                self._request(connection, timed=True)
        finally:
            connection.close()

    def _request(self, connection: http.client.HTTPConnection, *, timed: bool) -> None:
        started = time.perf_counter()
        try:
            status = fetch(connection, next(self.paths), self.spec.headers)
        except (OSError, http.client.HTTPException):
            connection.close()  # http.client reconnects on the next request
            status = 0
        if not timed:
            return
        if status == 200:
            self.latencies.append(time.perf_counter() - started)
        else:
            self.errors += 1


def generate_load(spec: LoadSpec) -> Run:
    """Warm up, print WARM, wait for GO on stdin (the orchestrator reads the servers' CPU), run."""
    barrier = threading.Barrier(spec.clients + 1)
    tickets = itertools.count()  # next() on it is atomic under the GIL
    clients = [Client(spec, number, tickets, barrier) for number in range(spec.clients)]
    for client in clients:
        client.start()
    barrier.wait()
    print(WARM, flush=True)
    if sys.stdin.readline().strip() != GO:
        raise SystemExit("the orchestrator went away")
    cpu_started, started = time.process_time(), time.perf_counter()
    for client in clients:
        client.deadline = started + spec.seconds
    barrier.wait()
    for client in clients:
        client.join()
    wall = time.perf_counter() - started
    latencies = sorted(latency * 1000 for client in clients for latency in client.latencies)
    return Run(
        requests=len(latencies),
        errors=sum(client.errors for client in clients),
        wall_seconds=wall,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        client_cpu_seconds=time.process_time() - cpu_started,
    )


# --- The bare servers (a process each) -----------------------------------------------------------


def answer(handler: BaseHTTPRequestHandler, bodies: dict[str, bytes]) -> None:
    """The captured list answer to a path with a query string, the get answer to any other."""
    body = bodies["list" if "?" in handler.path else "get"]
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def serve_bare(kind: str, bodies_file: Path) -> None:
    """Serve the bodies on a free loopback port, printed on stdout, until terminated."""
    bodies = {name: text.encode() for name, text in json.loads(bodies_file.read_text()).items()}
    server: ThreadingHTTPServer
    if kind == BARE:

        class Plain(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                answer(self, bodies)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Plain)
        server.daemon_threads = True
        server.request_queue_size = 128
    else:
        from galleria_local.http_server import LoopbackServer, OneMethodHandler

        class LikeTheGateway(OneMethodHandler):
            def _serve(self) -> None:
                answer(self, bodies)

        server = LoopbackServer(("127.0.0.1", 0), LikeTheGateway)
    print(server.server_address[1], flush=True)
    server.serve_forever()


# --- The orchestrator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A contender: where it listens, and the process whose CPU time (and children's) is its own."""

    name: str
    port: int
    pid: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Gallery:
    list_path: str
    get_paths: list[str]
    bodies: dict[str, str]  # list and get answers, as captured from the local stack


@dataclass
class Results:
    """Runs by (operation, contender), one per round, and what the table's header says."""

    runs: dict[tuple[str, str], list[Run]]
    clients: int
    rounds: int
    seconds: float
    requests: int
    items: int
    body_bytes: dict[str, int]


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(the process's CPU seconds, its live children's), from /proc; NaN elsewhere."""

    def times(stat: str) -> tuple[int, float]:
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        own = times(Path(f"/proc/{pid}/stat").read_text())[1]
    except (OSError, ValueError, AttributeError):
        return math.nan, math.nan
    children = 0.0
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent, seconds = times(stat_file.read_text())
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        if parent == pid:
            children += seconds
    return own, children


def bench_environment() -> dict[str, str]:
    """This environment without provider keys or an AWS endpoint, with the repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "AWS_ENDPOINT_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def this_module(*args: str, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.local_stack_throughput", *args],
        cwd=ROOT,
        env=bench_environment(),
        text=True,
        **popen,
    )


def run_load(server: Server, spec: LoadSpec) -> Run:
    """One run of the load generator against ``server``, with the server's CPU time over it."""
    process = this_module("--load", json.dumps(asdict(spec)), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        if process.stdout.readline().strip() != WARM:
            raise RuntimeError(f"the load generator failed against {server.name}")
        before = cpu_seconds(server.pid)
        process.stdin.write(GO + "\n")
        process.stdin.close()
        output = process.stdout.read()
        after = cpu_seconds(server.pid)
    finally:
        process.wait(timeout=spec.seconds + 120)
    line = next((line for line in output.splitlines() if line.startswith(RESULT)), None)
    if process.returncode or line is None:
        raise RuntimeError(f"the load generator failed against {server.name}: {output!r}")
    run = Run(**json.loads(line.removeprefix(RESULT)))
    functions = after[1] - before[1]
    return replace(run, server_cpu_seconds=after[0] - before[0] + functions, function_cpu_seconds=functions)


@contextmanager
def local_stack(workdir: Path) -> Iterator[Server]:
    """``galleria-local`` on a free port until the block ends; its output goes to a file."""
    state_file, log_path = workdir / "stack.json", workdir / "stack.log"
    command = [
        str(Path(sys.executable).parent / "galleria-local"),
        *("--port", "0", "--state-file", str(state_file), "--no-emulators"),
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=bench_environment(), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        state = _wait_for_stack(process, state_file, log_path)
        headers = {"Authorization": f"Bearer {state['apiKey']}"}
        port = int(state["baseUrl"].rsplit(":", 1)[1])
        yield Server(GATEWAY, port, process.pid, headers)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_stack(process: subprocess.Popen[Any], state_file: Path, log_path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited early:\n{log_path.read_text()}")
        if state_file.exists():
            state = dict(json.loads(state_file.read_text()))
            port = int(state["baseUrl"].rsplit(":", 1)[1])
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                if fetch(connection, "/api/v1/models", {}) == 200:
                    return state
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
        time.sleep(0.2)
    raise RuntimeError("the local stack did not become ready in time")


def seed_gallery(stack: Server, items: int) -> Gallery:
    """``items`` generated items through the API (asynchronous jobs, waited for), and the answers
    of a list and of a get, captured for the bare servers."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{stack.port}", headers=stack.headers, timeout=60) as client:
        jobs = [
            _queue(client, min(IMAGES_PER_REQUEST, items - done), done)
            for done in range(0, items, IMAGES_PER_REQUEST)
        ]
        _wait_for_jobs(client, jobs)
        ids = _item_ids(client)
        if len(ids) < items:
            raise RuntimeError(f"the gallery holds {len(ids)} items, not {items}")
        listed = client.get(LIST_PATH)
        got = client.get(f"/api/v1/gallery/{ids[0]}")
        if listed.status_code != 200 or got.status_code != 200:
            raise RuntimeError(f"list {listed.status_code}, get {got.status_code}")
    return Gallery(
        LIST_PATH, [f"/api/v1/gallery/{id_}" for id_ in ids], {"list": listed.text, "get": got.text}
    )


def _queue(client: Any, images: int, number: int) -> str:
    body = {
        "prompt": f"A lighthouse at dawn, study {number}",
        "model": "local/procedural",
        "numImages": images,
        "async": True,
    }
    while True:
        answered = client.post("/api/v1/generate-image", json=body)
        if answered.status_code != 429:  # the dev team's plan allows 60 requests a minute
            break
        time.sleep(float(answered.headers.get("retry-after", "1")))
    if answered.status_code != 202:
        raise RuntimeError(f"generation refused: {answered.status_code} {answered.text}")
    return str(answered.json()["jobId"])


def _wait_for_jobs(client: Any, jobs: list[str]) -> None:
    pending, deadline = set(jobs), time.monotonic() + SEED_TIMEOUT_SECONDS
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} generation jobs still pending")
        for job in sorted(pending):
            status = client.get(f"/api/v1/jobs/{job}").json()["status"]
            if status == "failed":
                raise RuntimeError(f"generation job {job} failed")
            if status == "succeeded":
                pending.discard(job)
        time.sleep(0.3)


def _item_ids(client: Any) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/gallery", params=params).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page.get("nextCursor")
        if not cursor:
            return ids


@contextmanager
def bare_server(kind: str, bodies_file: Path) -> Iterator[Server]:
    process = this_module("--serve", kind, str(bodies_file), stdout=subprocess.PIPE)
    assert process.stdout is not None
    try:
        port = process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError(f"the {kind} server did not start")
        yield Server(kind, int(port), process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure(*, clients: int, seconds: float, requests: int, rounds: int, items: int, warmup: int) -> Results:
    """Start the stack and the bare servers, seed, then ``rounds`` rounds of every contender on
    both operations, the order rotating each round."""
    with tempfile.TemporaryDirectory(prefix="throughput-") as scratch, ExitStack() as running:
        workdir = Path(scratch)
        stack = running.enter_context(local_stack(workdir))
        gallery = seed_gallery(stack, items)
        bodies_file = workdir / "bodies.json"
        bodies_file.write_text(json.dumps(gallery.bodies))
        servers = [stack, *(running.enter_context(bare_server(kind, bodies_file)) for kind in CONTENDERS[1:])]
        paths = {"list": [gallery.list_path], "get": gallery.get_paths}
        steps = [(operation, server) for operation in OPERATIONS for server in servers]
        runs: dict[tuple[str, str], list[Run]] = {(op, server.name): [] for op, server in steps}
        for number in range(rounds):
            shift = number % len(steps)
            for operation, server in steps[shift:] + steps[:shift]:
                spec = LoadSpec(
                    server.port, paths[operation], server.headers, clients, requests, seconds, warmup
                )
                runs[operation, server.name].append(run_load(server, spec))
        body_bytes = {name: len(body.encode()) for name, body in gallery.bodies.items()}
        return Results(runs, clients, rounds, seconds, requests, items, body_bytes)


# --- The report ----------------------------------------------------------------------------------


def median_of(runs: Sequence[Run], value: Callable[[Run], float]) -> float:
    return statistics.median(value(run) for run in runs)


def median_ratio(runs: Sequence[Run], reference: Sequence[Run], value: Callable[[Run], float]) -> float:
    """The median of the per-round ratios (each round's runs were taken side by side)."""
    return statistics.median(value(run) / value(ref) for run, ref in zip(runs, reference, strict=True))


def _number(value: float, digits: int = 1) -> str:
    return "—" if math.isnan(value) else f"{value:,.{digits}f}"


def table(results: Results) -> str:
    lines = [
        f"Local stack throughput: GET over loopback, {results.clients} clients on keep-alive connections, "
        f"each run up to {results.requests:,} requests or {results.seconds:g} s; "
        f"medians of {results.rounds} rounds (requests and errors summed)",
        f"Gallery of {results.items} items; list answer {results.body_bytes['list']:,} B (limit=20), "
        f"get answer {results.body_bytes['get']:,} B; the bare servers answer the same bytes.",
        "",
        "| operation | contender | requests | errors | req/s | p50 ms | p99 ms | "
        "req/s ÷ bare | p50 × bare | server CPU ms/req | of which functions | load generator CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for operation in OPERATIONS:
        bare = results.runs[operation, BARE]
        for name in CONTENDERS:
            runs = results.runs[operation, name]
            cpu = median_of(runs, lambda run: run.cpu_ms_per_request(run.server_cpu_seconds))
            functions = median_of(runs, lambda run: run.cpu_ms_per_request(run.function_cpu_seconds))
            cells = [
                operation,
                name,
                f"{sum(run.requests for run in runs):,}",
                str(sum(run.errors for run in runs)),
                _number(median_of(runs, lambda run: run.rps), 0),
                _number(median_of(runs, lambda run: run.p50_ms), 2),
                _number(median_of(runs, lambda run: run.p99_ms), 2),
                _number(median_ratio(runs, bare, lambda run: run.rps), 3),
                _number(median_ratio(runs, bare, lambda run: run.p50_ms), 1),
                _number(cpu, 2),
                _number(functions, 2) if name == GATEWAY else "—",
                f"{load_generator_busy(runs):.0%}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    busy = [op for op in OPERATIONS if load_generator_busy(results.runs[op, BARE]) >= LOAD_GENERATOR_BUSY]
    if busy:
        lines += [
            "",
            f"Against the bare server ({', '.join(busy)}) the load generator was busy "
            f"{LOAD_GENERATOR_BUSY:.0%} of the time or more: that req/s is what this machine does with "
            "client and server on it, a floor of the bare server's own (so the req/s ratios are "
            "upper bounds); compare the server CPU per request.",
        ]
    return "\n".join(lines)


def load_generator_busy(runs: Sequence[Run]) -> float:
    """The load generator's CPU time over its wall time (1.0 is one core), median over the rounds."""
    return median_of(runs, lambda run: run.client_cpu_seconds / run.wall_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--seconds", type=float, default=5, help="longest timed run per contender")
    parser.add_argument("--requests", type=int, default=20_000, help="most requests per timed run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=int, default=100, help="gallery items to seed")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per client per run")
    # The load generator's and the bare servers' own processes run this module too.
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "BODIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(RESULT + json.dumps(asdict(generate_load(LoadSpec(**json.loads(args.load))))), flush=True)
        return
    if args.serve:
        serve_bare(args.serve[0], Path(args.serve[1]))
        return
    started = time.perf_counter()
    results = measure(
        clients=args.clients,
        seconds=args.seconds,
        requests=args.requests,
        rounds=args.rounds,
        items=args.items,
        warmup=args.warmup,
    )
    print(table(results))
    print(f"Machine: {machine()}. Whole run {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
