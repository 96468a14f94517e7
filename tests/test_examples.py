"""Seed snippets (Prompts, Tools, Tools + Prompts, Parsing with Prompts) run unchanged.

Each snippet is the seed page's code, byte for byte, executed inside an async function (the
seed uses top-level ``await``). The default provider is swapped for a scripted generator
(see ``_scripted.py``), so model ids such as ``gpt-4o`` resolve offline; each test asserts
on what was sent and what came back. The README's run command is executed too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from _scripted import Call, ScriptedChat
from _scripted import scripted as scripted  # fixture

import rigging as rg

ROOT = Path(__file__).resolve().parent.parent


async def run_snippet(code: str) -> dict[str, Any]:
    """Execute `code` as the body of an async function; return its locals."""
    body = textwrap.indent(textwrap.dedent(code), "    ")
    source = f"async def __snippet__():\n{body}\n    return locals()\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, "<seed>", "exec", dont_inherit=True), namespace)
    result: dict[str, Any] = await namespace["__snippet__"]()
    return result


HOME = '''
import rigging as rg

@rg.prompt(generator_id="gpt-4")
async def get_authors(count: int = 3) -> list[str]:
    """Provide famous authors."""

print(await get_authors())

# ['William Shakespeare', 'J.K. Rowling', 'Jane Austen']
'''


async def test_home_snippet(
    scripted: type[ScriptedChat], capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.script = [
        "<str>William Shakespeare</str>\n<str>J.K. Rowling</str>\n<str>Jane Austen</str>"
    ]
    await run_snippet(HOME)
    assert capsys.readouterr().out == "['William Shakespeare', 'J.K. Rowling', 'Jane Austen']\n"
    (seen,) = scripted.seen
    assert seen.model == "gpt-4"
    assert [m.role for m in seen.messages] == ["user"]
    assert seen.messages[0].content == (
        "Provide famous authors.\n\n<count>3</count>\n\n"
        "Produce the following output for each item (use xml tags):\n\n<str></str>\n"
    )


PROMPT_FROM_ID = '''
import rigging as rg

@rg.prompt(generator_id="claude-3-sonnet-20240229")
async def say_hello(name: str) -> rg.Chat:
    """Say hello to {{ name }}"""

chat = await say_hello("Harry")
'''

PROMPT_FROM_GENERATOR = '''
import rigging as rg

generator = rg.get_generator("claude-3-sonnet-20240229")

@generator.prompt
async def say_hello(name: str) -> rg.Chat:
    """Say hello to {{ name }}"""

chat = await say_hello("Harry")
'''

PROMPT_FROM_PIPELINE = '''
import rigging as rg

generator = rg.get_generator("claude-3-sonnet-20240229")
pipeline = generator.chat([
    {"role": "system", "content": "Talk like a pirate."}
])

@pipeline.prompt
async def say_hello(name: str) -> rg.Chat:
    """Say hello to {{ name }}"""

chat = await say_hello("Harry")
'''


@pytest.mark.parametrize(
    ("code", "roles"),
    [
        (PROMPT_FROM_ID, ["user"]),
        (PROMPT_FROM_GENERATOR, ["user"]),
        (PROMPT_FROM_PIPELINE, ["system", "user"]),
    ],
    ids=["from-id", "from-generator", "from-pipeline"],
)
async def test_prompt_snippets(scripted: type[ScriptedChat], code: str, roles: list[str]) -> None:
    scripted.script = ["Hello, Harry!"]
    found = await run_snippet(code)
    chat = found["chat"]
    assert isinstance(chat, rg.Chat)
    assert chat.last.content == "Hello, Harry!"
    (seen,) = scripted.seen
    assert seen.model == "claude-3-sonnet-20240229"
    assert [m.role for m in seen.messages] == roles
    assert seen.messages[-1].content == "Say hello to Harry\n"
    if "system" in roles:
        assert seen.messages[0].content == "Talk like a pirate."


TOOLS = """
import rigging as rg

def add_numbers(x: float, y: float) -> float:
    return x + y

chat = (
    await\x20
    rg.get_generator("gpt-4o-mini")
    .chat("What is 1337 + 42?")
    .using(add_numbers)
    .run()
)

