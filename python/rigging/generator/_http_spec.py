"""The HTTP spec: how `HTTPGenerator` builds a request and reads the response.

The literal secrets of its patterns are found and masked in `_http_secrets`; spec text is
decoded in `_http_spec_text` (`load_spec_text`, re-exported here).
"""

from __future__ import annotations

import functools
import json
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

import jinja2
import regex  # type: ignore[import-untyped]
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.parser import parse as jsonpath_parse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_serializer,
)

from rigging._redact import (
    MASK,
    is_secret_name,
    mask_fragment,
    mask_urls,
    redact_known,
    redact_repr_args,
    redact_text,
    reveals,
    secret_values,
    secrets_in_view,
)
from rigging._sandbox import environment
from rigging.error import ProcessingError, _clip, _safe_str
from rigging.generator._http_secrets import (
    _holds_template,
    _mask_literals,
    _mask_template_literals,
    _template_literals,
    mask_secret_template,
    secret_template_pieces,
)
from rigging.generator._http_spec_text import load_spec_text

__all__ = [
    "HTTPSpec",
    "InputTransform",
    "OutputTransform",
    "RequestSpec",
    "RequestTransformContext",
    "ResponseSpec",
    "TransformStep",
    "load_spec_text",
    "params_read",
    "spec_literal_secrets",
]

InputTransform = Literal["json", "jinja"]
"""Request body transforms."""
OutputTransform = Literal["jsonpath", "regex", "jinja"]
"""Response body transforms."""

T = TypeVar("T", bound=str)


@functools.lru_cache(maxsize=256)
def _template(source: str) -> jinja2.Template:
    try:
        return environment().from_string(source)
    except RecursionError:
        raise ValueError(
            "template is nested too deeply (brackets, blocks or filters) to be read"
        ) from None


class RequestTransformContext(BaseModel):
    """Variables available to request templates and ``$path`` references."""

    role: str
    """Role of the last message."""
    content: str
    """Text content of the last message."""
    all_content: str
    """Text content of every message, joined with newlines."""
    messages: list[dict[str, Any]]
    """The conversation as OpenAI-style dicts."""
    params: dict[str, Any]
    """Generation params (generator params with the request's merged on top), as a dict."""
    api_key: str = Field(default="", repr=False)
    """The generator's api key ("" when unset); use it in headers, it is never logged."""
    model: str
    """The generator's model name."""


_NOT_TEMPLATES = frozenset({"regex", "jsonpath"})
"""Transform kinds whose pattern is an expression over the response, not request text: only
URL user-info is masked in their dumps (``(?:token=)(.+)`` is no query string)."""


class TransformStep(BaseModel, Generic[T]):
    """One transform: a type and its pattern (a template, path, regex or JSON object)."""

    model_config = ConfigDict(hide_input_in_errors=True)  # specs may hold literal secrets

    type: T
    """Transform kind."""
    pattern: str | dict[str, Any]
    """Template text, jsonpath, regex, or (for ``json``) an object or JSON text. A literal
    value under a secret name in a JSON pattern (``{"api_key": "sk-..."}``), in JSON-like
    template text (``"api_key": "sk-..."`` beside ``{{ messages|tojson }}``) or in a form
    pair (``client_secret=...``) is masked in reprs, dumps and identifiers; use
    ``"$api_key"`` or ``{{ api_key }}`` instead."""

    @field_serializer("pattern")
    def _mask_literal_secrets(
        self, pattern: str | dict[str, Any], info: SerializationInfo
    ) -> str | dict[str, Any]:
        return pattern if reveals(info.context) else self._masked()

    def _masked(self) -> str | dict[str, Any]:
        """The pattern with its literal secrets masked (see `pattern`)."""
        pattern = self.pattern
        if isinstance(pattern, dict):
            return cast("dict[str, Any]", _mask_literals(pattern))
        if self.type in _NOT_TEMPLATES:  # a `?name=` there is regex syntax, not a query
            return mask_urls(pattern, query=False)
        parsed = _maybe_json(pattern)
        if isinstance(parsed, (dict, list)):
            masked = _mask_literals(parsed)
            if masked != parsed:
                return json.dumps(masked)
            return mask_urls(pattern)
        return mask_urls(_mask_template_literals(pattern))

    def __repr_args__(self) -> Any:
        args = redact_repr_args(super().__repr_args__())
        return [(name, self._masked() if name == "pattern" else value) for name, value in args]


