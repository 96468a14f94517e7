"""Tools served by a robopages server: its function list in, `ApiTool`s out.

``robopages(url)`` reads ``GET <url>?flavor=openai`` (OpenAI function definitions) and
builds one tool per function. Calling a tool posts the call to ``<server>/process`` and
returns the server's answer to the model.
"""

from __future__ import annotations

import json
import re
import typing as t
from urllib.parse import urlsplit, urlunsplit

from rigging._exports import public_dir as _public_dir
from rigging.tool.api import ApiTool
from rigging.tool.base import ToolArgumentsError

ToolType = t.Literal["api", "native"]

__all__ = [
    "OpenAIFormat",
    "OpenAIFunction",
    "RobopagesApiTool",
    "RobopagesFunction",
    "RobopagesTool",
    "robopages",
]


class OpenAIFunction(t.TypedDict):
    """A function as the server lists it with ``flavor=openai``."""

    name: str
    description: str
    parameters: dict[str, t.Any]
    """JSON schema of the arguments."""


class OpenAIFormat(t.TypedDict):
    """One entry of the server's ``flavor=openai`` list."""

    type: str
    """``"function"``."""
    function: OpenAIFunction


class RobopagesFunction(t.TypedDict):
    """A function in robopages' own format (``flavor=rigging``)."""

    name: str
    description: str
    parameters: list[dict[str, t.Any]]
    """One entry per parameter."""
    page_name: str
    page_description: str


class RobopagesTool(ApiTool):
    """One function of a robopages server, offered as an API (or native) tool.

    Args:
        url: The server's base URL (any path is dropped).
        name: The function name.
        description: What it does.
        parameters: JSON schema of its arguments.
    """

    def __init__(
        self,
        url: str,
        name: str,
        description: str = "",
        parameters: dict[str, t.Any] | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.base_url = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        """Where calls are posted (``/process`` is appended)."""
        self.name = name
        self.description = description
        self.fn = self.invoke
        self._parameters = parameters or {"type": "object", "properties": {}}

    @property
    def parameters_schema(self) -> dict[str, t.Any]:
        """The schema the server gave."""
        return self._parameters

    def validate(self, arguments: str | dict[str, t.Any] | None) -> dict[str, t.Any]:
        """Decode arguments and check the required ones are present.

        Args:
            arguments: JSON text or a decoded object.

        Returns:
            The arguments.

        Raises:
            ToolArgumentsError: Invalid JSON, not an object, or a required argument missing.
        """
        try:
            decoded = json.loads(arguments or "{}") if isinstance(arguments, str) else arguments
        except json.JSONDecodeError as exc:
            raise ToolArgumentsError(
                f"arguments for tool {self.name!r} are not valid JSON: {exc}"
            ) from exc
        if not isinstance(decoded, dict):
            raise ToolArgumentsError(f"arguments for tool {self.name!r} must be a JSON object")
        missing = [k for k in self._parameters.get("required", []) if k not in decoded]
        if missing:
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.name!r}: missing {', '.join(missing)}"
            )
        return decoded

    async def invoke(self, arguments: str | dict[str, t.Any] | None) -> t.Any:
        """Post the call to the server and return its answer.

        Args:
            arguments: JSON text or a decoded object.

        Returns:
            The first result's ``content`` (200), or the error text the server sent (400).

        Raises:
            ToolArgumentsError: The arguments are invalid.
            httpx.HTTPStatusError: Any other status (reported to the model as a tool error).
        """
        import httpx

        values = self.validate(arguments)
        call = [
            {"type": "function", "id": "", "function": {"name": self.name, "arguments": values}}
        ]
        async with httpx.AsyncClient(timeout=60) as client:
            response = await client.post(f"{self.base_url}/process", json=call)
        if response.status_code == 400:
            return response.text
        response.raise_for_status()
        results = response.json()
        return results[0]["content"] if results else ""


RobopagesApiTool = RobopagesTool
"""2.3 name of `RobopagesTool`."""


def robopages(
    url: str, *, tool_type: ToolType = "api", name_filter: str | None = None
) -> list[RobopagesTool]:
    """Build tools from a robopages server's function list.

    The tools work as API and as native tools alike: the pipeline's `using` decides how they
    are offered (``mode=``, or ``using_native_tools``). ``tool_type`` is accepted for 2.3 code
    and checked (2.3 raised `NotImplementedError` for ``"native"``; here it works).

    Args:
        url: The server URL (e.g. ``http://127.0.0.1:8000``).
        tool_type: ``"api"`` or ``"native"``.
        name_filter: Keep only functions whose name matches this regular expression.

    Returns:
        One tool per function.

    Raises:
        httpx.HTTPError: The list could not be fetched.
        ValueError: The server's answer is not a list of OpenAI function definitions, or
            ``tool_type`` is neither ``"api"`` nor ``"native"``.
    """
    import httpx

    if tool_type not in ("api", "native"):
        raise ValueError(f"tool_type must be 'api' or 'native', got {tool_type!r}")

    response = httpx.get(url, params={"flavor": "openai"}, timeout=30)
    response.raise_for_status()
    entries = response.json()
    if not isinstance(entries, list):
        raise ValueError(f"robopages at {url} sent {type(entries).__name__}, expected a list")
    pattern = re.compile(name_filter) if name_filter else None
    tools = []
    for index, entry in enumerate(entries):
        function = _function_of(entry)
        if function is None:
            raise ValueError(f"robopages entry {index} is not an OpenAI function definition")
        if pattern is not None and not pattern.search(function["name"]):
            continue
        tools.append(
            RobopagesTool(
                url, function["name"], function.get("description") or "", function.get("parameters")
            )
        )
    return tools


def _function_of(entry: object) -> OpenAIFunction | None:
    """The function of an `OpenAIFormat` entry; None when the entry has not that shape.

    Only the name is required: ``description`` and ``parameters`` may be missing.
    """
    function = entry.get("function") if isinstance(entry, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return None
    return t.cast("OpenAIFunction", function)


__dir__ = _public_dir(globals())
