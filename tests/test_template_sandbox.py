"""No code runs from template text: prompts and HTTP specs render in an immutable sandbox,
`make_prompt` text is used verbatim. Each known sandbox-escape payload is refused with a
`SecurityError` (or a `ProcessingError` naming it) and has no side effect."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

import rigging as rg
from rigging.error import ProcessingError
from rigging.generator.http import HTTPSpec, RequestTransformContext
from rigging.prompt import make_prompt


class Target:
    """What a hostile template gets to poke at (a `request`-style object)."""

    def __init__(self) -> None:
        self.items: list[int] = [1]
        self.data: dict[str, int] = {"a": 1}
        self.gen = (i for i in range(3))

    def application(self) -> str:
        return "app"


def _payloads(marker: Path) -> dict[str, str]:
    touch = f"popen('touch {marker}').read()"
    return {
        "cycler": f"{{{{ cycler.__init__.__globals__.os.{touch} }}}}",
        "joiner": f"{{{{ joiner.__init__.__globals__.os.{touch} }}}}",
        "namespace": f"{{{{ namespace.__init__.__globals__.os.{touch} }}}}",
        "lipsum": f"{{{{ lipsum.__globals__['os'].{touch} }}}}",
        "lipsum-builtins": f"{{{{ lipsum.__globals__.__builtins__.open('{marker}', 'w') }}}}",
        "range-globals": f"{{{{ range.__globals__.os.{touch} }}}}",
        "subclasses-str": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "subclasses-tuple": "{{ ().__class__.__base__.__subclasses__() }}",
        "self-init": f"{{{{ self.__init__.__globals__.__builtins__.open('{marker}', 'w') }}}}",
        "self-private": "{{ self._TemplateReference__context }}",
        "function-globals": f"{{{{ obj.application.__globals__.os.{touch} }}}}",
        "method-func": "{{ obj.application.__func__.__code__ }}",
        "request-application": "{{ obj.application.__self__.__class__ }}",
        "object-init": f"{{{{ obj.__init__.__globals__.os.{touch} }}}}",
        "object-dict": "{{ obj.__dict__ }}",
        "attr-filter": "{{ (obj|attr('__class__')).__mro__ }}",
        "format-field": "{{ '{0.__class__.__mro__}'.format(obj) }}",
        "format-globals": "{{ '{0.__globals__}'.format(obj.application) }}",
        "format-map": "{{ '{x.__class__}'.format_map({'x': obj}) }}",
        "generator-frame": "{{ obj.gen.gi_frame.f_globals }}",
        "list-mutation": "{{ obj.items.append(2) }}",
        "dict-mutation": "{{ obj.data.update({'b': 2}) }}",
        "huge-repeat": "{{ 'a' * 10000000000 }}",
        "huge-power": "{{ 2 ** 100000000 }}",
        "huge-percent": "{{ '%9999999999s' % 'a' }}",
        "huge-star-width": "{{ '%*s' % (10000000000, 'a') }}",
        "huge-format-width": "{{ '{:>9999999999}'.format(1) }}",
        "argument-format-width": "{{ '{:{w}}'.format(1, w=10000000000) }}",
        "huge-format-map": "{{ '{x:>9999999999}'.format_map({'x': 1}) }}",
        "huge-format-filter": "{{ '%9999999999s'|format('a') }}",
        "huge-ljust": "{{ 'a'.ljust(10000000000) }}",
        "huge-zfill": "{{ 'a'.zfill(10000000000) }}",
        "huge-center-filter": "{{ 'a'|center(10000000000) }}",
        "huge-indent-filter": "{{ 'a\nb'|indent(10000000000) }}",
    }


def _prompt_for(template: str) -> t.Any:
    def hostile(obj: t.Any) -> str: ...

    hostile.__doc__ = template + "{% if obj %}{% endif %}"  # every template reads `obj`
    return rg.prompt(hostile)


def test_prompt_docstrings_refuse_every_escape(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payloads = _payloads(marker)
    for name, template in payloads.items():
        target = Target()
        with pytest.raises(SecurityError, match=r"prompt hostile\(\): template refused") as got:
            _prompt_for(template).render(target)
        assert isinstance(got.value.__cause__, SecurityError), name
        assert not marker.exists(), name
        assert target.items == [1], name
        assert target.data == {"a": 1}, name
    assert len(payloads) == 34


def test_prompt_docstrings_still_render_normal_templates() -> None:
    def ask(name: str, count: int) -> str:
        """{% for i in range(count) %}{{ name | upper }}-{{ i }} {% endfor %}{{ '%s!' % name }}
        {{ '{0}?'.format(name) }} {{ 'ab' * 3 }} {{ 2 ** 10 }} {{ '%-4s|' % name }}
        {{ '{:>3}'.format(count) }} {{ name|center(5) }} {{ 'x'.ljust(3) }}| {{ 7 % 4 }}"""

    rendered = rg.prompt(ask).render("x", 2)
    assert rendered.startswith("X-0 X-1 x!\nx? ababab 1024 x   |\n  2   x   x  | 3\n")


def test_make_prompt_uses_its_text_verbatim(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for name, template in _payloads(marker).items():
        text = make_prompt(template).render()
        assert text.startswith(template + "\n"), name
        assert not marker.exists(), name
    assert make_prompt("{{ undefined }} {% if %}").render().startswith("{{ undefined }} {% if %}")


def _ctx() -> RequestTransformContext:
    return RequestTransformContext(
        role="user",
        content="hi",
        all_content="hi",
        messages=[{"role": "user", "content": "hi"}],
        params={"temperature": 0.5},
        model="m",
    )


def _spec(pattern: str) -> HTTPSpec:
    return HTTPSpec.model_validate(
        {
            "request": {
                "url": "http://127.0.0.1:1/x",
                "headers": {"X-Test": pattern},
                "transforms": [{"type": "jinja", "pattern": pattern}],
            },
            "response": {  # the response template sees the parsed body as `data`
                "transforms": [
                    {
                        "type": "jinja",
                        "pattern": pattern.replace("messages", "data").replace("params", "data[0]"),
                    }
                ]
            },
        }
    )


def test_http_spec_templates_refuse_every_escape(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payloads = {name: text for name, text in _payloads(marker).items() if "obj" not in text}
    payloads["list-mutation"] = "{{ messages.append(2) }}"
    payloads["dict-mutation"] = "{{ params.update({'temperature': 9}) }}"
    payloads["format-field"] = "{{ '{0.__class__.__mro__}'.format(messages) }}"
    assert len(payloads) == 25
    for name, template in payloads.items():
        spec = _spec(template)
        calls: list[t.Callable[[], object]] = [
            lambda spec=spec: spec.make_request_body(_ctx()),
            lambda spec=spec: spec.make_headers(_ctx()),
            lambda spec=spec: spec.parse_response_body('[{"temperature": 1}]'),
        ]
        for call in calls:
            with pytest.raises(ProcessingError, match=r"unsafe|refused|not safely callable"):
                call()
        assert not marker.exists(), name
