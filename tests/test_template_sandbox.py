# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""No code runs from template text: prompts and HTTP specs render in an immutable sandbox,
`make_prompt` text is used verbatim. Each known sandbox-escape payload is refused with a
`SecurityError` (or a `ProcessingError` naming it) and has no side effect."""

from __future__ import annotations

import typing as t
from pathlib import Path

import jinja2
import pytest
from jinja2.exceptions import SecurityError

import rigging as rg
from rigging._sandbox import environment
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
        if name.startswith("self-"):  # jinja's own `self`: refused at decoration already
            with pytest.raises(ValueError, match=r"prompt hostile\(\): docstring uses `self`"):
                _prompt_for(template)
            continue
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
        # mypy cannot type a lambda with a default argument against a no-argument callable.
        calls: list[t.Callable[[], object]] = [
            lambda spec=spec: spec.make_request_body(_ctx()),  # type: ignore[misc]
            lambda spec=spec: spec.make_headers(_ctx()),  # type: ignore[misc]
            lambda spec=spec: spec.parse_response_body('[{"temperature": 1}]'),  # type: ignore[misc]
        ]
        for call in calls:
            with pytest.raises(ProcessingError, match=r"unsafe|refused|not safely callable"):
                call()
        assert not marker.exists(), name


# Template text that would run for hours or build terabytes: each is refused within the render's
# budget (steps, characters), whichever operation it uses to amplify.
_EXHAUSTING = {
    "nested-range": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}"
    "{% endfor %}",
    "nested-string": "{% set s = 'a' * 1000000 %}{% for a in s %}{% for b in s %}{% endfor %}"
    "{% endfor %}",
    "macro-fork": "{% macro m(n) %}{% if n %}{{ m(n-1) }}{{ m(n-1) }}{% endif %}{% endmacro %}"
    "{{ m(40) }}",
    "recursive-loop": "{% for x in [1] recursive %}{{ loop(range(100000)) }}{% endfor %}",
    "recursive-macro": "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "tilde-doubling": "{% set ns = namespace(x='ab') %}{% for i in range(60) %}"
    "{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x|length }}",
    "plus-doubling": "{% set ns = namespace(x='ab') %}{% for i in range(60) %}"
    "{% set ns.x = ns.x + ns.x %}{% endfor %}{{ ns.x|length }}",
    "list-plus-doubling": "{% set ns = namespace(x=[1]) %}{% for i in range(60) %}"
    "{% set ns.x = ns.x + ns.x %}{% endfor %}{{ ns.x|length }}",
    "join": "{{ (['x' * 1000000] * 1000000)|join }}",
    "str-join": "{{ ''.join(['x' * 1000000] * 1000000) }}",
    "join-attribute": "{{ ([{'a': 'x' * 1000000}] * 1000000)|join(attribute='a') }}",
    "replace": "{{ ('a' * 1000000)|replace('', 'b' * 1000000) }}",
    "str-replace": "{{ ('a' * 1000000).replace('', 'b' * 1000000) }}",
    "translate": "{{ ('a' * 1000000).translate({97: 'b' * 1000000}) }}",
    "wordwrap": "{{ ('a ' * 500000)|wordwrap(1, wrapstring='x' * 1000000) }}",
    "indent-text": "{{ ('\\n' * 1000000)|indent('x' * 1000000) }}",
    "batch-fill": "{{ [1]|batch(10000000000, 0)|list|length }}",
    "slice-count": "{{ [1]|slice(10000000000)|list|length }}",
    "lipsum": "{{ lipsum(1000000000) }}",
    "print-shared-list": "{% set a = ['x' * 1000] * 1000 %}{% set b = [a] * 1000 %}{{ b }}",
    "literal-nesting": "{% set a = ['xxxxxxxxxx'] * 10 %}{% set b = [a,a,a,a,a,a,a,a,a,a] %}"
    "{% set c = [b,b,b,b,b,b,b,b,b,b] %}{% set d = [c,c,c,c,c,c,c,c,c,c] %}"
    "{% set e = [d,d,d,d,d,d,d,d,d,d] %}{% set f = [e,e,e,e,e,e,e,e,e,e] %}"
    "{% set g = [f,f,f,f,f,f,f,f,f,f] %}{{ g|string|length }}",
    "tojson-indent": "{% set a = [1] * 1000000 %}{{ a|tojson(indent=1000) }}",
    "sum-of-lists": "{{ ([[1] * 1000] * 1000)|sum(start=[])|length }}",
    "output-loop": "{% set s = 'x' * 1000000 %}{% for i in range(100000) %}{{ s }}{% endfor %}",
    "percent-list": "{% set a = ['x' * 1000] * 1000 %}{% set b = [a] * 1000 %}{{ '%s' % (b,) }}",
    "format-list": "{% set a = ['x' * 1000] * 1000 %}{% set b = [a] * 1000 %}{{ '{}'.format(b) }}",
    "deep-nesting": "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}"
    "{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}",
    # each operation within its own limit, many of them past the render's total
    "map-padding": "{{ (['x'] * 999999)|map('center', 999999)|join|length }}",
    "loop-padding": "{% for i in range(1000) %}{{ (i|string)|center(999999)|length }}{% endfor %}",
    "loop-multiply": "{% for i in range(1000) %}{{ ('x' * 999999)|length }}{% endfor %}",
    "loop-method": "{% for i in range(1000) %}{{ 'x'.ljust(999999)|length }}{% endfor %}",
}


@pytest.mark.parametrize("name", sorted(_EXHAUSTING))
def test_prompt_docstrings_cannot_exhaust_time_or_memory(name: str) -> None:
    with pytest.raises(SecurityError, match=r"prompt hostile\(\): template refused") as got:
        _prompt_for(_EXHAUSTING[name]).render(Target())
    assert "refused" in str(got.value.__cause__)


@pytest.mark.parametrize("name", ["nested-range", "print-shared-list", "output-loop", "join"])
def test_http_spec_templates_cannot_exhaust_time_or_memory(name: str) -> None:
    with pytest.raises(ProcessingError, match=r"transforms\[0\] \(jinja\) failed: .*refused"):
        _spec(_EXHAUSTING[name]).make_request_body(_ctx())


def test_the_budget_is_per_render_and_leaves_real_templates_alone() -> None:
    def examples(items: list[dict[str, str]], document: str) -> str:
        """{% for item in items %}{% for key, value in item.items() %}{{ key }}={{ value ~ '' }}
        {% endfor %}{% endfor %}{{ document|replace('a', 'b')|wordwrap(80)|length }}
        {{ items[:2]|tojson(indent=2)|length }} {{ items|map(attribute='k0')|join(',')|length }}"""

    items = [{f"k{j}": f"value {i}.{j}" for j in range(20)} for i in range(2_000)]  # 40k steps
    fn = rg.prompt(examples)
    first = fn.render(items, "a " * 2_000_000)  # a 4 MB document passes through filters
    assert first == fn.render(items, "a " * 2_000_000)  # a second render has its own budget
    assert first.count("=value ") == 40_000


_SHARED = (  # two lists of 2**23 leaves each, built by doubling: a few steps, 40 MB as text
    "{% set ns = namespace(x='a', y='a') %}{% for i in range(23) %}"
    "{% set ns.x = [ns.x, ns.x] %}{% set ns.y = [ns.y, ns.y] %}{% endfor %}"
)
_SHARED_TUPLES = (
    "{% set ns = namespace(x='a') %}{% for i in range(23) %}{% set ns.x = (ns.x, ns.x) %}"
    "{% endfor %}"
)
_BIG_INT = "(('f' * 5000)|int(base=16))"  # 20,000 bits: one division takes milliseconds

# Operations whose result or work grows past a limit from small inputs. Each is refused before
# it runs: these sizes rendered (slowly, or after building tens of MB), and larger ones
# (a width of 10**10, 60 doublings) built gigabytes or ran for hours.
_PREDICTED = {
    "percent-mapping-width": "{{ ('%(a)2000000s' % {'a': 1})|length }}",
    "format-filter-mapping-width": "{{ '%(a)2000000s'|format(a=1)|length }}",
    "expandtabs-many-tabs": "{{ ('\\t' * 30).expandtabs(999999)|length }}",
    "bytes-expandtabs": "{{ ('\\t' * 30).encode().expandtabs(999999)|length }}",
    "bytes-replace": "{{ ('a' * 30).encode().replace(''.encode(), ('b' * 999999).encode())"
    "|length }}",
    "bytes-join": "{{ ('x' * 999999).encode().join(['a'.encode()] * 30)|length }}",
    "bytes-percent-width": "{{ ('%2000000s'.encode() % ('x'.encode(),))|length }}",
    "int-to-bytes": "{{ (1).to_bytes(2000000, 'big')|length }}",
    "indent-int-width-many-lines": "{{ ('a\\n' * 10000)|indent(100000)|length }}",
    "indent-keyword-width": "{{ ('a\\n' * 10000)|indent(width=100000, first=True)|length }}",
    "int-product": "{% set x = 2 ** 8000 %}{{ x * x > 0 }}",
    "int-floor-division": "{{ " + _BIG_INT + " // 3 > 0 }}",
    "int-modulo": "{{ " + _BIG_INT + " % 7 > 0 }}",
    "int-difference": "{{ " + _BIG_INT + " - 1 > 0 }}",
    "compare-equal": _SHARED + "{{ ns.x == ns.y }}",
    "compare-order": _SHARED + "{{ ns.x < ns.y }}",
    "compare-in": _SHARED + "{{ ns.x in [ns.y] }}",
    "test-eq": _SHARED + "{{ ns.x is eq ns.y }}",
    "dict-key-hash": _SHARED_TUPLES + "{{ {ns.x: 1} is mapping }}",
    "subscript-hash": _SHARED_TUPLES + "{{ {'a': 1}[ns.x] is defined }}",
}


@pytest.mark.parametrize("name", sorted(_PREDICTED))
def test_operations_are_refused_before_they_build_or_walk_too_much(name: str) -> None:
    with pytest.raises(SecurityError, match=r"prompt hostile\(\): template refused") as got:
        _prompt_for(_PREDICTED[name]).render(Target())
    cause = str(got.value.__cause__)
    assert "refused" in cause, cause
    assert "in all" not in cause, cause  # the total's check comes after an operation ran


def test_small_integers_widths_and_comparisons_still_render() -> None:
    def ok(obj: t.Any) -> str:
        """{{ '%(a)5s|' % {'a': 1} }}{{ ('\\t' * 3).expandtabs(4)|length }} {{ 2 ** 64 * 3 }}
        {{ (2 ** 100) // 7 % 5 }} {{ (1).to_bytes(4, 'big')|length }} {{ [1, [2]] == [1, [2]] }}
        {{ {(1, 2): 'p'}[(1, 2)] }} {{ 'a' in ['a'] }} {{ 3 is eq 3 }}{% if obj %}{% endif %}"""

    rendered = rg.prompt(ok).render(Target())
    assert rendered.startswith("    1|12 55340232221128654848\n2 4 True\np True True\n"), rendered


@pytest.mark.parametrize(
    "source",
    [
        '{{ "a\\nb"|indent }}',
        '{{ "a\\nb"|indent(2) }}',
        '{{ "a\\n\\nb"|indent(width=3, first=True, blank=True) }}',
        '{{ "a\\nb"|indent("--") }}',
        '{{ "ab"|center }}',
        '{{ "ab"|center(width=7) }}',
    ],
)
def test_bounded_filters_keep_jinja2_defaults(source: str) -> None:
    # `indent` without a width used to get `center`'s default of 80 spaces, not 4.
    expected = jinja2.Environment().from_string(source).render()
    assert environment().from_string(source).render() == expected


_BIG = "{% set big = ['x'] * 999999 %}"
_MILLION = "{% for a in range(1000) %}{% for b in range(1000) %}"  # 10**6 iterations
_END = "{% endfor %}{% endfor %}"

# One bounded operation repeated by nested loops: each costs a few ms, and 10**6 of them
# (within the step budget) ran for hours before: 10**6 x 999,999 elements compared is 10**12
# comparisons. Each is charged for its walk (32 units an element), so the render stops after
# about fifteen of them.
_COSTLY = {
    "equal-lists": _BIG + _MILLION + "{% if big == big %}{% endif %}" + _END,
    "in-list": _BIG + _MILLION + "{% if 'y' in big %}{% endif %}" + _END,
    "test-in": _BIG + _MILLION + "{% if 'y' is in big %}{% endif %}" + _END,
    "list-count": _BIG + _MILLION + "{{ big.count('y') }}" + _END,
}


@pytest.mark.parametrize("name", sorted(_COSTLY))
def test_repeated_costly_operations_are_charged_to_the_render(name: str) -> None:
    with pytest.raises(SecurityError, match=r"prompt hostile\(\): template refused") as got:
        _prompt_for(_COSTLY[name]).render(Target())
    assert "units of work in all; refused" in str(got.value.__cause__)


# Filters that walk their input in Python (a key function per item: ~0.2 us for `max`, ~1 us
# for `sort`, ~0.3 us a character for `wordwrap`) over 99,999 items, and divisions of an
# 8192-bit integer by a 4096-bit one (~20 us each): 10**6 of them (10**7 divisions) ran for
# hours. Charged by item (64 to 1024 units) or by the product of the bits, each template is
# refused after a few dozen operations; the total is cut to a fiftieth so the test stays fast
# (at the real total each stops within seconds).
_WALKERS = {
    "filter 'sort'": "{% set z = big|sort %}",
    "filter 'max'": "{% set z = big|max %}",
    "filter 'unique'": "{{ big|unique|list|length }}",
    "filter 'map'": "{{ big|map('upper')|list|length }}",
    "filter 'wordwrap'": "{{ text|wordwrap(80)|length }}",
    "template's '//'": "{% set q = n // m %}" * 10,
}


@pytest.mark.parametrize("name", sorted(_WALKERS))
def test_filters_and_arithmetic_are_charged_for_their_work(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rigging._sandbox_limits as limits

    monkeypatch.setattr(limits, "MAX_RENDER_WORK", 10_000_000, raising=False)
    template = (
        "{% set big = ['x'] * 99999 %}{% set text = 'x ' * 99999 %}"
        "{% set n = ('f' * 2048)|int(base=16) %}{% set m = ('f' * 1024)|int(base=16) %}"
        + _MILLION
        + _WALKERS[name]
        + _END
    )
    with pytest.raises(SecurityError, match=r"prompt hostile\(\): template refused") as got:
        _prompt_for(template).render(Target())
    assert f"the {name} took the template past" in str(got.value.__cause__)


def test_realistic_templates_fit_the_work_budget() -> None:
    def report(items: list[dict[str, t.Any]], tags: list[str]) -> str:
        """{% for item in items %}{% if item.tag in tags %}{{ item.name }},{% endif %}
        {% endfor %}{{ items|sort(attribute='name')|map(attribute='tag')|unique|join(' ')|length }}
        {{ items|max(attribute='score') == items|min(attribute='score') }} {{ tags|length }}
        {% for tag in tags[:300] %}{{ tag in tags }}{% endfor %}"""

    tags = [f"tag{i}" for i in range(3_000)]
    items = [{"name": f"n{i}", "tag": f"tag{i}", "score": i} for i in range(3_000)]
    rendered = rg.prompt(report).render(items, tags)
    assert rendered.count(",") == 3_000
    assert rendered.count("True") == 300