class RequestSpec(BaseModel):
    """How to build the request."""

    model_config = ConfigDict(hide_input_in_errors=True)  # specs may hold literal secrets

    __endpoints__: ClassVar[frozenset[str]] = frozenset({"url"})
    """Fields holding where requests go: a fragment there is masked in views and is a secret
    of the generator (`rigging._redact.secret_values`), as an `api_base`'s is."""

    url: str
    """URL (a Jinja template). A literal value of a secret-named query parameter
    (``?key=...``) and the fragment of a URL without template syntax (never sent) are masked
    in reprs, dumps and identifiers; use ``{{api_key}}``."""
    method: str = "POST"
    """HTTP method."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Header values (each a Jinja template). Put secrets in as ``{{api_key}}``: a literal
    value under a secret name (``Authorization: Bearer sk-...``) is masked in reprs, dumps
    and identifiers, and so are the literal pieces of a template there (``Bearer sk-{{ x
    }}``, ``{{ "sk-" ~ "abc" }}``: only a leading scheme word such as ``Bearer`` is kept)."""
    timeout: int | None = None
    """Request timeout in seconds; wins over the params' ``timeout``."""
    transforms: list[TransformStep[InputTransform]] = Field(min_length=1)
    """Body transforms, applied in order starting from an empty body."""

    @field_serializer("headers")
    def _mask_literal_secrets(self, headers: dict[str, str], info: SerializationInfo) -> Any:
        if reveals(info.context):
            return headers
        return {name: _masked_header(name, value) for name, value in headers.items()}

    @field_serializer("url")
    def _mask_url_secrets(self, url: str, info: SerializationInfo) -> str:
        return url if reveals(info.context) else mask_fragment(mask_urls(url))

    def __repr_args__(self) -> Any:
        args = redact_repr_args(super().__repr_args__())
        return [
            (name, mask_fragment(mask_urls(value)) if name == "url" else value)
            for name, value in args
        ]


def _masked_header(name: str, value: str) -> str:
    """A header template as views show it (see `RequestSpec.headers`)."""
    if not is_secret_name(name):
        return mask_urls(value)
    return mask_urls(mask_secret_template(value)) if _holds_template(value) else MASK


class ResponseSpec(BaseModel):
    """How to check and read the response."""

    model_config = ConfigDict(hide_input_in_errors=True)  # specs may hold literal secrets

    valid_status_codes: list[int] = Field(default_factory=lambda: [200])
    """Statuses accepted as success."""
    transforms: list[TransformStep[OutputTransform]] = Field(default_factory=list)
    """Body transforms, applied in order; the final string is the assistant's content."""


# Pickle finds a class by its module and name: the parametrized steps are module attributes
# under their own names (``TransformStep[Literal['json', 'jinja']]``), as pydantic registers
# those made at module level. Without them no spec, and so no HTTP generator, pickled.
for _step in (TransformStep[InputTransform], TransformStep[OutputTransform]):
    globals().setdefault(_step.__name__, _step)
del _step


