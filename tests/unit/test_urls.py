"""URL normalization: the key that makes one source of two spellings of its address."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from incidentlog.domain.urls import InvalidUrl, is_http_url, normalize_url, url_host

CENTCOM_POST = "https://x.com/centcom/status/1748862279476703473"
VIDEO = "https://youtube.com/watch?v=dQw4w9WgXcQ"


# --- scheme, host, port --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com/a", "https://example.com/a"),
        ("HTTPS://EXAMPLE.COM/A", "https://example.com/A"),  # the path keeps its case
        ("  https://example.com/a \n", "https://example.com/a"),
        ("https://www.reuters.com/world/", "https://reuters.com/world"),
        ("https://m.bbc.co.uk/news", "https://bbc.co.uk/news"),
        ("https://mobile.example.org/news", "https://example.org/news"),
        ("https://www.m.example.org/x", "https://example.org/x"),
        ("https://www.com/", "https://www.com"),  # a prefix is dropped only before a domain
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:8080/", "https://example.com:8080"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://[2001:DB8::1]:8080/x", "https://[2001:db8::1]:8080/x"),
        ("https://192.0.2.7/x", "https://192.0.2.7/x"),
    ],
)
def test_scheme_host_and_port(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_unicode_host_becomes_lower_case_punycode() -> None:
    assert normalize_url("https://Bücher.example/") == "https://xn--bcher-kva.example"
    assert normalize_url("https://XN--BCHER-KVA.example") == "https://xn--bcher-kva.example"
    assert normalize_url("https://موقع.وزارة-الاتصالات.مصر/") == (
        "https://xn--4gbrim.xn----ymcbaaajlc6dj7bxne2c.xn--wgbh1c"
    )


# --- path, query, fragment -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/", "https://example.com"),
        ("https://example.com", "https://example.com"),
        ("https://example.com/?", "https://example.com"),
        ("https://example.com/news/", "https://example.com/news"),
        ("https://example.com/news//", "https://example.com/news"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/%2E%2E/b", "https://example.com/b"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/%7euser/%2f%3a", "https://example.com/~user/%2F%3A"),
        ("https://example.com/%41%62c", "https://example.com/Abc"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/ä", "https://example.com/%C3%A4"),
        ("https://example.com/%c3%a4", "https://example.com/%C3%A4"),
        ("https://example.com/?b=2&a=1", "https://example.com?a=1&b=2"),
        ("https://example.com/s?q=%d8%a7&x=a%26b", "https://example.com/s?q=%D8%A7&x=a%26b"),
        ("https://example.com/s?a=1&&b=2&", "https://example.com/s?a=1&b=2"),
        ("https://example.com/s?q=rocket+attack", "https://example.com/s?q=rocket+attack"),
    ],
)
def test_path_query_and_fragment(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    "parameter",
    [
        "utm_source=twitter", "utm_medium=social", "UTM_Campaign=x", "utm_content=1",
        "fbclid=IwAR0abc", "gclid=Cj0K", "mc_cid=1", "mc_eid=2", "igshid=abc", "ref=home",
        "cmpid=rss", "ocid=msn", "smid=tw-share", "msclkid=1",
    ],
)
def test_tracking_parameters_are_dropped(parameter: str) -> None:
    url = f"https://www.aljazeera.com/news/2024/1/20/us-base-hit?{parameter}&page=2"
    assert normalize_url(url) == "https://aljazeera.com/news/2024/1/20/us-base-hit?page=2"


def test_reuters_share_link_is_its_article() -> None:
    shared = (
        "https://www.reuters.com/world/middle-east/us-base-attacked-iraq-2024-08-05/"
        "?utm_source=twitter&utm_medium=Social&utm_campaign=reuters"
    )
    plain = "https://reuters.com/world/middle-east/us-base-attacked-iraq-2024-08-05"
    assert normalize_url(shared) == plain
    assert normalize_url(plain) == plain


def test_host_specific_parameters_stay_on_other_hosts() -> None:
    # "s", "t" and "si" are tracking only on X and YouTube; elsewhere they may matter.
    assert normalize_url("https://example.com/search?s=iraq&t=2") == (
        "https://example.com/search?s=iraq&t=2"
    )
    assert normalize_url("https://example.com/p?si=1") == "https://example.com/p?si=1"


# --- X / Twitter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://twitter.com/CENTCOM/status/1748862279476703473",
        "https://x.com/CENTCOM/status/1748862279476703473",
        "https://www.x.com/CENTCOM/status/1748862279476703473",
        "https://mobile.twitter.com/CENTCOM/status/1748862279476703473",
        "https://www.twitter.com/centcom/status/1748862279476703473/",
        "http://twitter.com/CENTCOM/status/1748862279476703473?s=20&t=Vx3Kq1",
        "https://x.com/CENTCOM/status/1748862279476703473?ref_src=twsrc%5Etfw",
        "https://twitter.com/CENTCOM/status/1748862279476703473/photo/1",
        "https://x.com/CENTCOM/status/1748862279476703473/video/1",
        "https://twitter.com/CENTCOM/statuses/1748862279476703473",
        "https://twitter.com/#!/CENTCOM/status/1748862279476703473",
        "https://x.com/CENTCOM/status/1748862279476703473#m",
    ],
)
def test_one_centcom_post_has_one_key(url: str) -> None:
    assert normalize_url(url) == CENTCOM_POST


def test_iran_international_post() -> None:
    assert normalize_url("https://twitter.com/IranIntl_En/status/1820565431383712065?s=46") == (
        "https://x.com/iranintl_en/status/1820565431383712065"
    )


def test_x_profile_and_other_pages() -> None:
    assert normalize_url("https://twitter.com/CENTCOM") == "https://x.com/centcom"
    assert normalize_url("https://x.com/CENTCOM/?s=20") == "https://x.com/centcom"
    assert normalize_url("https://twitter.com/search?q=%23Iraq&src=typed_query") == (
        "https://x.com/search?q=%23Iraq&src=typed_query"
    )
    assert normalize_url("https://x.com/hashtag/Iraq") == "https://x.com/hashtag/Iraq"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://t.co/iyveXX1f9H", "https://t.co/iyveXX1f9H"),
        ("http://T.CO/iyveXX1f9H", "https://t.co/iyveXX1f9H"),
        ("https://t.co/iyveXX1f9H?amp=1", "https://t.co/iyveXX1f9H?amp=1"),
        ("https://pic.twitter.com/rYaNrRdRtu", "https://pic.twitter.com/rYaNrRdRtu"),
        ("http://pic.twitter.com/0QyOVJtXp5", "https://pic.twitter.com/0QyOVJtXp5"),
        ("https://pic.twitter.com/0QyOVJtXp5/", "https://pic.twitter.com/0QyOVJtXp5"),
    ],
)
def test_short_links_are_kept_as_they_are(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


# --- YouTube -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
        "https://www.youtube.com/watch?feature=youtu.be&v=dQw4w9WgXcQ&list=PL9&index=3",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=Vx3Kq1abc&t=30",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://youtube.com/shorts/dQw4w9WgXcQ/?si=abc",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?autoplay=1",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ",
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ#t=10",
    ],
)
def test_one_video_has_one_key(url: str) -> None:
    assert normalize_url(url) == VIDEO


def test_other_youtube_pages_only_lose_tracking() -> None:
    assert normalize_url("https://www.youtube.com/@CENTCOM/videos?si=abc") == (
        "https://youtube.com/@CENTCOM/videos"
    )
    assert normalize_url("https://www.youtube.com/playlist?list=PL9&si=abc") == (
        "https://youtube.com/playlist?list=PL9"
    )
    assert normalize_url("https://www.youtube.com/watch?list=PL9") == (
        "https://youtube.com/watch?list=PL9"
    )


# --- invalid -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("ftp://example.com/file", "it must start with http:// or https://"),
        ("javascript:alert(1)", "it must start with http:// or https://"),
        ("example.com/news", "it must start with http:// or https://"),
        ("pic.twitter.com/rYaNrRdRtu", "it must start with http:// or https://"),
        ("//example.com/a", "it must start with http:// or https://"),
        ("https://", "it has no host name after the //"),
        ("http:///path", "it has no host name after the //"),
        ("https://user@/path", "it has no host name after the //"),
        ("https://exa mple.com", "its host name contains characters that are not allowed"),
        ("https://a..b.com", "its host name contains characters that are not allowed"),
        ("https://ex<a>mple.com", "its host name contains characters that are not allowed"),
        ("https://example.com:99999", "its port is not a number from 0 to 65535"),
        ("https://example.com:http", "its port is not a number from 0 to 65535"),
        ("https://[::1", "its IPv6 address in [brackets] is malformed"),
        ("https://exa\nmple.com", "it contains line breaks or control characters"),
        ("https://example.com/\x00", "it contains line breaks or control characters"),
    ],
)
def test_invalid_urls_say_what_is_wrong(url: str, reason: str) -> None:
    with pytest.raises(InvalidUrl) as caught:
        normalize_url(url)
    assert caught.value.reason == reason
    assert caught.value.url == url
    assert str(caught.value) == f"{url!r} is not a web address: {reason}"
    assert isinstance(caught.value, ValueError)
    assert not is_http_url(url)
    assert url_host(url) is None


def test_long_invalid_url_is_shortened_in_the_message() -> None:
    url = "ftp://example.com/" + "a" * 200
    with pytest.raises(InvalidUrl) as caught:
        normalize_url(url)
    assert str(caught.value) == (
        f"{url[:77] + '…'!r} is not a web address: it must start with http:// or https://"
    )


# --- is_http_url and url_host --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://x.com/CENTCOM/status/1748862279476703473", True),
        ("http://localhost:8000/a", True),
        (" https://www.reuters.com ", True),
        ("https:/reuters.com", False),
        ("mailto:press@centcom.mil", False),
        ("www.reuters.com", False),
        ("", False),
    ],
)
def test_is_http_url(text: str, expected: bool) -> None:
    assert is_http_url(text) is expected


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://mobile.twitter.com/CENTCOM/status/1748862279476703473", "x.com"),
        ("https://youtu.be/dQw4w9WgXcQ", "youtube.com"),
        ("https://WWW.Reuters.com/world/", "reuters.com"),
        ("https://t.co/iyveXX1f9H", "t.co"),
        ("https://www.iranintl.com/en/202408058146", "iranintl.com"),
        ("https://www.centcom.mil:443/MEDIA/", "centcom.mil"),
        ("not a url", None),
    ],
)
def test_url_host(url: str, host: str | None) -> None:
    assert url_host(url) == host


# --- properties ----------------------------------------------------------------------------

_label = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
_hosts = st.one_of(
    st.lists(_label, min_size=1, max_size=4).map(".".join),
    st.sampled_from(
        [
            "www.x.com", "twitter.com", "mobile.twitter.com", "youtu.be", "m.youtube.com",
            "www.youtube.com", "t.co", "pic.twitter.com", "Bücher.example", "www.m.example",
            "[2001:db8::1]", "192.0.2.1", "موقع.مصر",
        ]
    ),
)
_url_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30
)
_urls = st.builds(
    lambda scheme, host, port, path, query, fragment: (
        f"{scheme}://{host}{port}/{path}" + (f"?{query}" if query else "")
        + (f"#{fragment}" if fragment else "")
    ),
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    _hosts,
    st.sampled_from(["", ":80", ":443", ":8080", ":"]),
    _url_text,
    _url_text,
    _url_text,
)


@given(_urls)
@example("https://youtu.be/dQw4w9WgXcQ?si=x")
@example("https://twitter.com/#!/A/status/1?s=1")
@example("https://example.com/%2e%2E/%")
@example("https://example.com/a/b/..")
@example("https://x.com/%41/status/1")
def test_normalize_url_is_idempotent(url: str) -> None:
    try:
        once = normalize_url(url)
    except InvalidUrl:
        return
    assert normalize_url(once) == once
    assert is_http_url(once)
    assert once.startswith("https://")
    assert "#" not in once


@given(st.text(max_size=200))
@example("http://[")
@example("https://[::1]:99999")
@example("https://example.com:\uff11\uff12")
@example("https://\uff0fexample.com")
@example("https://ex\u2100ample.com")
@example("https://" + "a" * 64 + ".com")
@example("https://\ud800.com")
def test_normalize_url_raises_only_invalid_url(text: str) -> None:
    try:
        result = normalize_url(text)
    except InvalidUrl as error:
        assert str(error)
    else:
        assert normalize_url(result) == result


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example\u3002com\u3002/a", "https://example.com/a"),  # ideographic full stops
    ("https://www.bbc\uff0eco\uff0euk/news", "https://bbc.co.uk/news"),  # full-width stops
    ("https://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com/", "https://example.com"),
    ("https://fa\u00df.de/", "https://xn--fa-hia.de"),  # not fass.de: another name
    ("https://\u4f8b\u3048\u3002\u30c6\u30b9\u30c8/x", "https://xn--r8jz45g.xn--zckzah/x"),
])
def test_unicode_hosts_are_mapped_as_browsers_map_them(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected
