"""`ChatPipeline`: stage a conversation, configure checks and callbacks, run it at scale."""

from __future__ import annotations

import typing as t
import warnings
from collections.abc import Callable, Coroutine, Sequence

from typing_extensions import ParamSpec, Self

from rigging._pipeline.base import PipelineBase, UntilSpec
from rigging._pipeline.batch import batch_items
from rigging._pipeline.chat import Chat, ChatList, MessageInput, as_messages
from rigging._pipeline.config import refuse_assignment, until_specs
from rigging._pipeline.drivers import ChatDriver, ParsedAsCheck
from rigging._pipeline.state import DEFAULT_MAX_DEPTH, DEFAULT_MAX_ROUNDS, ToolMode
from rigging._pipeline.tools import use_tools
from rigging._pipeline.views import SettingList
from rigging.error import _safe_str
from rigging.generator import GenerateParams, Generator
from rigging.message import Content, ContentText, Message
from rigging.tool._handler import ToolHandlerBase, ToolPolicy
from rigging.tool.api import ApiTool, ApiToolHandler
from rigging.tool.native import NativeToolHandler

if t.TYPE_CHECKING:
    from rigging._message.tool_calls import ToolChoice
    from rigging._pipeline.callbacks import ToolHandler, UntilMessageCallback
    from rigging._pipeline.stream import ChatStream
    from rigging.model import Model
    from rigging.prompt import Prompt

__all__ = ["ChatPipeline", "MergeStrategy"]

_P = ParamSpec("_P")
_R = t.TypeVar("_R")

MergeStrategy = t.Literal["only-user-role", "all", "none"]
"""How `ChatPipeline.add` joins a message to a last message of the same role."""


