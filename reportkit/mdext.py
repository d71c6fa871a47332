"""Python-Markdown extension: math as SVG, and figures/tables/equations numbered once, in Python.

- pymdownx.arithmatex (generic mode) protects `$...$` and `$$...$$` from Markdown; our treeprocessor turns
  its elements into SVG (stashed, so nothing touches it again). A display equation with `\\label{name}`
  gets a number and the anchor `eq-name`. Numbers from the results printed in a formula lose their marks
  (reportkit.tracked) to the TeX; the formula's wrapper carries them instead.
- Elements with `data-kind="fig|tab|eq"` (emitted by the template helpers) are numbered in document order;
  their `.caption` child starts with "Figure 3." etc.
- `@fig:name`, `@tab:name`, `@eq:name` in the text become links "Figure 3", "Table 1", "(2)". An unknown
  or duplicate label fails the build.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

from markdown import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from reportkit.errors import BuildError
from reportkit import tracked
from reportkit.mathsvg import MathRenderer

KIND_NAMES = {"fig": "Figure", "tab": "Table", "eq": "Equation"}
LABEL = re.compile(r"\\label\{([A-Za-z0-9_-]+)\}")


class RefPattern(InlineProcessor):
    """`@fig:loss` -> <a class="ref" href="#fig-loss">, its text filled in by NumberingTreeprocessor."""

    def handleMatch(self, m, data):
        kind, label = m.group(1), m.group(2)
        el = etree.Element("a", {"class": "ref", "href": f"#{kind}-{label}", "data-ref": f"{kind}:{label}"})
        el.text = "?"
        return el, m.start(0), m.end(0)


class MathTreeprocessor(Treeprocessor):
    """Replace arithmatex spans/divs by SVG from the MathRenderer."""

    def __init__(self, md, renderer: MathRenderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root):
        for parent in root.iter():
            for i, el in enumerate(list(parent)):
                if "arithmatex" not in el.get("class", ""):
                    continue
                display = el.tag == "div"
                tex = html.unescape(el.text or "")
                tex = tex[2:-2] if tex[:2] in ("\\(", "\\[") else tex
                tex, metrics = tracked.take(tex)
                parent[i] = (self.display if display else self.inline)(tex, el.tail, tracked.math_mark(metrics))

    def inline(self, tex, tail, marks=""):
        el = etree.Element("span", {"class": "math"})
        el.text = marks + self.md.htmlStash.store(self.renderer.render(tex, display=False))
        el.tail = tail
        return el

    def display(self, tex, tail, marks=""):
        label = LABEL.search(tex)
        tex = LABEL.sub("", tex)
        box = etree.Element("div", {"class": "equation"})
        math = etree.SubElement(box, "div", {"class": "math display"})
        math.text = marks + self.md.htmlStash.store(self.renderer.render(tex, display=True))
        if label:
            box.set("id", f"eq-{label.group(1)}")
            box.set("data-kind", "eq")
            etree.SubElement(box, "span", {"class": "num"})
        box.tail = tail
        return box


class NumberingTreeprocessor(Treeprocessor):
    """Number [data-kind] elements in document order and resolve @kind:label references."""

    def run(self, root):
        numbers, counters = {}, {kind: 0 for kind in KIND_NAMES}
        for el in root.iter():
            kind = el.get("data-kind")
            if kind not in KIND_NAMES:
                continue
            counters[kind] += 1
            ref = el.get("id", "").replace("-", ":", 1)
            if ref in numbers:
                raise BuildError(f"duplicate label {ref!r}: every figure, table and equation needs its own")
            numbers[ref] = counters[kind]
            self._label(el, kind, counters[kind])
        for el in root.iter("a"):
            ref = el.get("data-ref")
            if ref is None:
                continue
            if ref not in numbers:
                raise BuildError(f"reference @{ref} points at no figure, table or equation "
                                 f"(known: {', '.join(sorted(numbers)) or 'none'})")
            kind = ref.split(":")[0]
            el.text = f"({numbers[ref]})" if kind == "eq" else f"{KIND_NAMES[kind]} {numbers[ref]}"

    @staticmethod
    def _label(el, kind, n):
        """Equations: fill their `span.num`; figures/tables: prepend 'Figure n.' to their `.caption`."""
        if kind == "eq":
            el.find(".//span[@class='num']").text = f"({n})"
            return
        caption = next((c for c in el.iter() if "caption" in c.get("class", "").split()), None)
        if caption is None:
            raise BuildError(f"{el.get('id')}: a numbered {KIND_NAMES[kind].lower()} needs a caption")
        num = etree.Element("span", {"class": "num"})
        num.text, num.tail, caption.text = f"{KIND_NAMES[kind]} {n}.", " " + (caption.text or ""), ""
        caption.insert(0, num)


class ReportExtension(Extension):
    def __init__(self, renderer: MathRenderer, **kwargs):
        self.renderer = renderer
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        md.registerExtension(self)
        md.inlinePatterns.register(RefPattern(r"@(fig|tab|eq):([A-Za-z0-9_-]+)", md), "report-ref", 175)
        md.treeprocessors.register(MathTreeprocessor(md, self.renderer), "report-math", 15)
        md.treeprocessors.register(NumberingTreeprocessor(md), "report-numbering", 14)

    def reset(self):
        self.renderer.count = 0