def spec_literal_secrets(spec: HTTPSpec) -> list[str]:
    """The literal secrets of `spec`'s templates that its fields do not show as such.

    Those in template text that is no JSON (see `_template_literals`), in request and
    response steps alike, and the literal pieces of header templates under secret names
    (`secret_template_pieces`): whatever the views mask, so that a server echoing it has
    it scrubbed from errors. The rest (literal header values, URL secrets, JSON patterns)
    the generic search finds.
    """
    steps = [*spec.request.transforms, *(spec.response.transforms if spec.response else ())]
    found = [
        secret
        for step in steps
        if isinstance(step.pattern, str)
        and step.type not in _NOT_TEMPLATES
        and not isinstance(_maybe_json(step.pattern), dict | list)
        for _, _, forms in _template_literals(step.pattern)
        for secret in forms
    ]
    for name, value in spec.request.headers.items():
        if is_secret_name(name) and _holds_template(value):
            found.extend(secret_template_pieces(value))
    return found


def _clean(text: str, ctx: RequestTransformContext | None) -> str:
    """Error text without the request's secrets or any secret known to the process.

    The request's are its api key and secret-named params: template errors may quote values
    (``params[api_key]``).
    """
    if ctx is not None:
        text = redact_text(text, [ctx.api_key, *secret_values(ctx.params)])
    return redact_known(text)


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


@functools.lru_cache(maxsize=256)
def params_read(source: str) -> frozenset[str] | None:
    """The settings a template reads from ``params`` (None: it may read any of them).

    ``params.name`` and ``params["name"]`` are counted by name; any other use of ``params``
    (a loop over it, a key from a variable, the whole dict passed on) may read anything.
    """
    try:
        tree = environment().parse(source)
    except (jinja2.TemplateError, RecursionError):
        return None  # rendering fails the same way; nothing is sent
    names: set[str] = set()
    uses = sum(1 for node in tree.find_all(jinja2.nodes.Name) if node.name == "params")
    called = {id(call.node) for call in tree.find_all(jinja2.nodes.Call)}
    named = 0
    for node in tree.find_all((jinja2.nodes.Getattr, jinja2.nodes.Getitem)):
        target = getattr(node, "node", None)
        if not (isinstance(target, jinja2.nodes.Name) and target.name == "params"):
            continue
        if id(node) in called:  # a method of the dict (`params.get(...)`, `.items()`)
            return None
        if isinstance(node, jinja2.nodes.Getattr):
            names.add(node.attr)
        elif isinstance(node, jinja2.nodes.Getitem):
            key = node.arg
            if not (isinstance(key, jinja2.nodes.Const) and isinstance(key.value, str)):
                continue
            names.add(key.value)
        named += 1
    return frozenset(names) if named == uses else None


def _render(pattern: str | dict[str, Any], variables: dict[str, Any]) -> str:
    source = pattern if isinstance(pattern, str) else json.dumps(pattern)
    return _template(source).render(**variables)


def _walk(data: Any, path: str) -> Any:
    current = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise ProcessingError(f"reference '${path}' not found in the request context")
    return current


def _substitute(node: Any, data: dict[str, Any]) -> Any:
    if isinstance(node, str) and node.startswith("$") and len(node) > 1:
        return _walk(data, node[1:])
    if isinstance(node, dict):
        return {k: _substitute(v, data) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, data) for v in node]
    return node


def _jsonpath(pattern: str, previous: str) -> str:
    try:
        expr = jsonpath_parse(pattern)
    except (JsonPathLexerError, JsonPathParserError) as exc:
        raise ProcessingError(f"invalid jsonpath {pattern!r}: {_safe_str(exc)}") from None
    data = json.loads(previous) if isinstance(previous, str) else previous
    found = [match.value for match in expr.find(data)]
    if not found:
        raise ProcessingError(f"jsonpath {pattern!r} matched nothing")
    value = found[0] if len(found) == 1 else found
    return value if isinstance(value, str) else json.dumps(value)


REGEX_SECONDS = 1.0
"""How long a response regex may search one response before the step fails."""


