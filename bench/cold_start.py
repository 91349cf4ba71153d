"""Cold start: how long each function's handler module takes to import in a fresh interpreter (with
what it builds at module scope), next to a baseline API function, measured side by side in one run.

The baseline is a bare API function: Powertools' APIGatewayHttpResolver and Logger and one boto3
DynamoDB client at module scope. Two more contenders add to it what every galleria API function has
and it lacks, to price each on its own: "baseline + Tracer" (Powertools Tracer patching botocore)
and "baseline + validation" (the resolver validating one route's pydantic model). Target: every API
function within 1.10× the baseline, counting the DynamoDB client its first request creates ("with
client", below); workers are reported.

Each import runs in a new interpreter laid out and configured as Lambda runs it. The interpreter is
a Python 3.13 virtualenv made here whose site-packages hold only what the Lambda runtime ships
(boto3, botocore and their dependencies, like /var/lang); the function's code folder is the working
directory and first on sys.path, then the layer (Lambda's /opt/python). The environment is the
function's variables from template.yaml (Globals merged), dummy region and credentials,
LAMBDA_TASK_ROOT and AWS_LAMBDA_FUNCTION_NAME (so Tracer traces, as with `Tracing: Active`; the
X-Ray SDK needs no daemon to import), and PYTHONDONTWRITEBYTECODE: Lambda's filesystem is
read-only, so what is not shipped compiled is compiled again at every cold start.

The child times the import alone with perf_counter (wall) and process_time (CPU). The functions
create their boto3 clients on first use, where the baseline creates one at import, so the child then
times creating the DynamoDB client every request's key lookup needs ("with client"), which the
first invocation pays. Rounds go round-robin over every contender, rotating who goes first; the
tables show medians, and ratios are medians of the ratios within each round. Ratios use CPU time:
on a shared machine the wall clock also counts the time spent waiting for a CPU.

Trees measured: "as built" is `sam build`'s output (built here into a temporary folder, or
--build-dir), or the source tree with --source (dependencies then come from this virtualenv). The
bytecode check also measures copies of it with every .pyc removed ("no bytecode") and with the
layer and function folders compiled ("all bytecode", unchecked-hash as layers/shared/Makefile
compiles): the cost of compiling at cold start, and whether the functions' own small modules are
worth compiling too.

    .venv/bin/python -m bench.cold_start [--rounds 10] [--build-dir DIR | --source]
        [--functions GalleryApiFunction,...] [--skip-bytecode-check]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import venv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from moto import mock_aws

from bench.machine import machine
from bench.stack import ROOT, provision_stack

TARGET_RATIO = 1.10  # API functions, with the first request's DynamoDB client
LAYER = "SharedLayer"  # template.yaml's one layer; `sam build` puts it in <build dir>/SharedLayer/python
# What the Lambda Python runtime ships itself (the layer's build leaves these out).
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
# What API functions must not load at cold start: Pillow, httpx, the imaging code and the
# providers' code (the interface the API side types against is light and allowed).
HEAVY = ("PIL", "httpx", "galleria.imaging", "galleria.providers")
PROVIDER_INTERFACE = frozenset(
    {"galleria.providers", "galleria.providers.base", "galleria.providers.derived"}
)
REGION = "us-east-1"
# How layers/shared/Makefile compiles the layer.
COMPILE = ("-m", "compileall", "-q", "-f", "-j", "0", "--invalidation-mode", "unchecked-hash")
FIRST_CLIENT = "from galleria import aws; aws.client('dynamodb')"

# The bare API function, and the same with each of what every galleria function adds
# that a bare function lacks: Tracer, and validation by the resolver (pydantic).
BASELINE = "baseline"
TRACED_BASELINE = "baseline + Tracer"
VALIDATING_BASELINE = "baseline + validation"
BASELINE_MODULES = {
    BASELINE: "baseline_api",
    TRACED_BASELINE: "baseline_api_traced",
    VALIDATING_BASELINE: "baseline_api_validating",
}
_BASELINE = """\
import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

logger = Logger()
app = APIGatewayHttpResolver({resolver_arguments})
dynamodb = boto3.client("dynamodb")
"""
_TRACER = """
from aws_lambda_powertools import Tracer

tracer = Tracer(patch_modules=["botocore"])
"""
_VALIDATED_ROUTE = """
from pydantic import BaseModel


class Echo(BaseModel):
    message: str


@app.post("/echo")
def echo(body: Echo) -> Echo:
    return body