class ChatPipeline(PipelineBase[Chat, ChatList, "ChatStream"]):
    """A staged conversation: add messages, checks and callbacks, then `run` it.

    Create one with ``generator.chat(messages)`` or ``rigging.chat(generator, messages)``.
    Runs are async: ``chat = await pipeline.run()``; ``run_many``, ``run_batch`` and
    ``run_over`` return a `ChatList` in input order.
    """

    _result_type = Chat
    _list_type = ChatList
    _chat: Chat

    def __init__(
        self,
        generator: Generator,
        messages: MessageInput | None = None,
        *,
        params: GenerateParams | None = None,
        watch_callbacks: Sequence[Callable[..., t.Any]] | None = None,
    ) -> None:
        super().__init__(generator, params=params, watch_callbacks=watch_callbacks)
        self.chat = Chat(messages, generator=generator)  # copies each Message given

    @property
    def chat(self) -> Chat:
        """The staged conversation; every run sends its `messages`, then its `generated`.

        Assignable (a `Chat`), and changes to it count, as in 2.3 (which kept messages given
        to `add` in ``chat.generated``; here they join the last list holding messages).
        """
        return self._chat

    @chat.setter
    def chat(self, value: Chat) -> None:
        if not isinstance(value, Chat):
            hint = " (build one with rigging.Chat(messages))" if value is not None else ""
            raise TypeError(f"pipeline.chat takes a Chat, got {type(value).__name__}{hint}")
        self._chat = value

    def __len__(self) -> int:
        return len(self.chat)

    def __repr__(self) -> str:
        return f"ChatPipeline(generator={self.generator!r}, messages={len(self.chat)})"

    # --- hooks ----------------------------------------------------------------------------------

    def _driver(self, generator: Generator) -> ChatDriver:
        return ChatDriver(generator, self.settings)

    def _base_input(self) -> list[Message]:
        return self.chat.all

    def _batch_inputs(self, many: t.Any) -> list[list[Message]]:
        base = self.chat.all
        if isinstance(many, (str, dict, Message)):
            many = [many]
        items = batch_items(many)
        inputs = []
        for index, item in enumerate(items):
            try:
                if item is None:
                    raise TypeError("None is not a message")
                inputs.append([*base, *as_messages(item)])
            except TypeError as exc:
                raise TypeError(
                    "run_batch items must be a message, a message dict, a str, or a list of "
                    f"them, got {type(item).__name__} at {index} ({_safe_str(exc)})"
                ) from exc
        return inputs

    def _copy_content(self) -> None:
        self.chat = self.chat.clone()

    # --- content --------------------------------------------------------------------------------

    def add(
        self, messages: MessageInput, *, merge_strategy: MergeStrategy = "only-user-role"
    ) -> Self:
        """Append messages to the staged conversation. Mutates the pipeline.

        When the first new message has the same role as the last staged one, it is merged
        into it (text joined by a newline; when either holds content parts, the parts of both
        in order, images included): for any role with ``"all"``, for ``user`` messages only
        with ``"only-user-role"``, never with ``"none"``.

        Args:
            messages: Messages to add.
            merge_strategy: When to merge with the last message.

        Returns:
            The pipeline.
        """
        incoming = as_messages(messages)
        staged = self.chat.generated or self.chat.messages
        if incoming and staged and merge_strategy != "none":
            last, first = staged[-1], incoming[0]
            if last.role == first.role and (merge_strategy == "all" or first.role == "user"):
                merged = last.clone()
                if isinstance(last.all_content, str) and isinstance(first.all_content, str):
                    merged.content = f"{last.content}\n{first.content}"
                else:  # images are kept: the parts of both, in order (text reads the same)
                    merged.all_content = [*_as_parts(last), *_as_parts(first)]
                    merged.parts = []
                staged[-1] = merged
                incoming = incoming[1:]
        staged.extend(incoming)
        return self

    def fork(self, messages: MessageInput) -> Self:
        """A clone with `messages` added (the receiver is unchanged).

        Args:
            messages: Messages to add to the clone.

        Returns:
            The new pipeline.
        """
        return self.clone().add(messages)

    def clone(self, *, only_messages: bool = False) -> Self:
        """A copy of the pipeline: same generator, copied conversation and configuration.

        Args:
            only_messages: Keep only messages, params and watchers; drop checks, callbacks,
                metadata and failure settings.

        Returns:
            The new pipeline.
        """
        return self._clone(only_content=only_messages)

    def apply(self, **kwargs: str) -> Self:
        """A clone with ``$name`` placeholders filled in the last message.

        Args:
            **kwargs: Values of the placeholders.

        Returns:
            The new pipeline.
        """
        new = self.clone()
        new.chat.apply(**kwargs)
        return new

    def apply_to_all(self, **kwargs: str) -> Self:
        """A clone with ``$name`` placeholders filled in every message.

        Args:
            **kwargs: Values of the placeholders.

        Returns:
            The new pipeline.
        """
        new = self.clone()
        new.chat.apply_to_all(**kwargs)
        return new

    # --- checks ---------------------------------------------------------------------------------

    def until(
        self,
        callback: UntilMessageCallback,
        *,
        attempt_recovery: bool = True,
        drop_dialog: bool = True,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
    ) -> Self:
        """Add a check on each generated message; it may ask for more rounds.

        The callback returns ``(again, messages)``. With `attempt_recovery`, a round sends the
        returned messages (e.g. the answer and an error prompt) back to the model; without
        it the model regenerates from the inputs. Mutates the pipeline.

        Args:
            callback: The check.
            attempt_recovery: Send the check's feedback back to the model.
            drop_dialog: Keep only the final message, not the recovery dialog.
            max_rounds: Extra generations allowed before the item fails as exhausted.

        Returns:
            The pipeline.
        """
        return self._add_until(UntilSpec(callback, attempt_recovery, drop_dialog, max_rounds))

    def until_parsed_as(
        self,
        *types: type[Model],
        attempt_recovery: bool = False,
        drop_dialog: bool = True,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
    ) -> Self:
        """Require every generated message to parse as all `types` (parts are recorded).

        Registering again adds types to the same check; the first call's settings stay.

        Args:
            *types: Model types.
            attempt_recovery: Send the parse error back to the model.
            drop_dialog: Keep only the final message, not the recovery dialog.
            max_rounds: Extra generations allowed.

        Returns:
            The pipeline.
        """
        spec = UntilSpec(None, attempt_recovery, drop_dialog, max_rounds)
        return self._add_until_types(types, spec)

    def _streaming(self) -> tuple[type[t.Any], Callable[..., ChatStream]]:
        from rigging._pipeline.stream import ChatStream, StreamingChatDriver

        return StreamingChatDriver, ChatStream

    # --- tools ----------------------------------------------------------------------------------

    def add_tool_handler(self, handler: ToolHandler) -> Self:
        """Register a handler consulted after every generation (the hook tool support uses).

        Args:
            handler: The handler (see `ToolHandler`).

        Returns:
            The pipeline.
        """
        return self._set(tool_handlers=(*self.settings.tool_handlers, handler))

    @property
    def tool_handlers(self) -> list[ToolHandler]:
        """Registered tool handlers."""
        return SettingList(self.settings.tool_handlers, "tool_handlers", "add_tool_handler(...)")

    @property
    def until_callbacks(self) -> list[tuple[UntilMessageCallback, bool, bool, int]]:
        """The until checks as 2.3's ``(callback, attempt_recovery, drop_dialog, max_rounds)``.

        In registration order. The `until_parsed_as` check, which has no callback of its own,
        is there with a `ParsedAsCheck` over the current `until_types`: calling it runs the
        check a run applies, so 2.3 code that unpacks the tuples, reads ``max_rounds`` or
        calls the callback keeps working. A read-only copy (add checks with `until`).
        """
        types = self.settings.until_types
        rows = [
            (
                ParsedAsCheck(types) if u.callback is None else u.callback,
                u.attempt_recovery,
                u.drop_dialog,
                u.max_rounds,
            )
            for u in self.settings.untils
        ]
        return SettingList(rows, "until_callbacks", "until(...)")

    @until_callbacks.setter
    def until_callbacks(
        self, value: Sequence[tuple[UntilMessageCallback, bool, bool, int]]
    ) -> None:
        shape = "(callback, attempt_recovery, drop_dialog, max_rounds)"
        rows = until_specs(value, shape, ParsedAsCheck, self.settings.until_types)
        self._set(untils=tuple(UntilSpec(c, *rest) for c, rest in rows))

    def _tools_of(self, kind: type[ToolHandlerBase]) -> list[ToolHandlerBase]:
        return [h for h in self.settings.tool_handlers if isinstance(h, kind)]

    @property
    def api_tools(self) -> list[ApiTool]:
        """The tools offered through the provider's function calling (``using(mode="api")``).

        One `ApiTool` per function: a `Tool` object given to `using` is there as one entry
        per public method. A read-only copy (add tools with `using`).
        """
        tools = [tool for h in self._tools_of(ApiToolHandler) for tool in h.tools.values()]
        return SettingList(t.cast("list[ApiTool]", tools), "api_tools", "using(...)")

    @api_tools.setter
    def api_tools(self, value: list[ApiTool]) -> None:
        refuse_assignment("api_tools", "using(..., mode='api')")

    @property
    def native_tools(self) -> list[ApiTool]:
        """The tools described in the prompt and called as XML (``using(mode="native")``).

        One function tool per function, as `api_tools` (2.3 kept the `Tool` objects given).
        A read-only copy (add tools with `using_native_tools` or `using`).
        """
        tools = [tool for h in self._tools_of(NativeToolHandler) for tool in h.tools.values()]
        return SettingList(t.cast("list[ApiTool]", tools), "native_tools", "using(...)")

    @native_tools.setter
    def native_tools(self, value: list[ApiTool]) -> None:
        refuse_assignment("native_tools", "using_native_tools(...)")

    @property
    def inject_native_tool_prompt(self) -> bool:
        """Whether every native tool was described in the system prompt (True: none yet).

        ``using_native_tools(..., inject_prompt=False)`` makes it False (2.3 kept True).
        """
        return all(h.described for h in self._tools_of(NativeToolHandler))

    @inject_native_tool_prompt.setter
    def inject_native_tool_prompt(self, value: bool) -> None:
        refuse_assignment("inject_native_tool_prompt", "using_native_tools(..., inject_prompt=...)")

    @property
    def force_native_tool(self) -> bool:
        """Whether the native tools were given with ``force=True`` (the latest call's)."""
        return any(h.policy.force for h in self._tools_of(NativeToolHandler))

    @force_native_tool.setter
    def force_native_tool(self, value: bool) -> None:
        refuse_assignment("force_native_tool", "using_native_tools(..., force=...)")

    @t.overload
    def prompt(self, func: Callable[_P, Coroutine[t.Any, t.Any, _R]]) -> Prompt[_P, _R]: ...

    @t.overload
    def prompt(self, func: Callable[_P, _R]) -> Prompt[_P, _R]: ...

    def prompt(self, func: Callable[..., t.Any]) -> Prompt[..., t.Any]:
        """Decorator: a prompt function whose calls fork from this pipeline.

        Args:
            func: The function.

        Returns:
            The prompt.
        """
        from rigging.prompt import prompt  # prompts build on pipelines

        return prompt(func, pipeline=self)

    async def run_prompt(
        self, prompt: Prompt[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> _R:
        """Deprecated: use ``prompt.bind(pipeline)(*args, **kwargs)``.

        Args:
            prompt: The prompt to run on this pipeline.
            *args: Positional arguments of the prompt.
            **kwargs: Keyword arguments of the prompt.

        Returns:
            The prompt's typed output.
        """
        _deprecated("run_prompt", "prompt.bind(pipeline)(...)")
        return await prompt.bind(self)(*args, **kwargs)

    async def run_prompt_many(
        self, prompt: Prompt[_P, _R], count: int, /, *args: _P.args, **kwargs: _P.kwargs
    ) -> list[_R]:
        """Deprecated: use ``prompt.bind_many(pipeline)(count, *args, **kwargs)``.

        Args:
            prompt: The prompt to run on this pipeline.
            count: How many times to run it.
            *args: Positional arguments of the prompt.
            **kwargs: Keyword arguments of the prompt.

        Returns:
            One typed output per run.
        """
        _deprecated("run_prompt_many", "prompt.bind_many(pipeline)(count, ...)")
        return await prompt.bind_many(self)(count, *args, **kwargs)

    async def run_prompt_over(
        self,
        prompt: Prompt[_P, _R],
        generators: Sequence[Generator | str],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> list[_R]:
        """Deprecated: use ``prompt.bind_over(pipeline)(generators, *args, **kwargs)``.

        Args:
            prompt: The prompt to run.
            generators: Generators (or ids) to run it on, besides this pipeline's own.
            *args: Positional arguments of the prompt.
            **kwargs: Keyword arguments of the prompt.

        Returns:
            One typed output per generator.
        """
        _deprecated("run_prompt_over", "prompt.bind_over(pipeline)(generators, ...)")
        return await prompt.bind_over(self)(generators, *args, **kwargs)

    def using(
        self,
        *tools: t.Any,
        choice: ToolChoice | None = None,
        force: bool = False,
        attempt_recovery: bool = True,
        drop_dialog: bool = False,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
        inject_prompt: bool | None = None,
        mode: ToolMode = "auto",
        max_depth: int = DEFAULT_MAX_DEPTH,
        timeout: float | None = None,
    ) -> Self:
        """Make tools available to the model. Mutates the pipeline.

        Tools may be functions (sync or async), methods, `Tool` objects or classes,
        `ApiTool`s and prompts. With ``mode="api"`` they go to the provider's function
        calling (``GenerateParams.tools``); with ``"native"`` they are described in the
        system prompt and called as XML in the text; ``"auto"`` picks API tools when the
        generator supports them. Tool errors go back to the model as the tool's answer:
        exceptions, and any other `BaseException` a tool raises except `KeyboardInterrupt`,
        `SystemExit` and the cancellation of the run itself.

        Args:
            *tools: The tools.
            choice: API tools only: the provider's ``tool_choice`` (for the first tool round;
                later rounds let the model answer).
            force: The model must call a tool at least once: API tools ask for
                ``tool_choice="required"`` in the first round, and a reply without a call is
                sent back with a reminder (both modes).
            attempt_recovery: A malformed native call (not JSON, unknown tool, arguments not
                fitting) is answered with the error so the model can fix it; False
                regenerates without showing it.
            drop_dialog: Once the model recovered, drop the failed turns from the chat.
            max_rounds: Most failed tool turns (malformed calls, forced re-asks) per chat;
                one more fails the chat with `MessagesExhaustedMaxRoundsError`.
            inject_prompt: Describe the tools in the system prompt; default: native mode
                only (False for native tools you describe yourself).
            mode: ``"auto"``, ``"api"`` or ``"native"``.
            max_depth: Most tool rounds one chat may take; past it the chat fails with
                `ToolDepthExceededError`.
            timeout: Most seconds one call of one of these tools may take (None, the
                default: no limit). An async tool still running then is cancelled, and the
                call is answered with an error naming the tool and the limit, so the model
                can try again; other calls and chats go on. A sync tool runs on the event
                loop and cannot be interrupted: it runs to its end and its result counts.
                Tools given in earlier ``using`` calls keep their own limit.

        Returns:
            The pipeline.

        Raises:
            ValueError: Unknown mode, a bad bound, duplicate tool names, API and native
                tools in one pipeline, ``choice`` with native tools, or a timeout that is
                not a finite number above 0.
            TypeError: A tool cannot be described to a model, or the timeout is not a
                number.
        """
        policy = ToolPolicy(force, attempt_recovery, drop_dialog, max_rounds)
        use_tools(
            self,
            tools,
            mode=mode,
            max_depth=max_depth,
            choice=choice,
            policy=policy,
            inject_prompt=inject_prompt,
            timeout=timeout,
        )
        return self

    def using_api_tools(
        self, *tools: t.Any, choice: ToolChoice | None = None, timeout: float | None = None
    ) -> Self:
        """`using` with the provider's function calling (``mode="api"``).

        Args:
            *tools: The tools.
            choice: The provider's ``tool_choice``.
            timeout: Most seconds one tool call may take (None: no limit); an async tool
                past it is cancelled and answered with an error, a sync tool cannot be
                interrupted (see `using`).

        Returns:
            The pipeline.
        """
        return self.using(*tools, choice=choice, mode="api", timeout=timeout)

    def using_native_tools(
        self,
        *tools: t.Any,
        force: bool = False,
        attempt_recovery: bool = True,
        drop_dialog: bool = False,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
        inject_prompt: bool | None = None,
        timeout: float | None = None,
    ) -> Self:
        """`using` with tools described in the prompt and called as XML (``mode="native"``).

        Args:
            *tools: The tools.
            force: The model must call a tool at least once.
            attempt_recovery: Answer malformed calls with the error (else regenerate).
            drop_dialog: Drop failed turns from the chat once the model recovered.
            max_rounds: Most failed tool turns per chat.
            inject_prompt: Describe the tools in the system prompt (default True).
            timeout: Most seconds one tool call may take (None: no limit); an async tool
                past it is cancelled and answered with an error, a sync tool cannot be
                interrupted (see `using`).

        Returns:
            The pipeline.
        """
        return self.using(
            *tools,
            force=force,
            attempt_recovery=attempt_recovery,
            drop_dialog=drop_dialog,
            max_rounds=max_rounds,
            inject_prompt=inject_prompt,
            mode="native",
            timeout=timeout,
        )


def _deprecated(name: str, instead: str) -> None:
    warnings.warn(
        f"ChatPipeline.{name}() is deprecated; use {instead} instead",
        DeprecationWarning,
        stacklevel=3,
    )


def _as_parts(message: Message) -> list[Content]:
    """The content of `message` as a list of parts (text content as one text part)."""
    content = message.all_content
    if isinstance(content, str):
        return [ContentText(text=content)]
    return list(content)
