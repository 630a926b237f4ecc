"""`make contract`: schemathesis against the served OpenAPI document, 0 failures required.

Starts `tactful serve` as a subprocess on a free loopback port with no model
(`TACTFUL_EMBEDDED_MODEL=off`), the real Redis (DB 13, a prefix of its own, so
batches, feedback and the shared limits are the production code paths) and one
API key created through `tactful keys create`. Then runs `st run` with every
check, all four phases (examples, coverage, fuzzing, stateful: the document's
links take a rewrite id to feedback and a batch id to its status) and a bounded
example count, and exits with its status. Only keys under the run's own prefix
are deleted afterwards.

    python -m tests.contract [--max-examples N] [--report-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests._redis_fixtures import REDIS_TEST_URL, cleanup, free_port, unique_prefix

ROOT = Path(__file__).resolve().parents[2]
# Generous limits: the run checks the contract, not the limiter (429 is still declared).
LIMITS = {
    "TACTFUL_RATE_REWRITE_PER_MIN": "100000",
    "TACTFUL_RATE_REWRITE_BURST": "10000",
    "TACTFUL_RATE_ANALYZE_PER_MIN": "100000",
    "TACTFUL_RATE_ANALYZE_BURST": "10000",
    "TACTFUL_RATE_DEFAULT_PER_MIN": "100000",
    "TACTFUL_RATE_DEFAULT_BURST": "10000",
}


def _env(prefix: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OPENAI_BASE_URL", "OPENAI_API_KEY", "TACTFUL_API_KEYS_FILE"}
    }
    return (
        env
        | LIMITS
        | {
            "PYTHONPATH": str(ROOT),
            "TACTFUL_EMBEDDED_MODEL": "off",
            "REDIS_URL": REDIS_TEST_URL,
            "TACTFUL_REDIS_PREFIX": prefix,
            "TACTFUL_LOG_LEVEL": "WARNING",
            "SCHEMATHESIS_HOOKS": "tests.contract.hooks",
        }
    )


def _create_key(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "service.cli", "keys", "create", "--name", "contract"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key: str = json.loads(out.stdout.strip().splitlines()[-1])["key"]
    return key


def _wait_live(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("contract: tactful serve exited before answering")
        try:
            if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("contract: tactful serve did not answer within 60 s")


def main() -> int:
    """Serve, run schemathesis, stop; the exit status is schemathesis'."""
    parser = argparse.ArgumentParser(prog="python -m tests.contract")
    parser.add_argument("--max-examples", type=int, default=30)
    parser.add_argument("--report-dir", default="reports/contract")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if st is None:
        raise SystemExit("contract: schemathesis is not installed (pip install -e '.[dev]')")
    prefix = unique_prefix()
    env = _env(prefix)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc: subprocess.Popen[bytes] | None = None
    try:
        key = _create_key(env)
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        _wait_live(url, proc)
        command = [
            st,
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{url}/schema/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(args.max_examples),
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "-H",
            f"Authorization: Bearer {key}",
            "--report",
            "junit",
            "--report-dir",
            args.report_dir,
            "--output-sanitize",
            "true",
        ]
        if args.seed is not None:
            command += ["--seed", str(args.seed)]
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        cleanup(prefix)


if __name__ == "__main__":
    sys.exit(main())
