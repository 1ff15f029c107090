"""The request-description layer: every operation of the API is described once.

An operation is a method of ``Endpoints`` decorated with ``@operation(METHOD, PATH)``: it
builds a ``Call`` (the path parameters, query, body and how to read the answer) and
sends nothing. On a ``Client`` the method sends the call and returns the answer; on an
``AsyncClient`` it returns an awaitable of it. Both share this one description.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

import httpx
from pydantic import BaseModel

P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Upload = bytes | IO[bytes]
"""Content to upload: bytes, or a binary file (read from its start on each attempt)."""
Part = tuple[str | None, Upload | str] | tuple[str | None, Upload | str, str]
"""A multipart part: (file name or None for a plain field, value[, media type])."""
Reader = Callable[[httpx.Response], T]
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


@dataclass(frozen=True)
class Call(Generic[T]):
    """What one operation sends beside its method and path, and how its answer is read."""

    read: Reader[T]
    path: Mapping[str, str | int] = field(default_factory=dict)
    params: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    json: object | None = None
    content: bytes | None = None
    files: Sequence[tuple[str, Part]] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    """An operation's HTTP method and path template, and whether sending it twice does
    what sending it once does (only then is it retried after it was sent)."""

    method: str
    path: str
    idempotent: bool


class SyncSender(Protocol):
    """A client whose operations answer at once (``Client``)."""

    def _send(self, endpoint: Endpoint, call: Call[T]) -> T: ...


class AsyncSender(Protocol):
    """A client whose operations answer awaitables (``AsyncClient``)."""

    def _send(self, endpoint: Endpoint, call: Call[T]) -> Coroutine[Any, Any, T]: ...


class Operation(Generic[P, T]):
    """A method of the API client: sends what ``build`` describes to ``endpoint``."""

    def __init__(self, endpoint: Endpoint, build: Callable[Concatenate[Any, P], Call[T]]) -> None:
        self.endpoint = endpoint
        self.build = build
        signature = inspect.signature(build)  # shown without ``self`` and the Call
        self.signature = signature.replace(
            parameters=list(signature.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Operation[P, T]: ...

    @overload
    def __get__(self, client: SyncSender, owner: type[Any]) -> Callable[P, T]: ...

    @overload
    def __get__(
        self, client: AsyncSender, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, client: Any, owner: type[Any]) -> Any:
        if client is None:
            return self

        @functools.wraps(self.build)
        def send(*args: P.args, **kwargs: P.kwargs) -> Any:
            return client._send(self.endpoint, self.build(client, *args, **kwargs))

        send.__signature__ = self.signature  # type: ignore[attr-defined]
        return send


def operation(
    method: str, path: str, *, idempotent: bool | None = None
) -> Callable[[Callable[Concatenate[Any, P], Call[T]]], Operation[P, T]]:
    """Make a ``Call`` builder an operation on ``method path``; idempotent by default
    for GET, PUT and DELETE."""
    same_twice = method in IDEMPOTENT_METHODS if idempotent is None else idempotent

    def wrap(build: Callable[Concatenate[Any, P], Call[T]]) -> Operation[P, T]:
        return Operation(Endpoint(method, path, same_twice), build)

    return wrap


def operations(cls: type) -> dict[str, Endpoint]:
    """The operations of a client class by method name (its own and inherited)."""
    found: dict[str, Endpoint] = {}
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, Operation):
                found.setdefault(name, value.endpoint)
    return found


def present(**values: Any) -> dict[str, Any]:
    """The values that are not None, with dates and times in ISO 8601 (JSON, query or
    form values)."""
    return {
        name: value.isoformat() if isinstance(value, date | datetime) else value
        for name, value in values.items()
        if value is not None
    }


def form(upload: Upload | None, name: str, **values: Any) -> list[tuple[str, Part]]:
    """Multipart parts: the ``file`` (when given, named ``name``) and plain fields for
    the values that are not None."""
    parts: list[tuple[str, Part]] = [(key, (None, str(v))) for key, v in present(**values).items()]
    return parts + ([("file", (name, upload))] if upload is not None else [])


def model(cls: type[M]) -> Reader[M]:
    """Read the answer's JSON as ``cls``."""
    return lambda response: cls.model_validate_json(response.content)


def items(cls: type[M], key: str) -> Reader[list[M]]:
    """Read the list under ``key`` of the answer's JSON, each as ``cls``."""
    return lambda response: [cls.model_validate(item) for item in response.json()[key]]


def text(response: httpx.Response) -> str:
    """Read the answer as text (CSV, HTML, Prometheus exposition)."""
    return response.text


def nothing(response: httpx.Response) -> None:
    """Read a ``204 No Content`` answer."""