def _findall(pattern: str, text: str) -> list[str | tuple[str, ...]]:
    """``re.findall``'s results, built from the matches, within `REGEX_SECONDS`.

    The whole match without groups, the group with one, a tuple with several; a group that
    took no part is ``""``. (``regex.findall`` of some releases gives a one-group pattern's
    matches as 1-tuples.)

    Raises:
        TimeoutError: The search took longer than `REGEX_SECONDS` in all.
    """
    found: list[str | tuple[str, ...]] = []
    for match in regex.finditer(pattern, text, timeout=REGEX_SECONDS):
        groups = match.groups()
        if not groups:
            found.append(match.group(0))
        elif len(groups) == 1:
            found.append(groups[0] or "")
        else:
            found.append(tuple(group or "" for group in groups))
    return found


def _regex(pattern: str, previous: str) -> str:
    """``re.findall`` semantics (the `regex` module's ``re``-compatible mode), bounded in time.

    Python's engine backtracks: a pattern with nested repetition such as ``(a+)+$`` takes
    exponential time on a hostile response and would hold the event loop for ever.
    """
    try:
        found = _findall(pattern, previous)
    except TimeoutError:
        raise ProcessingError(
            f"regex {pattern!r} searched the response for more than {REGEX_SECONDS:g}s "
            f"({len(previous):,} characters); a pattern with nested repetition backtracks "
            "exponentially on some inputs"
        ) from None
    matches = [str(m) for m in found]
    if not matches:
        raise ProcessingError(f"regex {pattern!r} matched nothing")
    return matches[0] if len(matches) == 1 else json.dumps(matches)


def _header_problem(value: str) -> str | None:
    """Why a rendered header value cannot be sent (never quoting it: it may hold a key)."""
    if any(char in value for char in "\r\n\0"):
        return "renders a line break or NUL, which a header cannot hold"
    if not value.isascii():
        return "renders characters outside ASCII, which a header cannot hold (encode them)"
    return None


MAX_ERROR = 1000
"""Most characters of the text of a spec part's error (`rigging.error._clip` marks a cut): a
template error can quote a rendered value (a message's content, a response body's)."""


def _spec_error(where: str, detail: str, ctx: RequestTransformContext | None) -> ProcessingError:
    """``HTTP spec {where} failed: {detail}``, redacted (`_clean`), then clipped."""
    return ProcessingError(_clip(_clean(f"HTTP spec {where} failed: {detail}", ctx), MAX_ERROR))


def _step_error(
    part: str, index: int, kind: str, exc: Exception, ctx: RequestTransformContext | None
) -> ProcessingError:
    if isinstance(exc, (ProcessingError, jinja2.TemplateError, ValueError, TypeError)):
        detail = _safe_str(exc) or type(exc).__name__
    else:  # RecursionError (deeply nested JSON), OverflowError (a huge range)...: named
        detail = _safe_str(exc, named=True)
    return _spec_error(f"{part}.transforms[{index}] ({kind})", detail, ctx)


