"""pict-rs external validation: pict-rs POSTs each processed upload (the body is the
file, ``Content-Type`` its media type) and keeps it on a 2xx answer, refuses it on any
other. pict-rs sends no headers of its own, so the API key travels in the URL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from safeguard.api.openapi import problem_responses
from safeguard.api.problems import problem
from safeguard.api.state import AppState, app_state
from safeguard.api.uploads import screen_bytes
from safeguard.apikeys import Scope, authenticate
from safeguard.errors import Forbidden, NotFound, Unauthorized
from safeguard.screening.service import Requester

PATH = "/v1/integrations/pict-rs/validate"
REJECTED = "upload-rejected"

router = APIRouter()

_RESPONSES = problem_responses(401, 403, 404, 413, 415, 422, 503)
_RESPONSES[403] = _RESPONSES[403] | {
    "description": "The upload matches a hash list (pict-rs refuses it), or the key lacks "
    "the screen scope"
}
_RAW_BODY = {
    "requestBody": {
        "required": True,
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class ValidationOut(BaseModel):
    """The upload may be kept."""

    screening_id: str
    decision: str = Field(description="'allow', or 'review' with SAFEGUARD_PLATFORM_REVIEW=allow")


@router.post(PATH, response_model=ValidationOut, responses=_RESPONSES, openapi_extra=_RAW_BODY)
async def validate(
    request: Request,
    state: Annotated[AppState, Depends(app_state)],
    key: Annotated[
        str, Query(max_length=256, description="An API key with the screen scope.")
    ] = "",
) -> ValidationOut | JSONResponse:
    """Screen an upload for pict-rs (`[media] external_validation`): `200` keeps it,
    `403` with a problem naming the screening refuses it (a `block`, or a `review` unless
    `SAFEGUARD_PLATFORM_REVIEW=allow`). The key is given as `?key=`; this operation takes
    no bearer token."""
    if not state.settings.pictrs_enabled:
        raise NotFound("pict-rs validation is off: set SAFEGUARD_PICTRS_ENABLED=true")
    if not key:
        raise Unauthorized(f"give an API key as {PATH}?key=<key>")
    caller = await run_in_threadpool(authenticate, state.db, key)
    if not caller.allows(Scope.SCREEN):
        raise Forbidden("this API key lacks the 'screen' scope")
    data = b"".join([chunk async for chunk in request.stream()])
    facts = {"media_type": request.headers.get("content-type", "")[:128], "platform": "pict-rs"}
    result = await screen_bytes(state, data, Requester(caller.client, "pict-rs"), facts)
    decision = result.decision.value
    if decision == "block" or (decision == "review" and state.settings.platform_review == "reject"):
        return problem(
            403,
            REJECTED,
            "Upload rejected",
            f"the upload matches a hash list ({decision})",
            {"screening_id": result.screening_id, "decision": decision},
        )
    return ValidationOut(screening_id=result.screening_id, decision=decision)
