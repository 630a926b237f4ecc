"""The eval suite behind `tactful evals run`: offline, deterministic, honest about what it measured.

Suites: `analyzer` (per-rule precision/recall on labelled drafts), `rewrites`,
`injection` and `robustness` (the real pipeline on recorded model answers and
on the composer alone). See evals/README.md.
"""

from service.evals._offline import NetworkGuard, StrayNetworkCall, no_network
from service.evals._recording import (
    CaseRecording,
    RecordingChatModel,
    RecordingMissing,
    RecordingStore,
    recording_key,
)
from service.evals._report import (
    Report,
    compare,
    junit_xml,
    render_comparison,
    render_table,
    write_json,
    write_junit,
)
from service.evals._results import CaseResult, Failure, Metric, SuiteResult
from service.evals._runner import DEFAULT_EVALS_DIR, SUITES, RunOptions, run

__all__ = [
    "DEFAULT_EVALS_DIR",
    "SUITES",
    "CaseRecording",
    "CaseResult",
    "Failure",
    "Metric",
    "NetworkGuard",
    "RecordingChatModel",
    "RecordingMissing",
    "RecordingStore",
    "Report",
    "RunOptions",
    "StrayNetworkCall",
    "SuiteResult",
    "compare",
    "junit_xml",
    "no_network",
    "recording_key",
    "render_comparison",
    "render_table",
    "run",
    "write_json",
    "write_junit",
]
