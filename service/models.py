"""Domain models shared by every step of the pipeline.

These are the shapes of the public API (PRODUCT.md, "API contract (v1)") and
of what flows between analyze -> strategy -> prompt -> model -> guard. The
ids in the Literal types are part of the API: never rename one.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

Channel = Literal["email", "linkedin", "sms", "voicemail"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)

StrategyId = Literal[
    "value_nudge",
    "learning_conversation",
    "timing_check",
    "reason_finding",
    "honest_reset",
    "cost_of_delay",
]
STRATEGY_IDS: tuple[StrategyId, ...] = get_args(StrategyId)

RuleId = Literal[
    "self_centered",
    "guilt_trip",
    "empty_check_in",
    "false_urgency",
    "desperate_discount",
    "sales_pitch_meeting",
    "pushy_close",
    "blames_prospect",
    "no_next_step",
    "too_long",
    "jargon",
    "invented_fact",
    "not_personalized",
    "placeholder",
    # Added for issue #10 (untrusted text, broken model output); ids above stay stable.
    "prompt_disclosure",
    "changed_party",
    "disparagement",
    "private_detail",
    "degenerate_text",
    # Added with the second injection corpus (issue #10).
    "wrong_language",
    "phishing_bait",
]
RULE_IDS: tuple[RuleId, ...] = get_args(RuleId)

# "info": a note to check, never counted in the score and never blocking on its own
# (a draft's own facts missing from the context, judged without an original).
Severity = Literal["error", "warning", "info"]

# Principle slugs (PRODUCT.md "The principles", plus `accuracy` for facts).
PrincipleId = Literal[
    "buyer_goal",
    "learning_conversation",
    "value_and_next_step",
    "real_urgency",
    "no_guilt",
    "safe_to_say_no",
    "honest_reset",
    "their_timing",
    "reliability",
    "accuracy",
    # The seller's private notes and the writer's own instructions stay out of the message.
    "discretion",
]

MAX_BODY_CHARS = 20_000
MAX_FIELD_CHARS = 2_000

ShortText = Annotated[str, StringConstraints(max_length=MAX_FIELD_CHARS)]


def _whole_number(value: object) -> object:
    """`3.0` is the integer 3 (JSON Schema agrees); `true`, `"3"` and `3.5` stay invalid."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Request integers are strict (`Field(strict=True)`, and the app validates request bodies
# with strict=True): a bool or a numeric string is a 422, never silently read as a number.
# `_WHOLE` comes last so it runs first; the JSON Schema keeps `minimum`/`maximum`.
_WHOLE = BeforeValidator(_whole_number)
LongText = Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS)]


class _Strict(BaseModel):
    """Unknown keys are rejected: a typo in a field name must not be ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class _Open(BaseModel):
    """Context objects reject unknown keys too (a typo such as `prospekt` would otherwise
    drop the data silently, and the OpenAPI document says `additionalProperties: false`
    everywhere). A CRM maps its fields onto these names (examples/crm/webhook.py).
    """

    model_config = ConfigDict(extra="forbid")


class Message(_Strict):
    """A follow-up message: the draft, the original or the rewrite."""

    channel: Channel = "email"
    subject: ShortText | None = None
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS)]


class Prospect(_Open):
    name: ShortText | None = None
    company: ShortText | None = None
    role: ShortText | None = None


class History(_Open):
    touches_since_reply: Annotated[int, Field(ge=0, le=1000, strict=True), _WHOLE] | None = None
    days_since_reply: Annotated[int, Field(ge=0, le=36500, strict=True), _WHOLE] | None = None
    # Free text on purpose: CRMs name stages their own way; the strategy
    # chooser recognises the common ones ("proposal_sent", "demo_done", ...).
    stage: ShortText | None = None
    agreed_next_step: ShortText | None = None


class Sender(_Open):
    name: ShortText | None = None
    company: ShortText | None = None
    offer: ShortText | None = None


class Context(_Open):
    """What is known about the prospect. `notes` and `prospect_messages` are UNTRUSTED."""

    prospect: Prospect | None = None
    goal: ShortText | None = None
    notes: LongText | None = None
    prospect_messages: Annotated[list[LongText], Field(max_length=50)] = Field(default_factory=list)
    history: History | None = None
    sender: Sender | None = None


class Budget(_Strict):
    """Length budget overrides; None means the channel's default."""

    max_words: Annotated[int, Field(ge=5, le=2000, strict=True), _WHOLE] | None = None
    max_chars: Annotated[int, Field(ge=20, le=20_000, strict=True), _WHOLE] | None = None


class Suggestion(BaseModel):
    """A one-click fix: replace `body[start:end]` with `text` ("" deletes)."""

    start: int
    end: int
    text: str


class Finding(BaseModel):
    rule: str  # a RuleId; str so that new rules can be added without an API break
    severity: Severity
    principle: PrincipleId
    message: str
    start: int
    end: int
    excerpt: str
    # Deterministic fixes where one exists (POST /v1/analyze fills them; the editor applies
    # the same cuts). The range may be wider than the finding: a clause or its sentence.
    suggestions: list[Suggestion] = Field(default_factory=list)


class BudgetInfo(BaseModel):
    """The length budget the draft was measured against (channel default or override)."""

    max_words: int | None
    max_chars: int | None


class Metrics(BaseModel):
    words: int
    sentences: int
    questions: int
    reading_grade: float
    you_me_ratio: float
    characters: int = 0  # of the body, trailing whitespace excluded (as too_long counts)
    budget: BudgetInfo | None = None
    within_budget: bool = True


class Analysis(BaseModel):
    score: Annotated[int, Field(ge=0, le=100)]
    strategy: StrategyId
    findings: list[Finding]
    metrics: Metrics

    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}


class StrategyChoice(BaseModel):
    id: StrategyId
    reason: str


class Change(BaseModel):
    rule: str | None = None
    principle: PrincipleId | None = None
    before: str
    after: str


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class RewriteOptions(_Strict):
    strategy: Literal["auto"] | StrategyId = "auto"
    max_words: Annotated[int, Field(ge=10, le=2000, strict=True), _WHOLE] | None = None
    max_chars: Annotated[int, Field(ge=20, le=20_000, strict=True), _WHOLE] | None = None
    variants: Annotated[int, Field(ge=1, le=3, strict=True), _WHOLE] = 1
    # Strict: an int is a number, but a bool or a numeric string is a 422.
    temperature: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] | None = None


class AnalyzeRequest(_Strict):
    draft: Message
    context: Context | None = None
    original: Message | None = None
    options: Budget | None = None


class RewriteRequest(_Strict):
    draft: Message
    context: Context | None = None
    options: RewriteOptions = Field(default_factory=RewriteOptions)


Verdict = Literal["rewritten", "already_good"]
# "editor": the draft-preserving editor kept the rep's message and fixed what offended;
# "composer": the draft had nothing worth keeping, so a message was written from the context.
Source = Literal["model", "editor", "composer"]


class RewriteResponse(BaseModel):
    id: str
    strategy: StrategyChoice
    rewrite: Message
    variants: list[Message]
    changes: list[Change]
    before: Analysis
    after: Analysis
    verdict: Verdict
    source: Source
    # True when the first model answer failed the guard and the repair round passed.
    repaired: bool = False
    # Why a model answer is not what you received (model unreachable, timed out, failed the
    # check twice, ...). None when a model answered, and when no model is configured at all
    # (then `source` alone says which deterministic path wrote the message).
    degraded_reason: str | None = None
    model: str
    prompt_version: str
    usage: Usage
    cached: bool = False
    latency_ms: float
