"""API output of ingest that is not part of the edge contract (models/sync.py holds that)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChainProblem(BaseModel):
    seq: int
    # bad_hash / bad_signature / prev_mismatch / bad_genesis / gap / bad_value (a stored enum
    # column outside its enum: expected names the column, got the stored text); against what
    # ingest acknowledged (ingest.ack_check): missing_after_ack / tip_mismatch / count_mismatch
    kind: str
    expected: str = ""
    got: str = ""


class RecordedBreak(BaseModel):
    seq: int
    kind: str
    expected: str
    got: str
    detected_at: str


class ChainReport(BaseModel):
    """An inspector's answer to "is this gate's chain intact", recomputed from stored columns."""

    device_id: int
    device_code: str
    events: int
    first_seq: int | None
    last_seq: int | None
    highest_contiguous_seq: int
    acked_count: int = Field(0, description="events ingest stored for this gate, all time")
    acked_tip_hash: str | None = Field(None, description="hash acknowledged at that seq")
    intact: bool = Field(description="every stored event re-hashes, verifies and links")
    problems: list[ChainProblem] = Field(default_factory=list)
    problems_total: int = 0
    recorded_breaks: list[RecordedBreak] = Field(
        default_factory=list, description="breaks found at ingest (forks, bad signatures...)"
    )
    retained_through_seq: int | None = Field(
        None,
        description="records 1..this were deleted by retention (three years after the project's "
        "wages were settled): the chain is verified from that record's kept hash, not a break",
    )
