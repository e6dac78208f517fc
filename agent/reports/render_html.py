"""HTML for reading in a browser: one self-contained file (charts as data: URIs), rendered
with Jinja2 under autoescape so stored text (messages, diffs, notes) can never inject markup."""

from __future__ import annotations

import base64

from jinja2 import Environment, select_autoescape

from agent.reports.document import BulletList, Chart, Document, Paragraph, Table

TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<title>{{ document.title }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.5; }
.cover { text-align: center; border-bottom: 2px solid #333; margin-bottom: 2rem;
         padding-bottom: 1.5rem; }
.cover h1 { font-size: 2rem; margin: 2rem 0 1.5rem; }
.cover table { margin: 0 auto; border: none; }
.cover th, .cover td { border: none; text-align: left; padding: .2rem 1rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; width: 100%; }
th, td { border: 1px solid #999; padding: .25rem .5rem; vertical-align: top; }
th { background: #e8eef5; }
caption { font-weight: bold; text-align: left; padding: .25rem 0; }
figure { margin: 1rem 0; text-align: center; }
figure img { max-width: 100%; }
figcaption { font-size: .85rem; color: #555; }
p.note { color: #555; font-style: italic; }
p.warning { font-weight: bold; color: #8a1c1c; }
nav ol { columns: 2; }
section.signoff { margin-top: 3rem; break-inside: avoid; }
p.sign { margin: 1.2rem 0 1.2rem 2rem; }
@media print { nav { display: none; } section.level-2 { break-inside: avoid; } }
</style>
</head>
<body>
<header class="cover">
<h1>{{ document.title }}</h1>
<table>
{% for label, value in document.cover %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>
{% endfor %}</table>
</header>
<nav><ol>
{% for section in document.sections %}<li><a href="#s{{ section.number }}">{{ section.number }}
{{ section.title }}</a></li>
{% endfor %}</ol></nav>
{% for depth, section in sections %}
<section class="level-{{ depth }}" id="s{{ section.number }}">
{% set level = [depth + 1, 6] | min %}
<h{{ level }}>{{ section.number }} {{ section.title }}</h{{ level }}>
{% for kind, block in section.blocks | map("classify") %}
{% if kind == "paragraph" %}<p class="{{ block.style }}">{{ block.text }}</p>
{% elif kind == "list" %}<ul>{% for item in block.items %}<li>{{ item }}</li>{% endfor %}</ul>
{% elif kind == "table" %}<table>
{% if block.caption %}<caption>{{ block.caption }}</caption>{% endif %}
<thead><tr>{% for h in block.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in block.rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% elif kind == "chart" %}<figure><img alt="{{ block.caption }}"
 src="data:image/png;base64,{{ block.png | b64 }}">
<figcaption>{{ block.caption }}</figcaption></figure>
{% endif %}{% endfor %}
</section>
{% endfor %}
{% if document.signoff %}<section class="signoff">
<h2>{{ document.signoff.title }}</h2>
{% for party in document.signoff.parties %}<p><strong>{{ party.party }}</strong></p>
{% for line in party.lines %}<p class="sign">{{ line }}</p>
{% endfor %}{% endfor %}</section>
{% endif %}
</body>
</html>
"""


def _classify(block: object) -> tuple[str, object]:
    kinds = {Paragraph: "paragraph", BulletList: "list", Table: "table", Chart: "chart"}
    return kinds[type(block)], block


def render_html(document: Document) -> str:
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    environment.filters["classify"] = _classify
    environment.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    template = environment.from_string(TEMPLATE)
    return template.render(
        document=document,
        sections=list(document.walk()),
        lang="zh-CN" if document.lang == "zh" else "en",
    )
