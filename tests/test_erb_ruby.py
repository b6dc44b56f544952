"""dockmig's static ERB rendering against Ruby's own ERB, as Kamal runs it.

Templates are built at random from the pieces deploy files use: text,
`<%= %>` with the expressions dockmig evaluates (ENV lookups, fetch with a
default, `||`, interpolation, the string methods), comments, control lines
and trim markers. Ruby renders each with `ERB.new(text, trim_mode: "-")`
under the same environment. Where dockmig says a template is static (no
masked tag, nothing effectful, no problem), its text must be Ruby's; where
it says Kamal fails for certain, Ruby must fail too.
"""

from __future__ import annotations

import json
import random

from dockmig import erb
from tests.ruby import ruby_lines

ENVIRONMENT = {
    "APP_HOST": "app.example.com",
    "PADDED": "  x  ",
    "EMPTY": "",
    "QUOTE": 'a"b',
    "NUMBER": "42",
    "LINES": "x\n\n",
    "RETURN": "x\r",
    "NBSP": "\u00a0x\u00a0",
    "MIXED": "Straße İstanbul",
}
EXPRESSIONS = [
    'ENV["APP_HOST"]', "ENV['PADDED']", 'ENV.fetch("APP_HOST")',
    'ENV.fetch("MISSING", "fb")', 'ENV["MISSING"]', 'ENV["MISSING"] || "d"',
    'ENV["EMPTY"] || "d"', 'ENV["PADDED"].strip', '"#{ENV["NUMBER"]}:1"', "'lit'",
    '"q\\"x"', "nil", "(ENV['QUOTE'])", 'ENV.fetch("EMPTY", "z")', "ENV.fetch('NUMBER')",
    '"#{ENV.fetch("MISSING", "m")}"', "ENV['MIXED'].upcase", "ENV['MIXED'].downcase",
    "ENV['MISSING'].to_s", "ENV['MISSING'].strip", "ENV['LINES'].chomp",
    "ENV['RETURN'].chomp", "ENV['NBSP'].strip", "ENV['LINES'].strip.upcase",
    'ENV.fetch("MISSING")', "ENV['MISSING'].to_s.strip",
]  # fmt: skip
TEXTS = ["a: ", "\n", "  ", "x", "-", "#", "%", "<%%", "%>", " b: c\n", "'", '"', "\t"]
RUBY = """
require "erb"
require "json"
ENV.clear
JSON.parse(ARGV[0]).each { |name, value| ENV[name] = value }
STDIN.read.split("\\0", -1).each do |template|
  begin
    puts JSON.generate(["ok", ERB.new(template, trim_mode: "-").result(binding)])
  rescue StandardError, ScriptError => error
    puts JSON.generate(["error", error.class.name])
  end
end
"""


def _templates(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    templates = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 7)):
            roll = rng.random()
            if roll < 0.45:
                parts.append(rng.choice(TEXTS))
            elif roll < 0.8:
                opener = rng.choice(["<%= ", "<%=", "<%=  "])
                closer = rng.choice([" %>", "%>", " -%>"])
                parts.append(opener + rng.choice(EXPRESSIONS) + closer)
            elif roll < 0.9:
                parts.append(f"<%# note {rng.choice(EXPRESSIONS)} %>")
            else:
                opener = rng.choice(["<%- ", "<% "])
                parts.append(opener + "x = 1" + rng.choice([" -%>", " %>"]))
        templates.append("".join(parts))
    return templates


def _ruby(templates: list[str]) -> list[tuple[str, str]]:
    lines = ruby_lines(
        RUBY,
        templates,
        args=(json.dumps(ENVIRONMENT),),
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    return [tuple(json.loads(line)) for line in lines]


def test_static_rendering_is_rubys_and_certain_failures_are_rubys() -> None:
    templates = _templates(20261204, 4000)
    disagreements = []
    for template, (kind, ruby) in zip(templates, _ruby(templates), strict=True):
        rendered = erb.render(template, ENVIRONMENT)
        static = not (rendered.opaque or rendered.effectful or rendered.problems)
        certain = [p.message for p in rendered.problems if p.certain]
        if kind == "ok" and static and rendered.text != ruby:
            disagreements.append((template, "renders", rendered.text, ruby))
        elif kind == "error" and static:
            disagreements.append(
                (template, "renders, Ruby raises", rendered.text, ruby)
            )
        elif kind == "ok" and certain:
            disagreements.append((template, "fails for certain", certain, ruby))
    assert not disagreements, disagreements[:10]


def test_the_templates_reach_every_verdict() -> None:
    # The comparison above means something only if all three cases occur.
    templates = _templates(20261204, 4000)
    kinds = set()
    for template, (kind, _ruby_text) in zip(templates, _ruby(templates), strict=True):
        rendered = erb.render(template, ENVIRONMENT)
        static = not (rendered.opaque or rendered.effectful or rendered.problems)
        kinds.add((kind, static))
    assert {("ok", True), ("error", False)} <= kinds
