"""What a request to the AWS simulator's own routes may contain: the JSON bodies of the ``/_sim/aws``
controls (moto validates the AWS API itself)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OptOutSpec(BaseModel):
    """Body of ``POST /_sim/aws/sms/opt-out``."""

    model_config = ConfigDict(extra="forbid")
    number: str = Field(pattern=r"^\+?[1-9]\d{1,14}$")