print(chat.conversation)
"""


async def test_tools_snippet(
    scripted: type[ScriptedChat], capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.script = [
        Call("add_numbers", {"x": 1337, "y": 42}, id="call_1"),
        "1337 + 42 equals 1379.",
    ]
    found = await run_snippet(TOOLS)
    chat = found["chat"]
    assert capsys.readouterr().out == (
        "[user]: What is 1337 + 42?\n\n"
        "[assistant]: \n"
        ' |- <ToolCall add_numbers({"x": 1337, "y": 42})>\n\n'
        "[tool]: 1379.0\n\n"
        "[assistant]: 1337 + 42 equals 1379.\n"
    )
    tool_message = chat.messages[-1]
    assert (tool_message.role, tool_message.tool_call_id) == ("tool", "call_1")
    first, second = scripted.seen
    (definition,) = first.params.tools or []
    assert definition.function.name == "add_numbers"
    assert definition.function.parameters == {
        "type": "object",
        "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
        "required": ["x", "y"],
        "additionalProperties": False,
    }
    assert [m.role for m in second.messages] == ["user", "assistant", "tool"]
    assert [m.content for m in chat.generated] == ["1337 + 42 equals 1379."]


TOOLS_AND_PROMPTS = '''
import rigging as rg
from typing import Annotated

Joke = Annotated[str, rg.Ctx("joke")]

@rg.prompt(generator_id="gpt-4o-mini")
async def generate_jokes(count: int) -> list[Joke]:
    "Write {{count}} short hilarious jokes."


@rg.prompt(generator_id="gpt-4o", tools=[generate_jokes])
async def write_joke() -> Joke:
    """
    Generate some jokes, then choose the best.
    You must return just a single joke.
    """

joke = await write_joke()
'''


async def test_tools_and_prompts_snippet(scripted: type[ScriptedChat]) -> None:
    scripted.script = [
        Call("generate_jokes", {"count": 2}),
        "<joke>Why did the chicken cross?</joke>\n<joke>Atoms make up everything.</joke>",
        "The best one:\n<joke>Atoms make up everything.</joke>",
    ]
    found = await run_snippet(TOOLS_AND_PROMPTS)
    assert found["joke"] == "Atoms make up everything."
    outer, inner, final = scripted.seen
    assert (outer.model, inner.model, final.model) == ("gpt-4o", "gpt-4o-mini", "gpt-4o")
    assert outer.messages[0].content == (
        "Generate some jokes, then choose the best.\nYou must return just a single joke.\n\n"
        "Produce the following output (use xml tags):\n\n<joke></joke>\n"
    )
    (tool,) = outer.params.tools or []
    assert tool.function.name == "generate_jokes"
    assert tool.function.parameters is not None
    assert tool.function.parameters["properties"] == {"count": {"type": "integer"}}
    assert inner.messages[0].content.startswith("Write 2 short hilarious jokes.\n")
    assert final.messages[-1].role == "tool"
    assert final.messages[-1].content == (
        "['Why did the chicken cross?', 'Atoms make up everything.']"
    )


PARSING_MANY = '''
import rigging as rg

class FunFact(rg.Model):
    fact: str

@rg.prompt(generator_id="gpt-3.5-turbo")
def get_fun_fact() -> FunFact:
    """Provide a fun fact."""

fun_facts = await get_fun_fact.run_many(3)
'''

PARSING_INLINE = '''
import rigging as rg

class FunFact(rg.Model):
    fact: str

@rg.prompt(generator_id="gpt-3.5-turbo")
def get_fun_facts(count: int = 3) -> list[FunFact]:
    """Provide fun facts."""

fun_facts = await get_fun_facts()
'''

FACT = "<fun-fact>{}</fun-fact>"  # a one-field model is simple: its text is the field


async def test_parsing_with_prompts_many(scripted: type[ScriptedChat]) -> None:
    scripted.script = [FACT.format(f"fact {i}") for i in range(3)]
    found = await run_snippet(PARSING_MANY)
    facts = found["fun_facts"]
    assert [type(f).__name__ for f in facts] == ["FunFact"] * 3
    assert [f.fact for f in facts] == ["fact 0", "fact 1", "fact 2"]
    assert scripted.seen[0].messages[0].content == (
        "Provide a fun fact.\n\nProduce the following output (use xml tags):\n\n"
        "<fun-fact></fun-fact>\n"
    )


async def test_parsing_with_prompts_inline(scripted: type[ScriptedChat]) -> None:
    scripted.script = ["Here:\n" + "\n".join(FACT.format(f"fact {i}") for i in range(3))]
    found = await run_snippet(PARSING_INLINE)
    assert [f.fact for f in found["fun_facts"]] == ["fact 0", "fact 1", "fact 2"]
    assert "<count>3</count>" in scripted.seen[0].messages[0].content
    assert "for each item" in scripted.seen[0].messages[0].content


def _run_tour(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RIGGING_GENERATOR"}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tour.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_readme_tour_runs_offline() -> None:
    assert "python examples/tour.py" in (ROOT / "README.md").read_text()
    done = _run_tour({})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "offline scripted generator" in out
    for heading in ("chat", "prompt", "recovery", "tool", "fork", "batch"):
        assert f"== {heading}" in out
    assert "Joke(" not in out
    assert "add_numbers" in out
    assert done.stderr == ""


def test_tour_names_the_generator_it_was_told_to_use() -> None:
    done = _run_tour({}, "--generator", "bogus!model")
    assert done.returncode != 0
    assert "bogus" in done.stderr
    assert "unknown provider" in done.stderr


def test_readme_python_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = readme.split("```python\n")[1:]
    assert blocks, "the README has a python example"
    for block in blocks:
        code = block.split("\n```", 1)[0]
        exec(compile(code, "<README>", "exec", dont_inherit=True), {"__name__": "readme"})
    assert capsys.readouterr().out == "Honey never spoils.\n"
