# mypy: disable-error-code="empty-body"
"""A user's program typed with rigging: `mypy --strict` must accept all of it but one line.

tests/test_typing.py runs mypy on this file; the call marked ``REJECTED`` must be the only
error. Nothing here runs. A prompt function's body is only its docstring, which mypy reports
as ``empty-body`` unless that code is disabled, as on the first line.
"""

from __future__ import annotations

from typing_extensions import assert_type, reveal_type

import rigging as rg


@rg.prompt
async def summarize(text: str, limit: int = 3) -> str:
    """Summarize {{ text }} in at most {{ limit }} sentences."""


@rg.prompt
def count_words(text: str) -> int:
    """Count the words."""


@rg.prompt(generator_id="openai/gpt-4o-mini", system_prompt="Be brief.")
async def keywords(text: str) -> list[str]:
    """List the keywords."""


@rg.prompt(generator_id="openai/gpt-4o-mini")
def as_chat(question: str) -> rg.Chat:
    """Answer."""


class Assistant:
    """Methods decorated as prompts take the instance like any method."""

    @rg.prompt
    async def reply(self, question: str) -> list[int]:
        """Answer with numbers."""


def takes(prompt: rg.Prompt[[str, int], str]) -> None:
    """Accepts a prompt of exactly this shape."""


async def main(generator: rg.Generator, pipeline: rg.ChatPipeline) -> None:
    reveal_type(summarize)  # REVEALED
    takes(summarize)
    takes(summarize.clone())
    assert_type(await summarize("text"), str)
    assert_type(await summarize.run("text", limit=2), str)
    assert_type(await summarize.run_many(3, "text"), list[str])
    assert_type(await summarize.run_over(["openai/gpt-4o"], "text"), list[str])
    assert_type(await summarize.bind(generator)("text"), str)
    assert_type(await summarize.bind_many(pipeline)(2, "text", limit=1), list[str])
    assert_type(await summarize.bind_over(pipeline)([generator], "text"), list[str])
    takes(summarize.with_(temperature=0.2).set_(max_rounds=1).watch())
    assert_type(summarize.render("text"), str)
    assert_type(await count_words("a b c"), int)
    assert_type(await keywords("text"), list[str])
    assert_type(await as_chat("why?"), rg.Chat)
    assert_type(await Assistant().reply("how many?"), list[int])
    assert_type(await Assistant.reply(Assistant(), "how many?"), list[int])
    assert_type(await rg.make_prompt("Say hello.")(), str)
    assert_type(await rg.make_prompt("Pick a number.", int)(), int)

    @generator.prompt
    async def title(text: str) -> str:
        """Give a title."""

    @pipeline.prompt
    def score(text: str) -> float:
        """Score it."""

    assert_type(await title("text"), str)
    assert_type(await score("text"), float)
    assert_type(await pipeline.run_prompt(count_words, "a b"), int)

    async def tag(chat: rg.Chat) -> rg.Chat | None:
        chat.meta(seen=True)
        return None

    async def keep_ok(chats: list[rg.Chat]) -> list[rg.Chat]:
        return [chat for chat in chats if not chat.failed]

    async def log(completions: list[rg.Completion]) -> None:
        print(len(completions))

    assert_type(
        pipeline.then(tag).map(keep_ok).watch(rg.watchers.write_chats_to_jsonl("a")),
        rg.ChatPipeline,
    )
    assert_type(generator.complete("x").watch(log), rg.CompletionPipeline)
    stream = rg.stream.ModelStream(rg.model.Answer)
    assert_type([found.model for found in stream.feed("<answer>4</answer>")], list[rg.model.Answer])
    await summarize(text=3)  # REJECTED: an int where the function takes str
