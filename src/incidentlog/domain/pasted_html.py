"""The text of what a browser puts on the clipboard as HTML, as a person reads it.

When a desk officer copies an embedded post, the browser offers the HTML of the
embed as well as plain text, and the plain text often lacks the post's link
(it sits on the date). An embed is a ``blockquote``:

    <blockquote class="twitter-tweet"><p lang="en" dir="ltr">Multiple ballistic
    missiles … <a href="https://t.co/x">pic.twitter.com/rYaNrRdRtu</a></p>&mdash;
    U.S. Central Command (@CENTCOM) <a href="https://twitter.com/CENTCOM/status/17…">
    January 20, 2024</a></blockquote>

``text_of_clipboard_html`` turns it into the lines ``parse_citation`` reads —
the post's text, the attribution line, the link of the date on its own line —
and any other HTML (an article paragraph) into its text, with the first link's
address after it when the text does not show one. It is parsed with the
standard library's tolerant parser: nothing is fetched, no script runs.
"""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["text_of_clipboard_html"]

#: Elements whose content a reader sees as a line of its own.
_BLOCKS = frozenset({"p", "div", "br", "li", "blockquote", "h1", "h2", "h3", "h4", "h5",
                     "h6", "tr", "section", "article", "header", "footer", "figcaption"})
#: Elements whose content is never shown.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
#: Twitter's clipboard HTML is a few kilobytes; a page's is bounded here.
MAX_HTML = 2_000_000


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.links: list[str] = []  # hrefs in document order
        self.blockquote_links: list[str] = []  # the last link of each blockquote
        self._hidden = 0
        self._quote_depth = 0
        self._last_link_in_quote: str | None = None

    def _new_line(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self._new_line()
        if tag == "blockquote":
            self._quote_depth += 1
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://")):
                self.links.append(href)
                if self._quote_depth:
                    self._last_link_in_quote = href

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag == "blockquote" and self._quote_depth:
            self._quote_depth -= 1
            if self._last_link_in_quote:
                # The date's link is the post's own address: on its own line, where
                # the citation reader looks for it.
                self._new_line()
                self.lines[-1] = self._last_link_in_quote
                self.blockquote_links.append(self._last_link_in_quote)
                self._last_link_in_quote = None
            self._new_line()
        elif tag in _BLOCKS:
            self._new_line()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.lines[-1] += data


def text_of_clipboard_html(markup: str) -> str:
    """The visible text of ``markup``, a line per block, with an embed's own link after
    its attribution line (see the module docstring). Never raises."""
    if not markup.strip():
        return ""
    collector = _TextCollector()
    try:
        collector.feed(markup[:MAX_HTML])
        collector.close()
    except (AssertionError, ValueError):  # the parser's own complaints on broken markup
        pass
    lines = [" ".join(line.split()) for line in collector.lines]
    text = "\n".join(line for line in lines if line)
    if not collector.blockquote_links and collector.links \
            and not any(link in text for link in collector.links):
        text = f"{text}\n{collector.links[0]}" if text else collector.links[0]
    return text