"""
ADDITIONS = {
    TRACED_BASELINE: "Tracer (the X-Ray SDK, its recorder, botocore patched)",
    VALIDATING_BASELINE: "Validation (pydantic, Powertools' validation; one model, one route)",
}
BASELINE_SOURCES = {
    BASELINE: _BASELINE.format(resolver_arguments=""),
    TRACED_BASELINE: _BASELINE.format(resolver_arguments="") + _TRACER,
    VALIDATING_BASELINE: _BASELINE.format(resolver_arguments="enable_validation=True") + _VALIDATED_ROUTE,
}

# Runs in the child; argv: the handler module, what its first request builds (Python), then HEAVY
# (it reports the modules under those names that got loaded).
# Interpreter start-up and site are not the handler's doing, so only the import is timed.
CHILD = """\
import importlib, json, sys, time
module, first_use, *heavy = sys.argv[1:]
wall, cpu = time.perf_counter(), time.process_time()
importlib.import_module(module)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
first_use_cpu = time.process_time()
exec(first_use)
first_use_cpu = time.process_time() - first_use_cpu
print(json.dumps({
    "wall_ms": wall * 1000,
    "cpu_ms": cpu * 1000,
    "first_use_cpu_ms": first_use_cpu * 1000,
    "heavy": [m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)],
}))
"""


@dataclass(frozen=True)
class Target:
    name: str  # the function's logical id, or a baseline's name
    kind: str  # "baseline", "api" or "worker"
    module: str
    environment: Mapping[str, str]
    source: Path | None = None  # a function's code folder in the source tree

    @property
    def first_use(self) -> str:
        """What the module leaves to its first request and the baseline builds at import."""
        return "" if self.kind == "baseline" else FIRST_CLIENT


@dataclass(frozen=True)
class Tree:
    """Deployed code as Lambda sees it: each target's code folder (/var/task), then the layer
    (/opt/python) and, for the source tree, the dependencies the layer would hold."""

    label: str
    root: Path
    code: Mapping[str, Path]
    path: tuple[Path, ...]


@dataclass(frozen=True)
class Sample:
    wall_ms: float
    cpu_ms: float
    first_use_cpu_ms: float
    heavy: tuple[str, ...]

    @property
    def with_client_cpu_ms(self) -> float:
        return self.cpu_ms + self.first_use_cpu_ms


Samples = dict[tuple[str, str], list[Sample]]  # (tree label, target name) → one sample per round


# --- what is measured ---------------------------------------------------------------------------
def read_targets(wanted: Sequence[str]) -> list[Target]:
    """The baselines, then the template's API functions, then its workers (template order)."""
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto in-process answers AWS's own endpoints only
    with mock_aws():
        stack = provision_stack()
    unknown = set(wanted) - {spec.logical_id for spec in stack.functions}
    if unknown:
        raise SystemExit(f"not functions of template.yaml: {', '.join(sorted(unknown))}")
    functions = [
        Target(
            spec.logical_id,
            "api" if spec.routes else "worker",
            spec.handler.rpartition(".")[0],
            spec.environment,
            spec.code_uri,
        )
        for spec in stack.functions
        if not wanted or spec.logical_id in wanted
    ]
    baselines = [
        Target(name, "baseline", module, stack.global_environment)
        for name, module in BASELINE_MODULES.items()
    ]
    return [*baselines, *sorted(functions, key=lambda target: target.kind != "api")]


def make_tree(root: Path, targets: Sequence[Target], build_dir: Path | None) -> Tree:
    """Copy the code as built (or the source tree), bytecode as it is, into ``root``; baselines beside it."""
    code = {}
    for target in targets:
        folder = root / target.module
        if target.source is None:
            folder.mkdir(parents=True)
            (folder / f"{target.module}.py").write_text(BASELINE_SOURCES[target.name])
        else:
            shutil.copytree(target.source if build_dir is None else build_dir / target.name, folder)
        code[target.name] = folder
    if build_dir is None:
        shutil.copytree(ROOT / "layers" / "shared", root / "layer")
        return Tree("as built", root, code, (root / "layer", Path(sysconfig.get_path("purelib"))))
    shutil.copytree(build_dir / LAYER / "python", root / "layer")
    return Tree("as built", root, code, (root / "layer",))


