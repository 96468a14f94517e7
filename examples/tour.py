"""A tour of rigging: a chat, a typed prompt, parsing with recovery, a tool, a fork, a batch.

Run it with ``python examples/tour.py``. It uses the generator named by ``--generator`` or
the ``RIGGING_GENERATOR`` environment variable (any LiteLLM model id such as
``gpt-4o-mini``; the provider's key comes from its usual environment variable). With
neither, it runs offline on rigging's scripted test generator, whose canned answers follow
the tour, and it says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Annotated

import rigging as rg
from rigging.generator.testing import ScriptedGenerator

# Canned answers, in the order the tour asks (one per generated message).
SCRIPT = [
    # 1. a chat
    "Arr, hello there, matey!",
    # 2. a prompt with a typed output
    "<capital>Paris</capital>",
    # 3. a model parsed with recovery: the first answer misses the tag, the second has it
    "The Eiffel Tower grows in summer.",
    "<fun-fact>The Eiffel Tower is about 15 cm taller in summer.</fun-fact>",
    # 4. a tool call (native tool syntax: the scripted generator has no tool API)
    '<tool-call name="add_numbers">{"x": 1337, "y": 42}</tool-call>',
    "1337 + 42 equals 1379.",
    # 5. a fork: two continuations of the chat from step 1
    "Ahoy! The sea be calm today.",
    "Aye, me parrot be named Polly.",
    # 6. a batch
    "Bonjour",
    "Hola",
    "Hallo",
]


class FunFact(rg.Model):
    """A fun fact (its text between <fun-fact> tags)."""

    fact: str


def add_numbers(x: float, y: float) -> float:
    """Add two numbers.

    Args:
        x: The first number.
        y: The second number.
    """
    return x + y


def pick_generator(argv: list[str]) -> tuple[rg.Generator, str]:
    """The generator to use, and a sentence saying which one it is."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", help="a generator id, e.g. gpt-4o-mini")
    args = parser.parse_args(argv)
    identifier = args.generator or os.environ.get("RIGGING_GENERATOR")
    if identifier:
        generator = rg.get_generator(identifier)
        return generator, f"Using generator {generator.to_identifier()}."
    offline = ScriptedGenerator(responses=list(SCRIPT))
    return offline, (
        "No --generator or RIGGING_GENERATOR set: using rigging's offline scripted "
        "generator (canned answers, no network)."
    )


def section(title: str) -> None:
    """Print a section heading."""
    print(f"\n== {title} " + "=" * max(0, 60 - len(title)))


async def tour(generator: rg.Generator) -> None:
    """Walk through the features, printing transcripts and parsed objects."""
    section("chat")
    chat = await generator.chat(
        [
            {"role": "system", "content": "Talk like a pirate."},
            {"role": "user", "content": "Say hello!"},
        ]
    ).run()
    print(chat.conversation)

    section("prompt with a typed output")

    @generator.prompt
    async def capital_of(country: str) -> Annotated[str, rg.Ctx("capital")]:
        """What is the capital of {{ country }}?"""

    print("rendered prompt:\n" + capital_of.render("France"))
    print("parsed result:", repr(await capital_of("France")))

    section("recovery: a model parsed after one more round")
    facts = await (
        generator.chat("Tell me a fun fact about the Eiffel Tower in <fun-fact> tags.")
        .until_parsed_as(FunFact, attempt_recovery=True, drop_dialog=False)
        .run()
    )
    print(facts.conversation)
    print("parsed:", repr(facts.last.parse(FunFact)))

    section("tool call")
    tooled = await generator.chat("What is 1337 + 42?").using(add_numbers).run()
    # (the system message describing the tools is left out for brevity)
    print("\n\n".join(str(m) for m in tooled.all if m.role != "system"))

    section("fork")
    for question in ("How is the sea today?", "What is your parrot called?"):
        forked = await chat.continue_(question).run()
        print("\n\n".join(str(m) for m in forked.all[-2:]))

    section("batch")
    batch = await generator.chat(
        [{"role": "system", "content": "Answer with one word."}]
    ).run_batch(["Say hello in French.", "Say hello in Spanish.", "Say hello in German."])
    for item in batch:
        print(f"{item.messages[-1].content!r} -> {item.last.content!r}")


def main(argv: list[str] | None = None) -> int:
    """Run the tour."""
    generator, note = pick_generator(sys.argv[1:] if argv is None else argv)
    print(f"rigging {rg.__version__}. {note}")
    asyncio.run(tour(generator))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
