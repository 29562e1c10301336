"""Rebuild the pydocs evaluation corpus from Debian's ``python3-doc`` HTML (run once, by hand).

    apt-get install -y python3-doc
    python data/eval/pydocs/convert.py            # writes data/eval/pydocs/docs/*.md and transcripts/*.txt

The HTML is Sphinx output; only the main ``div.body`` is kept, headings become markdown ``#``,
code blocks become fenced blocks, inline markup becomes plain text. The standard library's
``html.parser`` is enough for this regular markup, so no HTML dependency is added for a one-off script.
The transcript variant lowercases the prose, strips punctuation and headings, drops code, and
prefixes every line with a ``[hh:mm:ss]`` timestamp, as speech-to-text output looks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

SOURCE = Path("/usr/share/doc/python3.11/html")
HERE = Path(__file__).parent
PAGES = {
    "tutorial/controlflow.html": "controlflow.md",
    "tutorial/datastructures.html": "datastructures.md",
    "tutorial/errors.html": "errors.md",
    "tutorial/classes.html": "classes.md",
    "tutorial/modules.html": "modules.md",
    "tutorial/inputoutput.html": "inputoutput.md",
    "tutorial/floatingpoint.html": "floatingpoint.md",
    "tutorial/venv.html": "venv.md",
    "tutorial/stdlib.html": "stdlib.md",
    "library/json.html": "json.md",
}

#: What an element writes where it opens and where it closes (headings apart: their level is in the tag name).
OPEN = {"pre": "\n\n```\n", "li": "\n- ", "tr": "\n", "td": " | ", "th": " | ",
        **dict.fromkeys(("p", "dl", "ul", "ol", "table", "dt"), "\n\n")}
CLOSE = {"pre": "\n```\n\n", "p": "\n\n", "dd": "\n\n"}


class _Body(HTMLParser):
    """Markdown-ish text of the ``div.body`` of a Sphinx page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # div nesting inside the body; 0 = outside
        self.out: list[str] = []
        self.pre = False
        self.skip = 0  # inside a headerlink anchor

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and "body" in (attrs.get("class") or "").split() and not self.depth:
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "div":
            self.depth += 1
        if tag == "a" and "headerlink" in (attrs.get("class") or ""):
            self.skip += 1
        self.pre = self.pre or tag == "pre"
        if tag in ("h1", "h2", "h3", "h4"):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in OPEN:
            self.out.append(OPEN[tag])

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "div":
            self.depth -= 1
        if tag == "a" and self.skip:
            self.skip -= 1
        self.pre = self.pre and tag != "pre"
        if tag in CLOSE:
            self.out.append(CLOSE[tag])

    def handle_data(self, data):
        if not self.depth or self.skip:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def markdown(html: str) -> str:
    """The page body as markdown."""
    parser = _Body()
    parser.feed(html)
    text = "".join(parser.out)
    text = re.sub(r"^(#+ )\d+(\.\d+)*\. ", r"\1", text, flags=re.M)  # "8.1. Syntax Errors" -> "Syntax Errors"
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n- \s*\n+", "\n- ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    lines = [line.strip() if not line.startswith(" ") else line.rstrip() for line in text.splitlines()]
    return "\n".join(lines).strip() + "\n"


def transcript(md: str) -> str:
    """Lowercase prose without headings, code or punctuation, one timestamped line per ~14 words."""
    prose = re.sub(r"```.*?```", " ", md, flags=re.S)
    prose = re.sub(r"^#+ .*$", " ", prose, flags=re.M)
    words = re.sub(r"[^\w\s'%.-]", " ", prose.lower().replace("\u2019", "'"))
    words = re.sub(r"(?<!\d)\.(?!\d)|(?<=\d)\.(?!\d)", " ", words)  # keep 3.11 and 0.1, drop full stops
    tokens = words.split()
    lines = []
    for i in range(0, len(tokens), 14):
        seconds = i * 2 // 5  # ~150 words a minute
        stamp = f"[{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}]"
        lines.append(f"{stamp} {' '.join(tokens[i:i + 14])}")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write both variants of every page."""
    (HERE / "docs").mkdir(exist_ok=True)
    (HERE / "transcripts").mkdir(exist_ok=True)
    for page, name in PAGES.items():
        md = markdown((SOURCE / page).read_text(encoding="utf-8"))
        (HERE / "docs" / name).write_text(md, encoding="utf-8")
        (HERE / "transcripts" / name.replace(".md", ".txt")).write_text(transcript(md), encoding="utf-8")


if __name__ == "__main__":
    main()