def without_bytecode(tree: Tree, root: Path) -> Tree:
    shutil.copytree(tree.root, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return _moved(tree, "no bytecode", root)


def with_bytecode(tree: Tree, root: Path) -> Tree:
    shutil.copytree(tree.root, root)
    subprocess.run(
        [sys.executable, *COMPILE, str(root)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return _moved(tree, "all bytecode", root)


def _moved(tree: Tree, label: str, root: Path) -> Tree:
    def move(path: Path) -> Path:
        return root / path.relative_to(tree.root) if path.is_relative_to(tree.root) else path

    return Tree(
        label, root, {name: move(path) for name, path in tree.code.items()}, tuple(map(move, tree.path))
    )


def make_runtime(root: Path) -> Path:
    """A Python 3.13 whose site-packages hold only the runtime's SDK (linked from this virtualenv), as
    Lambda's does: no other package to import by accident or to scan for entry points. Its python."""
    if sys.version_info[:2] != (3, 13):
        raise SystemExit("the Lambda runtime is Python 3.13: run this with .venv/bin/python")
    venv.EnvBuilder(symlinks=True).create(root)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(root)}))
    for name in RUNTIME_DISTRIBUTIONS:
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or []:
            top = file.parts[0]
            if top == "..":  # scripts, installed outside site-packages
                continue
            entry = Path(file) if top == "__pycache__" else Path(top)  # a single-module package's .pyc
            link = site / entry
            if not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(Path(str(distribution.locate_file(entry))))
    return root / "bin" / "python"


def sam_build(sam: str, workspace: Path) -> Path:
    build_dir = workspace / "sam-build"
    result = subprocess.run(
        [sam, "build", "--build-dir", str(build_dir), "--cache-dir", str(workspace / "sam-cache")],
        cwd=ROOT,
        # The layer's native wheels for this machine's CPU, not the runtime's arm64: it is imported here.
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "LAYER_ARCH": platform.machine()},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"sam build failed:\n{result.stdout}{result.stderr}")
    return build_dir


# --- measuring ----------------------------------------------------------------------------------
def lambda_environment(target: Target, tree: Tree) -> dict[str, str]:
    code = tree.code[target.name]
    return {
        **target.environment,
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(map(str, (code, *tree.path))),
        "PYTHONDONTWRITEBYTECODE": "1",  # Lambda's filesystem is read-only
        "LAMBDA_TASK_ROOT": str(code),
        "AWS_LAMBDA_FUNCTION_NAME": target.name,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }


