"""``python -m bench.cost``: read the template, parse the flags, measure, print the bill."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import bench.cost
from bench.cost.json_report import json_report
from bench.cost.ledger import price_bill
from bench.cost.measure import Measured, measure
from bench.cost.template_facts import read_deployment
from bench.cost.text_report import text_report
from bench.cost.workload import add_flags, workload_of


def main(argv: Sequence[str] | None = None, measured: Measured | None = None) -> None:
    """Print the month's bill; ``measured`` stands in for the measurement (tests)."""
    deployment = read_deployment()
    parser = argparse.ArgumentParser(
        prog="python -m bench.cost",
        description=bench.cost.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_flags(parser, deployment)
    parser.add_argument("--json", action="store_true", help="print JSON instead of the tables")
    flags = vars(parser.parse_args(argv))
    measured = measured or measure(deployment.log_level)
    bill = price_bill(measured, deployment, workload_of(flags))
    if flags["json"]:
        print(json.dumps(json_report(measured, deployment, bill), indent=2))
    else:
        print(text_report(measured, deployment, bill))


if __name__ == "__main__":
    main(sys.argv[1:])
