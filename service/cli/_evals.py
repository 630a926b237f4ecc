"""`tactful evals run`: the offline eval suite, as a subcommand of the `tactful` CLI.

Exit status: 0 every gated metric met its threshold; 1 a threshold was missed,
a case crashed, or an offline run tried to reach the network (or, with
`--require-measured`, a case was unmeasured); 2 the case, threshold or
baseline files are invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from service.errors import DataFileInvalid
from service.evals import (
    DEFAULT_EVALS_DIR,
    SUITES,
    RunOptions,
    compare,
    render_comparison,
    render_table,
    run,
    write_json,
    write_junit,
)

EXIT_CONFIG = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evals = sub.add_parser("evals", help="the eval suite (offline by default)")
    actions = evals.add_subparsers(dest="evals_command", required=True)
    p = actions.add_parser("run", help="run the eval suites and gate on evals/thresholds.toml")
    p.add_argument(
        "--suite",
        action="append",
        choices=SUITES,
        dest="suites",
        help="run only this suite (repeatable; default: all)",
    )
    p.add_argument("--report-dir", type=Path, help="write report.json and junit.xml here")
    p.add_argument("--baseline", type=Path, help="an earlier report.json to compare against")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--live",
        action="store_true",
        help="call the configured model (embedded SmolLM2 by default)",
    )
    mode.add_argument(
        "--record", action="store_true", help="call the configured model and write the recordings"
    )
    p.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only cases whose id matches this glob (repeatable); "
        "the analyzer suite always runs whole",
    )
    p.add_argument("--judge", action="store_true", help="also grade with the LLM-judge rubric")
    p.add_argument(
        "--require-measured",
        action="store_true",
        help="fail when any case is unmeasured (missing or stale recording)",
    )
    p.add_argument("--evals-dir", type=Path, default=DEFAULT_EVALS_DIR, help=argparse.SUPPRESS)
    p.add_argument("--prompts-dir", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--recordings-dir", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--thresholds", type=Path, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    suites = tuple(dict.fromkeys(args.suites)) if args.suites else SUITES
    baseline = None
    if args.baseline is not None:
        try:
            baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            sys.stderr.write(f"cannot read baseline {args.baseline}: {exc}\n")
            return EXIT_CONFIG
    command = "tactful evals run --record" + "".join(f" --suite {s}" for s in args.suites or ())
    options = RunOptions(
        suites=suites,
        evals_dir=args.evals_dir,
        mode="record" if args.record else "live" if args.live else "replay",
        judge=args.judge,
        prompts_dir=args.prompts_dir,
        thresholds=args.thresholds,
        recordings_dir=args.recordings_dir,
        require_measured=args.require_measured,
        command=command + (" --judge" if args.judge else ""),
        case_filter=tuple(args.case),
    )
    try:
        report = run(options)
    except (DataFileInvalid, ValueError) as exc:
        sys.stderr.write(f"evals: invalid configuration: {exc}\n")
        return EXIT_CONFIG
    out = [render_table(report)]
    if baseline is not None:
        regressions, improvements = compare(report.to_json(), baseline)
        out.append(render_comparison(regressions, improvements, args.baseline))
    if args.report_dir is not None:
        write_json(report, args.report_dir / "report.json")
        write_junit(report, args.report_dir / "junit.xml")
        out.append(f"reports: {args.report_dir / 'report.json'}, {args.report_dir / 'junit.xml'}")
    sys.stdout.write("\n\n".join(out) + "\n")
    return report.exit_code