def import_once(python: Path, target: Target, tree: Tree) -> Sample:
    result = subprocess.run(
        [str(python), "-c", CHILD, target.module, target.first_use, *HEAVY],
        cwd=tree.code[target.name],
        env=lambda_environment(target, tree),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{target.name} ({tree.label}) failed to import:\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    loaded = (m for m in report["heavy"] if m not in PROVIDER_INTERFACE)
    heavy = sorted({next(h for h in HEAVY if m == h or m.startswith(h + ".")) for m in loaded})
    return Sample(report["wall_ms"], report["cpu_ms"], report["first_use_cpu_ms"], tuple(heavy))


def measure(python: Path, contenders: Sequence[tuple[Tree, Target]], rounds: int) -> Samples:
    """Every contender once per round, the starting one rotating from round to round."""
    samples: Samples = {(tree.label, target.name): [] for tree, target in contenders}
    for round_ in range(rounds):
        start = round_ % len(contenders)
        for tree, target in [*contenders[start:], *contenders[:start]]:
            samples[tree.label, target.name].append(import_once(python, target, tree))
    return samples


Metric = Callable[[Sample], float]


def wall(sample: Sample) -> float:
    return sample.wall_ms


def cpu(sample: Sample) -> float:
    return sample.cpu_ms


def with_client(sample: Sample) -> float:
    return sample.with_client_cpu_ms


def median_of(samples: Sequence[Sample], metric: Metric) -> float:
    return statistics.median(metric(sample) for sample in samples)


def median_ratio(samples: Sequence[Sample], reference: Sequence[Sample], metric: Metric) -> float:
    """The median of the ratios within each round (both ran in the same round, close in time)."""
    return statistics.median(metric(s) / metric(r) for s, r in zip(samples, reference, strict=True))


def median_difference(samples: Sequence[Sample], reference: Sequence[Sample], metric: Metric) -> float:
    return statistics.median(metric(s) - metric(r) for s, r in zip(samples, reference, strict=True))


# --- reporting ----------------------------------------------------------------------------------
def import_table(samples: Samples, tree: Tree, targets: Sequence[Target]) -> list[str]:
    base = samples[tree.label, BASELINE]
    traced = samples[tree.label, TRACED_BASELINE]
    lines = [
        "| function | kind | wall ms | CPU ms | × baseline (wall) | × baseline | × baseline + Tracer "
        f"| with client, × baseline | ≤ {TARGET_RATIO:.2f}× with client | heavy modules loaded |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for target in targets:
        own = samples[tree.label, target.name]
        counted = median_ratio(own, base, with_client)
        meets = ("yes" if counted <= TARGET_RATIO else "no") if target.kind == "api" else "—"
        lines.append(
            f"| {target.name} | {target.kind} | {median_of(own, wall):.0f} | {median_of(own, cpu):.0f} "
            f"| {median_ratio(own, base, wall):.2f} | {median_ratio(own, base, cpu):.2f} "
            f"| {median_ratio(own, traced, cpu):.2f} | {counted:.2f} | {meets} "
            f"| {', '.join(own[-1].heavy) or 'none'} |"
        )
    return lines


def addition_lines(samples: Samples, tree: Tree) -> list[str]:
    """What each addition to the baseline costs on its own."""
    base = samples[tree.label, BASELINE]
    lines = []
    for name, what in ADDITIONS.items():
        own = samples[tree.label, name]
        lines.append(
            f"- {what}: +{median_difference(own, base, cpu):.0f} ms CPU "
            f"({median_ratio(own, base, cpu):.2f}× the baseline; "
            f"wall +{median_difference(own, base, wall):.0f} ms)."
        )
    return lines


def bytecode_table(samples: Samples, trees: Sequence[Tree], targets: Sequence[Target]) -> list[str]:
    built, bare, compiled = (tree.label for tree in trees)
    lines = [
        f"| function | {bare} ms | {built} ms | {compiled} ms | {bare} ÷ {compiled} | {built} ÷ {compiled} |",
        "|---|---|---|---|---|---|",
    ]
    for target in targets:
        own = {label: samples[label, target.name] for label in (built, bare, compiled)}
        lines.append(
            f"| {target.name} | {median_of(own[bare], cpu):.0f} | {median_of(own[built], cpu):.0f} "
            f"| {median_of(own[compiled], cpu):.0f} | {median_ratio(own[bare], own[compiled], cpu):.2f} "
            f"| {median_ratio(own[built], own[compiled], cpu):.2f} |"
        )
    return lines


def bytecode_shipped(tree: Tree, targets: Sequence[Target]) -> str:
    layer = sum(1 for _ in tree.path[0].rglob("*.pyc"))
    functions = sum(1 for t in targets if t.kind != "baseline" for _ in tree.code[t.name].rglob("*.pyc"))
    return f"Bytecode shipped: {layer} .pyc files in the layer, {functions} in the function folders."


def report(
    samples: Samples, trees: Sequence[Tree], targets: Sequence[Target], rounds: int, source: str
) -> str:
    built = trees[0]
    lines = [
        f"Cold start: handler module import in a fresh interpreter, medians of {rounds} rounds ({source}).",
        f"Machine: {machine()}. {bytecode_shipped(built, targets)}",
        "",
        *import_table(samples, built, targets),
        "",
        "What the baseline's additions cost:",
        *addition_lines(samples, built),
    ]
    if len(trees) == 3:
        lines += ["", "Bytecode (import, CPU ms):", "", *bytecode_table(samples, trees, targets)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=10)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--build-dir", type=Path, help="an existing `sam build` output (default: build one)")
    where.add_argument("--source", action="store_true", help="the source tree instead of a build")
    parser.add_argument("--sam", default=os.environ.get("SAM_CLI") or str(ROOT / ".venv-sam" / "bin" / "sam"))
    parser.add_argument("--functions", default="", help="logical ids, comma-separated (default: all)")
    parser.add_argument("--skip-bytecode-check", action="store_true")
    args = parser.parse_args()
    targets = read_targets([name for name in args.functions.split(",") if name])
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        workspace = Path(scratch)
        python = make_runtime(workspace / "runtime")
        build_dir = None if args.source else (args.build_dir or sam_build(args.sam, workspace))
        source = "the source tree" if build_dir is None else f"sam build output {build_dir}"
        trees = [make_tree(workspace / "as-built", targets, build_dir)]
        if not args.skip_bytecode_check:
            trees += [
                without_bytecode(trees[0], workspace / "bare"),
                with_bytecode(trees[0], workspace / "compiled"),
            ]
        samples = measure(python, [(tree, target) for tree in trees for target in targets], args.rounds)
        print(report(samples, trees, targets, args.rounds, source))


if __name__ == "__main__":
    main()
