"""What a browser puts on the clipboard as HTML becomes the text the citation reader reads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from incidentlog.domain.citation import parse_citation
from incidentlog.domain.enums import SourceKind
from incidentlog.domain.pasted_html import text_of_clipboard_html

#: The embed code Twitter/X gives for the seed's CENTCOM post (as a browser copies it).
CENTCOM_EMBED = (
    '<meta charset="utf-8"><blockquote class="twitter-tweet"><p lang="en" dir="ltr">'
    "At approximately 6:30 p.m. (Baghdad time) time Jan. 20, multiple ballistic missiles "
    "and rockets were launched by Iranian-backed militants in Western Iraq targeting "
    'al-Assad Airbase. <a href="https://t.co/rYaNrRdRtu">pic.twitter.com/rYaNrRdRtu</a>'
    "</p>&mdash; U.S. Central Command (@CENTCOM) "
    '<a href="https://twitter.com/CENTCOM/status/1748783633954324512?ref_src=twsrc%5Etfw">'
    "January 20, 2024</a></blockquote>"
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)


def test_an_embedded_post_becomes_its_text_attribution_and_own_link() -> None:
    text = text_of_clipboard_html(CENTCOM_EMBED)
    assert text.splitlines() == [
        "At approximately 6:30 p.m. (Baghdad time) time Jan. 20, multiple ballistic "
        "missiles and rockets were launched by Iranian-backed militants in Western Iraq "
        "targeting al-Assad Airbase. pic.twitter.com/rYaNrRdRtu",
        "— U.S. Central Command (@CENTCOM) January 20, 2024",
        "https://twitter.com/CENTCOM/status/1748783633954324512?ref_src=twsrc%5Etfw",
    ]
    guess = parse_citation(text)
    assert guess.kind is SourceKind.SOCIAL_POST
    assert guess.handle == "@CENTCOM" and guess.outlet == "U.S. Central Command"
    assert guess.url is not None and "/status/1748783633954324512" in guess.url
    assert guess.excerpt is not None and guess.excerpt.startswith("At approximately 6:30")
    assert guess.published is not None and guess.published.utc_text.startswith("2024-01-20")


def test_an_article_paragraph_keeps_its_link_when_the_text_shows_none() -> None:
    markup = ('<p>At least five US personnel were injured in an attack against a military '
              'base in Iraq, <a href="https://www.reuters.com/world/x/">US officials told '
              "Reuters</a>.</p>")
    text = text_of_clipboard_html(markup)
    assert text.endswith("\nhttps://www.reuters.com/world/x/")
    assert parse_citation(text).url == "https://www.reuters.com/world/x/"


def test_scripts_styles_and_broken_markup_show_nothing_of_themselves() -> None:
    assert text_of_clipboard_html("<style>p{}</style><script>alert(1)</script><p>ok") == "ok"
    assert text_of_clipboard_html("") == ""
    assert text_of_clipboard_html("<p><b>unclosed <i>tags") == "unclosed tags"


@given(st.text(max_size=300))
def test_any_markup_gives_text_without_raising(markup: str) -> None:
    assert isinstance(text_of_clipboard_html(markup), str)
