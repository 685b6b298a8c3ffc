"""Vietnamese by default, English on request: the language switch, the message catalogue and the formats."""

import datetime
import gettext
import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db
LOCALE = Path(settings.LOCALE_PATHS[0])
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "en" / "LC_MESSAGES" / "django.mo"
NAV_VI = ["Tổng quan", "Đơn vị", "Xếp hạng", "Nhiệm vụ", "Nhập số liệu", "Việc của tôi", "Phê duyệt", "Giao ban", "Công khai",
          "Tài liệu API"]
NAV_EN = ["Overview", "Units", "Rankings", "Tasks", "Enter data", "My work", "Approvals", "Briefs", "Public", "API documentation"]


def nav(html: str) -> list[str]:
    block = re.search(r'<nav class="topnav"[^>]*>(.*?)</nav>', html, re.S)
    assert block, "no main navigation"
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", block[1], re.S)]


def switch_language(client: Client, language: str, page: str = "/public/") -> None:
    """Switch as a person does: the form on the page, its CSRF token, one of its buttons."""
    html = client.get(page).content.decode()
    form = re.search(r'<form class="lang-switch" method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form, "no language switch on the page"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form[2])[1]
    assert f'name="language" value="{language}"' in form[2]
    response = client.post(form[1], {"language": language, "next": page, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == page


def test_pages_are_vietnamese_by_default(client):
    html = client.get("/public/").content.decode()
    assert '<html lang="vi">' in html
    assert nav(html) == NAV_VI


def test_the_switch_to_english_renders_english_and_back(client):
    client = Client(enforce_csrf_checks=True)
    switch_language(client, "en")
    html = client.get("/public/").content.decode()
    assert '<html lang="en">' in html
    assert nav(html) == NAV_EN
    assert "Published indicators" in html and "Chỉ tiêu công khai" not in html
    assert client.get("/tasks/").content.decode().count('<html lang="en">') == 1  # every page, not one
    switch_language(client, "vi")
    html = client.get("/public/").content.decode()
    assert '<html lang="vi">' in html and nav(html) == NAV_VI


def test_the_switch_is_a_labelled_form_usable_by_keyboard(client):
    html = client.get("/public/").content.decode()
    form = re.search(r'<form class="lang-switch"[^>]*>.*?</form>', html, re.S)[0]
    assert 'aria-label="Chọn ngôn ngữ"' in form and 'action="/i18n/setlang/"' in form
    buttons = re.findall(r"<button ([^>]*)>([^<]*)</button>", form)
    assert [(unicodedata.normalize("NFC", text), 'aria-pressed="true"' in attrs) for attrs, text in buttons] == [("Tiếng Việt", True),
                                                                                    ("English", False)]
    assert all('type="submit"' in attrs for attrs, _ in buttons)  # real buttons: Tab, Enter and Space work


def test_numbers_and_dates_follow_the_language():
    template = Template("{{ x }}|{{ x|floatformat:2 }}|{{ d }}|{{ d|date:'SHORT_DATE_FORMAT' }}")
    context = {"x": 39.51, "d": datetime.date(2025, 9, 24)}
    with translation.override("vi"):
        assert template.render(Context(context)) == "39,51|39,51|24/09/2025|24/09/2025"
    with translation.override("en"):
        assert template.render(Context(context)) == "39.51|39.51|Sept. 24, 2025|24/09/2025"


def test_a_page_shows_a_number_the_vietnamese_way(client, small_catalog):
    from govkpi.evaluation import engine
    from govkpi.indicators.catalog import apply_catalog

    from ..evaluation.test_engine import write

    for element in small_catalog["data_elements"]:
        element.update(frequency="monthly")
    assert apply_catalog(small_catalog).ok
    write(("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("DVC_TOANTRINH", "79", 2451),
          ("DVC_TONG", "79", 8000))
    engine.process_pending()
    assert "39,51%" in client.get("/public/").content.decode()
    client.cookies["django_language"] = "en"
    assert "39.51%" in client.get("/public/").content.decode()


def _po_entries(text: str) -> list[dict]:
    """The entries of a .po file: flags, msgid, msgid_plural and every msgstr (a simple reader: no polib)."""
    entries, entry, key = [], None, None
    for line in text.splitlines() + [""]:
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry, key = None, None
            continue
        if line.startswith("#~"):  # an obsolete entry: makemessages keeps it, nobody reads it
            continue
        entry = entry if entry is not None else {"flags": set(), "strings": {}}
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry["strings"][key] += _unquote(line)
        else:
            key, _, rest = line.partition(" ")
            entry["strings"][key] = _unquote(rest)
    return [e for e in entries if "msgid" in e["strings"]]


def _unquote(quoted: str) -> str:
    return bytes(quoted.strip()[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_the_english_catalogue_translates_every_message():
    entries = _po_entries(PO.read_text(encoding="utf-8"))
    messages = [e for e in entries if e["strings"]["msgid"]]
    assert len(messages) > 300
    empty = [e["strings"]["msgid"] for e in messages
             if any(v == "" for k, v in e["strings"].items() if k.startswith("msgstr"))]
    assert not empty, f"{len(empty)} untranslated, e.g. {empty[:5]}"
    fuzzy = [e["strings"]["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_the_compiled_catalogue_matches_the_po_file():
    """CI machines may lack gettext, so the .mo is committed: it must say what the .po says."""
    with MO.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in _po_entries(PO.read_text(encoding="utf-8")):
        strings = entry["strings"]
        if not strings["msgid"]:
            continue
        if "msgid_plural" in strings:
            assert compiled.ngettext(strings["msgid"], strings["msgid_plural"], 1) == strings["msgstr[0]"]
            assert compiled.ngettext(strings["msgid"], strings["msgid_plural"], 2) == strings["msgstr[1]"]
        elif "msgctxt" in strings:
            assert compiled.pgettext(strings["msgctxt"], strings["msgid"]) == strings["msgstr"], strings["msgid"]
        else:
            assert compiled.gettext(strings["msgid"]) == strings["msgstr"], strings["msgid"]


def test_placeholders_survive_translation():
    for entry in _po_entries(PO.read_text(encoding="utf-8")):
        strings = entry["strings"]
        wanted = sorted(re.findall(r"%\(\w+\)[sd]", strings["msgid"]))
        for key, value in strings.items():
            if key.startswith("msgstr") and strings["msgid"]:
                assert sorted(re.findall(r"%\(\w+\)[sd]", value)) == wanted, strings["msgid"]


def test_an_english_browser_still_gets_vietnamese_until_the_switch(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200 and '<html lang="vi">' in response.content.decode()


def test_catalog_names_follow_the_language():
    from types import SimpleNamespace

    from django.utils import translation

    from govkpi.web.templatetags.govkpi_format import local_name

    entry = SimpleNamespace(name_vi="Tỷ lệ dịch vụ công trực tuyến toàn trình", name_en="End-to-end online services")
    with translation.override("en"):
        assert local_name(entry) == "End-to-end online services"
        assert local_name(SimpleNamespace(name_vi="Chỉ có tiếng Việt", name_en="")) == "Chỉ có tiếng Việt"
    with translation.override("vi"):
        assert local_name(entry) == "Tỷ lệ dịch vụ công trực tuyến toàn trình"