class HTTPSpec(BaseModel):
    """A request/response recipe for `HTTPGenerator` (valid as a dict, JSON or YAML)."""

    model_config = ConfigDict(hide_input_in_errors=True)  # specs may hold literal secrets

    request: RequestSpec
    """How to build the request."""
    response: ResponseSpec | None = None
    """How to check and read the response; without it any status is accepted as is."""

    @model_serializer(mode="wrap")
    def _dump_in_view(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        with self._in_view():
            return cast("dict[str, Any]", handler(self))

    def __repr__(self) -> str:
        """The parts, their secrets masked as dumps mask them (`_in_view`)."""
        with self._in_view():
            return super().__repr__()

    def __str__(self) -> str:
        """As `__repr__`, without the class name."""
        with self._in_view():
            return super().__str__()

    def _in_view(self) -> AbstractContextManager[None]:
        """A block in which URLs are masked of the spec's own literal secrets.

        Its own only, not an enclosing generator's nor those the process remembers: the
        spec's dump is how a spec from loaded data is recognised (`rigging.generator._origin`),
        so it depends on the spec alone.
        """
        secrets = [*secret_values(self), *spec_literal_secrets(self)]
        return secrets_in_view(secrets, own_only=True)

    def make_url(self, ctx: RequestTransformContext) -> str:
        """Render the URL template.

        Args:
            ctx: The request context.

        Returns:
            The URL.

        Raises:
            ProcessingError: The template failed (the message names ``request.url``).
        """
        try:
            return _render(self.request.url, ctx.model_dump())
        except Exception as exc:  # any failure is the URL's, named (as for the headers)
            detail = _safe_str(exc, named=not isinstance(exc, jinja2.TemplateError))
            raise _spec_error("request.url", detail, ctx) from None

    def make_headers(self, ctx: RequestTransformContext) -> dict[str, str]:
        """Render every header template.

        Args:
            ctx: The request context.

        Returns:
            The headers.

        Raises:
            ProcessingError: A template failed (the message names the header).
        """
        variables = ctx.model_dump()
        headers: dict[str, str] = {}
        for name, template in self.request.headers.items():
            try:
                value = _render(template, variables)
            except Exception as exc:  # any failure is the header's, named
                detail = _safe_str(exc, named=not isinstance(exc, jinja2.TemplateError))
                raise _spec_error(f"request.headers[{name!r}]", detail, ctx) from None
            problem = _header_problem(value)
            if problem is not None:  # httpx refused it as a "connection error", retried
                raise ProcessingError(f"HTTP spec request.headers[{name!r}] {problem}")
            headers[name] = value
        return headers

    def make_request_body(self, ctx: RequestTransformContext) -> str:
        """Run the request transforms, starting from an empty body.

        ``json`` replaces every string value starting with ``$`` by the context value at that
        dotted path (``$content``, ``$params.temperature``, ``$messages``), keeping its JSON
        type. ``jinja`` renders the pattern with the context and the previous result as
        ``result``/``data``/``output``/``body`` (parsed as JSON when it is JSON).

        Args:
            ctx: The request context.

        Returns:
            The body text.

        Raises:
            ProcessingError: A step failed; the message names the step and why.
        """
        data = ctx.model_dump()
        result = ""
        for index, step in enumerate(self.request.transforms):
            try:
                if step.type == "json":
                    pattern = step.pattern
                    if isinstance(pattern, str):
                        pattern = json.loads(pattern)
                    result = json.dumps(_substitute(pattern, data))
                else:
                    previous = _maybe_json(result)
                    aliases = dict.fromkeys(("result", "data", "output", "body"), previous)
                    result = _render(step.pattern, {**data, **aliases})
            except Exception as exc:  # any failure of a step is that step's, named (deep JSON,
                # a huge range in a template...): never a bare error that fails the whole batch
                raise _step_error("request", index, step.type, exc, ctx) from None
        return result

    def parse_response_body(self, text: str) -> str:
        """Run the response transforms over the body text.

        Args:
            text: The response body.

        Returns:
            The extracted content (the body unchanged when there is no response spec).

        Raises:
            ProcessingError: A step failed; the message names the step and why.
        """
        if self.response is None:
            return text
        result = text
        for index, step in enumerate(self.response.transforms):
            try:
                result = self._output_step(step, result)
            except Exception as exc:  # any failure of a step is that step's, named
                raise _step_error("response", index, step.type, exc, None) from None
        return result

    @staticmethod
    def _output_step(step: TransformStep[OutputTransform], previous: str) -> str:
        if step.type == "jinja":
            aliases = dict.fromkeys(("result", "data", "output", "body"), _maybe_json(previous))
            return _render(step.pattern, aliases)
        if not isinstance(step.pattern, str):
            raise ProcessingError(f"a {step.type} pattern must be a string")
        if step.type == "jsonpath":
            return _jsonpath(step.pattern, previous)
        return _regex(step.pattern, previous)
