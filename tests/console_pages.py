"""Reading the console's pages as an operator reads them: the cells of a list by column, whatever the theme's markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_FIELD = re.compile(r"\bfield-([\w-]+)")


class _Cells(HTMLParser):
    """Each list row (``<tr>``) as {column: text}; a cell drawn as an icon reads as its title ("True", "False")."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self._column: str | None = None
        self._cell_tag = "td"
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr":
            self.rows.append({})
        if self._column is not None:
            self._depth += tag == self._cell_tag
            if attributes.get("title") in ("True", "False", "Unknown"):
                self._text.append(str(attributes["title"]))
            return
        match = _FIELD.search(attributes.get("class") or "")
        if tag in ("td", "th") and match and self.rows:
            self._column, self._cell_tag, self._depth, self._text = match.group(1), tag, 0, []

    def handle_endtag(self, tag: str) -> None:
        if self._column is None or tag != self._cell_tag:
            return
        if self._depth:
            self._depth -= 1
            return
        self.rows[-1][self._column] = " ".join(" ".join(self._text).split())
        self._column = None

    def handle_data(self, data: str) -> None:
        if self._column is not None and data.strip() not in ("check_small", "close_small", "question_mark"):
            self._text.append(data)


def list_rows(html: str) -> list[dict[str, str]]:
    """The rows of a console list page, each as {column name: the text shown}."""
    parser = _Cells()
    parser.feed(html)
    return [row for row in parser.rows if row]


def text_of(html: str) -> str:
    """The page's words without its markup, spaces collapsed (for "1 contact", "purge will delete 3 …")."""
    return " ".join(re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", html, flags=re.S).split())
