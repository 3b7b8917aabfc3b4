"""Citation parsing on what a desk officer pastes from the seed article."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from incidentlog.domain.citation import CitationGuess, parse_citation, parse_citation_date
from incidentlog.domain.enums import SourceKind, TimePrecision
from incidentlog.domain.when import Moment

JAN_20 = Moment(datetime(2024, 1, 20, tzinfo=UTC), TimePrecision.DAY, "UTC")
AUG_5 = Moment(datetime(2024, 8, 5, tzinfo=UTC), TimePrecision.DAY, "UTC")

CENTCOM_TEXT = (
    "At approximately 6:30 p.m. (Baghdad time) time Jan. 20, multiple ballistic missiles and "
    "rockets were launched by Iranian-backed militants in Western Iraq targeting al-Assad "
    "Airbase. Most of the missiles were intercepted by… pic.twitter.com/rYaNrRdRtu"
)
CENTCOM_ATTRIBUTION = "— U.S. Central Command (@CENTCOM) January 20, 2024"
IRAN_INTL_TEXT = (
    "#BREAKING At least five US personnel were injured in an attack against a military base "
    "in Iraq on Monday, US officials told Reuters, adding that one of the wounded Americans "
    "was seriously injured. https://t.co/iyveXX1f9H pic.twitter.com/0QyOVJtXp5"
)
IRAN_INTL_ATTRIBUTION = "— Iran International English (@IranIntl_En) August 5, 2024"


# --- posts ---------------------------------------------------------------------------------


def test_centcom_post_pasted_whole() -> None:
    guess = parse_citation(f"{CENTCOM_TEXT}\n{CENTCOM_ATTRIBUTION}")
    assert guess == CitationGuess(
        kind=SourceKind.SOCIAL_POST,
        url="https://pic.twitter.com/rYaNrRdRtu",
        outlet="U.S. Central Command",
        handle="@CENTCOM",
        published=JAN_20,
        excerpt=CENTCOM_TEXT,
    )


def test_iran_international_post_takes_its_first_link() -> None:
    guess = parse_citation(f"{IRAN_INTL_TEXT}\n{IRAN_INTL_ATTRIBUTION}\n")
    assert guess == CitationGuess(
        kind=SourceKind.SOCIAL_POST,
        url="https://t.co/iyveXX1f9H",
        outlet="Iran International English",
        handle="@IranIntl_En",
        published=AUG_5,
        excerpt=IRAN_INTL_TEXT,
    )


def test_post_pasted_from_a_browser_with_crlf_and_blank_lines() -> None:
    pasted = f"\r\n  {CENTCOM_TEXT}  \r\n\r\n{CENTCOM_ATTRIBUTION}\r\n"
    guess = parse_citation(pasted)
    assert guess.excerpt == CENTCOM_TEXT
    assert guess.handle == "@CENTCOM"
    assert guess.published == JAN_20


def test_multi_line_post_keeps_its_lines() -> None:
    guess = parse_citation(f"First line.\nSecond line.\n{CENTCOM_ATTRIBUTION}")
    assert guess.excerpt == "First line.\nSecond line."
    assert guess.url is None


def test_only_the_first_of_two_pasted_posts_is_read() -> None:
    guess = parse_citation(
        f"{IRAN_INTL_TEXT}\n{IRAN_INTL_ATTRIBUTION}\n{CENTCOM_TEXT}\n{CENTCOM_ATTRIBUTION}"
    )
    assert guess.handle == "@IranIntl_En"
    assert guess.excerpt == IRAN_INTL_TEXT
    assert guess.url == "https://t.co/iyveXX1f9H"


def test_post_and_attribution_on_one_line() -> None:
    guess = parse_citation(f"{CENTCOM_TEXT} {CENTCOM_ATTRIBUTION}")
    assert guess.excerpt == CENTCOM_TEXT
    assert guess.outlet == "U.S. Central Command"
    assert guess.url == "https://pic.twitter.com/rYaNrRdRtu"


@pytest.mark.parametrize(
    "line",
    [
        "— U.S. Central Command (@CENTCOM) January 20, 2024",
        "– U.S. Central Command (@CENTCOM) January 20, 2024",
        "-- U.S. Central Command (@CENTCOM) January 20, 2024",
        "- U.S. Central Command (@CENTCOM) January 20, 2024",
        "U.S. Central Command (@CENTCOM) January 20, 2024",
        "—U.S. Central Command (@CENTCOM) January 20, 2024",
        "— U.S. Central Command (@CENTCOM) Jan. 20, 2024",
        "— U.S. Central Command (@CENTCOM) Jan 20 2024",
        "— U.S. Central Command (@CENTCOM) 20 January 2024",
        "— U.S. Central Command (@CENTCOM) 20 Jan. 2024",
        "— U.S. Central Command (@CENTCOM) January 20th, 2024",
        "— U.S. Central Command (@CENTCOM) 2024-01-20",
        "  —  U.S.  Central Command  (@CENTCOM)   January 20, 2024  ",
    ],
)
def test_attribution_line_alone(line: str) -> None:
    assert parse_citation(line) == CitationGuess(
        kind=SourceKind.SOCIAL_POST,
        outlet="U.S. Central Command",
        handle="@CENTCOM",
        published=JAN_20,
    )


def test_attribution_without_date() -> None:
    assert parse_citation("— U.S. Central Command (@CENTCOM)") == CitationGuess(
        kind=SourceKind.SOCIAL_POST, outlet="U.S. Central Command", handle="@CENTCOM"
    )


def test_attribution_with_a_hyphenated_name_and_a_dash_in_the_post() -> None:
    guess = parse_citation(
        "Strike on al-Assad - details soon — Al-Monitor (@AlMonitor) Sept. 5, 2024"
    )
    assert guess.outlet == "Al-Monitor"
    assert guess.handle == "@AlMonitor"
    assert guess.excerpt == "Strike on al-Assad - details soon"
    assert guess.published == Moment(datetime(2024, 9, 5, tzinfo=UTC), TimePrecision.DAY)


def test_attribution_without_a_name_gives_no_outlet() -> None:
    assert parse_citation("— (@CENTCOM) January 20, 2024") == CitationGuess(
        kind=SourceKind.SOCIAL_POST, handle="@CENTCOM", published=JAN_20
    )


@pytest.mark.parametrize(
    "text",
    [
        "The Pentagon said (@DeptofDefense) it would respond",
        "— U.S. Central Command (@CENTCOM) February 30, 2024",
        "— U.S. Central Command (@CENTCOM) Smarch 20, 2024",
    ],
)
def test_prose_with_a_handle_is_no_attribution(text: str) -> None:
    guess = parse_citation(text)
    assert guess.kind is None
    assert guess.handle is None
    assert guess.title == text


# --- bare URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "outlet", "handle"),
    [
        (
            "https://twitter.com/CENTCOM/status/1748862279476703473?s=20",
            SourceKind.SOCIAL_POST, "X", "@CENTCOM",
        ),
        (
            "https://x.com/IranIntl_En/status/1820565431383712065/photo/1",
            SourceKind.SOCIAL_POST, "X", "@IranIntl_En",
        ),
        ("https://x.com/i/web/status/1820565431383712065", SourceKind.SOCIAL_POST, "X", None),
        ("https://x.com/CENTCOM", SourceKind.SOCIAL_POST, "X", None),
        ("https://pic.twitter.com/rYaNrRdRtu", SourceKind.SOCIAL_POST, "X", None),
        ("https://youtu.be/dQw4w9WgXcQ", SourceKind.VIDEO, "YouTube", None),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", SourceKind.VIDEO, "YouTube", None),
        (
            "https://www.centcom.mil/MEDIA/PRESS-RELEASES/Press-Release-View/Article/3651336/",
            SourceKind.PRESS_RELEASE, "CENTCOM", None,
        ),
        (
            "https://www.defense.gov/News/Releases/Release/Article/3658009/",
            SourceKind.PRESS_RELEASE, "U.S. Department of Defense", None,
        ),
        (
            "https://www.defense.gov/News/Transcripts/Transcript/Article/3652087/",
            SourceKind.OFFICIAL_STATEMENT, "U.S. Department of Defense", None,
        ),
        (
            "https://www.whitehouse.gov/briefing-room/statements-releases/2024/01/28/"
            "statement-from-president-joe-biden-on-the-attack-on-u-s-service-members/",
            SourceKind.OFFICIAL_STATEMENT, "The White House", None,
        ),
        (
            "https://www.state.gov/secretary-blinkens-call-with-jordanian-foreign-minister/",
            SourceKind.PRESS_RELEASE, "U.S. Department of State", None,
        ),
        (
            "https://www.reuters.com/world/middle-east/us-base-iraq-2024-08-05/?utm_source=x",
            SourceKind.ARTICLE, "Reuters", None,
        ),
        ("https://apnews.com/article/iraq-syria-rocket-attack", SourceKind.ARTICLE, "AP", None),
        ("https://www.aljazeera.com/news/2024/1/20/x", SourceKind.ARTICLE, "Al Jazeera", None),
        ("https://www.bbc.co.uk/news/world-middle-east-1", SourceKind.ARTICLE, "BBC", None),
        ("https://www.bbc.com/news/articles/c1", SourceKind.ARTICLE, "BBC", None),
        (
            "https://www.iranintl.com/en/202408058146",
            SourceKind.ARTICLE, "Iran International", None,
        ),
        (
            "https://www.foxnews.com/world/iran-backed-militants-rocket-attack-us-base-iraq",
            SourceKind.ARTICLE, "foxnews.com", None,
        ),
    ],
)
def test_bare_url(url: str, kind: SourceKind, outlet: str, handle: str | None) -> None:
    assert parse_citation(f"  {url}\n") == CitationGuess(
        kind=kind, url=url, outlet=outlet, handle=handle
    )


def test_bare_short_link_tells_nothing_but_itself() -> None:
    # t.co leads anywhere: no kind, no outlet.
    assert parse_citation("https://t.co/iyveXX1f9H") == CitationGuess(
        url="https://t.co/iyveXX1f9H"
    )


def test_bare_photo_link_gets_https() -> None:
    assert parse_citation("pic.twitter.com/rYaNrRdRtu") == CitationGuess(
        kind=SourceKind.SOCIAL_POST, url="https://pic.twitter.com/rYaNrRdRtu", outlet="X"
    )


def test_url_in_angle_brackets_or_followed_by_punctuation() -> None:
    assert parse_citation("<https://apnews.com/article/x>").url == "https://apnews.com/article/x"
    assert parse_citation("https://apnews.com/article/x.").url == "https://apnews.com/article/x"
    assert parse_citation("(see https://en.wikipedia.org/wiki/Al_Asad_(air_base))").url == (
        "https://en.wikipedia.org/wiki/Al_Asad_(air_base)"
    )


def test_text_that_is_no_url() -> None:
    assert parse_citation("ftp://example.com/file") == CitationGuess(
        title="ftp://example.com/file"
    )


# --- titles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "title"),
    [
        (
            "IRANIAN-BACKED MILITANTS LAUNCH MISSILES AT US MILITARY BASE IN IRAQ – YOUTUBE",
            "IRANIAN-BACKED MILITANTS LAUNCH MISSILES AT US MILITARY BASE IN IRAQ",
        ),
        (
            "US SOLDIERS INJURED AS IRAN-BACKED MILITANTS LAUNCH MISSILE ATTACK ON IRAQ AIRBASE "
            "– YOUTUBE",
            "US SOLDIERS INJURED AS IRAN-BACKED MILITANTS LAUNCH MISSILE ATTACK ON IRAQ AIRBASE",
        ),
        (
            "ON CAM: IRAN-BACKED MILITIA ATTACKS U.S. MILITARY BASES IN IRAQ WITH DRONES AMID "
            "ISRAEL-HAMAS WAR – YOUTUBE",
            "ON CAM: IRAN-BACKED MILITIA ATTACKS U.S. MILITARY BASES IN IRAQ WITH DRONES AMID "
            "ISRAEL-HAMAS WAR",
        ),
        (
            "U.S. STRIKES IRANIAN-BACKED MILITIAS IN IRAQ – YOUTUBE",
            "U.S. STRIKES IRANIAN-BACKED MILITIAS IN IRAQ",
        ),
        ("U.S. strikes militias in Iraq - YouTube", "U.S. strikes militias in Iraq"),
        ("U.S. strikes militias in Iraq | YouTube", "U.S. strikes militias in Iraq"),
        ("U.S. strikes militias in Iraq — youtube  ", "U.S. strikes militias in Iraq"),
    ],
)
def test_video_title_line(line: str, title: str) -> None:
    assert parse_citation(line) == CitationGuess(
        kind=SourceKind.VIDEO, title=title, outlet="YouTube"
    )


def test_video_title_with_its_link() -> None:
    guess = parse_citation(
        "U.S. STRIKES IRANIAN-BACKED MILITIAS IN IRAQ – YOUTUBE\nhttps://youtu.be/dQw4w9WgXcQ"
    )
    assert guess == CitationGuess(
        kind=SourceKind.VIDEO,
        title="U.S. STRIKES IRANIAN-BACKED MILITIAS IN IRAQ",
        url="https://youtu.be/dQw4w9WgXcQ",
        outlet="YouTube",
    )


@pytest.mark.parametrize(
    "line",
    [
        "US base attacked in Iraq hours after Iran vows revenge for Damascus attack",
        "The Latest | Failed rocket strike launched on US-led coalition forces base in Syria",
        "Iran-backed militants reportedly launch rocket attack against U.S. base in Iraq",
        "Rocket Attacks on US Military Bases",
    ],
)
def test_headline_line(line: str) -> None:
    # A headline alone does not say whether it is an article: kind stays None.
    assert parse_citation(line) == CitationGuess(title=line)


def test_headline_with_outlet_suffix_url_and_date() -> None:
    pasted = (
        "US base attacked in Iraq hours after Iran vows revenge for Damascus attack | Reuters\n"
        "https://www.reuters.com/world/middle-east/us-base-attacked-iraq-2024-08-05/\n"
        "August 5, 2024"
    )
    assert parse_citation(pasted) == CitationGuess(
        kind=SourceKind.ARTICLE,
        title="US base attacked in Iraq hours after Iran vows revenge for Damascus attack",
        url="https://www.reuters.com/world/middle-east/us-base-attacked-iraq-2024-08-05/",
        outlet="Reuters",
        published=AUG_5,
    )


def test_headline_and_url_on_one_line() -> None:
    guess = parse_citation(
        "Failed rocket strike on base in Syria https://apnews.com/article/syria-rocket"
    )
    assert guess == CitationGuess(
        kind=SourceKind.ARTICLE,
        title="Failed rocket strike on base in Syria",
        url="https://apnews.com/article/syria-rocket",
        outlet="AP",
    )


def test_unknown_suffix_stays_in_the_title() -> None:
    line = "Iran-backed militia attacks US base - officials"
    assert parse_citation(line) == CitationGuess(title=line)


def test_paragraph_is_no_title() -> None:
    paragraph = "Iranian-backed militias have been launching rocket attacks. " * 10
    assert parse_citation(paragraph) == CitationGuess()


def test_published_line_under_a_headline() -> None:
    guess = parse_citation("Rocket Attacks on US Military Bases\nPublished: Jan. 20, 2024")
    assert guess == CitationGuess(title="Rocket Attacks on US Military Bases", published=JAN_20)


def test_date_inside_a_headline_is_no_publication_date() -> None:
    line = "Attack on al-Assad Airbase on January 20, 2024"
    assert parse_citation(line) == CitationGuess(title=line)


@pytest.mark.parametrize("text", ["", " ", "\n\n\t", "\x00\x01", "\u200f"])
def test_empty_text_gives_an_empty_guess(text: str) -> None:
    assert parse_citation(text) == CitationGuess()


def test_arabic_headline() -> None:
    line = "هجوم صاروخي على قاعدة عين الأسد في العراق"
    assert parse_citation(line) == CitationGuess(title=line)


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("January 20, 2024", JAN_20),
        ("Jan. 20, 2024", JAN_20),
        ("jan 20 2024", JAN_20),
        ("20 January 2024", JAN_20),
        ("20 Jan. 2024", JAN_20),
        ("2024-01-20", JAN_20),
        ("Sept. 5, 2024", Moment(datetime(2024, 9, 5, tzinfo=UTC), TimePrecision.DAY)),
        ("August 2024", Moment(datetime(2024, 8, 1, tzinfo=UTC), TimePrecision.MONTH)),
        ("February 29, 2024", Moment(datetime(2024, 2, 29, tzinfo=UTC), TimePrecision.DAY)),
        ("February 29, 2023", None),
        ("2024-13-01", None),
        ("Smarch 20, 2024", None),
        ("January 20, 1492", None),
        ("6:30 p.m.", None),
        ("", None),
    ],
)
def test_parse_citation_date(text: str, expected: Moment | None) -> None:
    assert parse_citation_date(text) == expected


# --- never raises --------------------------------------------------------------------------

_pieces = st.sampled_from(
    [
        "— ", "–", "--", " - ", "(@", ")", "(@CENTCOM)", "U.S. Central Command", "January 20, 2024",
        "Jan. 20,", " 2024", "pic.twitter.com/", "https://", "http://[", "t.co/", "x.com/",
        "/status/", "youtu.be/", "– YOUTUBE", " | Reuters", "\n", "\r\n", "\x00", "\u202e",
        "هجوم صاروخي", "%", "?utm_source=x", "…", "📷", "\t", "\x85", "\u2028",
    ]
)
_pastes = st.one_of(
    st.text(),
    st.lists(st.one_of(_pieces, st.text(max_size=5)), max_size=30).map("".join),
)


@given(_pastes)
@example(f"{CENTCOM_TEXT}\n{CENTCOM_ATTRIBUTION}")
@example("(@" * 5000 + ")")
@example("a" * 100_000 + " (@x) January 20, 2024")
@example("https://" + "a" * 100_000)
@example("pic.twitter.com/" + "a" * 50_000)
@example("— " * 20_000 + "x (@x)")
@example("x " * 50_000 + "– YOUTUBE")
@example("https://x.com:99999/a/status/1")
@example("https://a.com/" + ")" * 100_000)
@example("https://a.com/" + "(" * 50_000 + ")" * 50_000 + ".")
@example("— Name (@handle) December 31, 2100")
def test_parse_citation_never_raises(text: str) -> None:
    guess = parse_citation(text)
    assert isinstance(guess, CitationGuess)
    if guess.url is not None:
        assert guess.url.lower().startswith(("http://", "https://"))
    if guess.handle is not None:
        assert guess.handle.startswith("@")


def test_post_line_ending_in_a_handle_is_not_the_attribution() -> None:
    text = "Thanks to our partners (@USArmy)"
    guess = parse_citation(f"{text}\n{CENTCOM_ATTRIBUTION}")
    assert guess == CitationGuess(
        kind=SourceKind.SOCIAL_POST,
        outlet="U.S. Central Command",
        handle="@CENTCOM",
        published=JAN_20,
        excerpt=text,
    )


POST_URL = "https://twitter.com/CENTCOM/status/1748783633954324512"


@pytest.mark.parametrize("paste", [
    f"— U.S. Central Command (@CENTCOM) January 20, 2024 {POST_URL}",  # one line
    f"— U.S. Central Command (@CENTCOM) January 20, 2024\n{POST_URL}",  # link below
    "At approximately 6:30 p.m. (Baghdad time) time Jan. 20, multiple ballistic missiles "
    "and rockets were launched… pic.twitter.com/rYaNrRdRtu\n"
    f"— U.S. Central Command (@CENTCOM) January 20, 2024\n{POST_URL}",  # the whole embed
])
def test_an_attribution_line_followed_by_the_post_s_link(paste: str) -> None:
    guess = parse_citation(paste)
    assert guess.kind is SourceKind.SOCIAL_POST
    assert guess.url == POST_URL  # the post's own link, not its photo
    assert guess.outlet == "U.S. Central Command"
    assert guess.handle == "@CENTCOM"
    assert guess.title is None
    assert guess.published is not None and guess.published.utc_text.startswith("2024-01-20")
