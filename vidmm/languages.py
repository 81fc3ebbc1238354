"""Spoken languages by the codes Whisper uses: their English names, and which are written without spaces.

Whisper names languages with ISO 639-1 codes (``de``), a few with longer ones (``haw``, ``yue``) and one with
an old one (``jw`` for Javanese). Tasks that quote speech say which language it is in ("in German: ..."),
and text in Chinese, Japanese, Thai and the like is joined without spaces between words.
"""

from __future__ import annotations

_NAMES = """
af Afrikaans|am Amharic|ar Arabic|as Assamese|az Azerbaijani|ba Bashkir|be Belarusian|bg Bulgarian|bn Bengali
bo Tibetan|br Breton|bs Bosnian|ca Catalan|cs Czech|cy Welsh|da Danish|de German|el Greek|en English|es Spanish
et Estonian|eu Basque|fa Persian|fi Finnish|fo Faroese|fr French|gl Galician|gu Gujarati|ha Hausa|haw Hawaiian
he Hebrew|hi Hindi|hr Croatian|ht Haitian Creole|hu Hungarian|hy Armenian|id Indonesian|is Icelandic|it Italian
ja Japanese|jw Javanese|ka Georgian|kk Kazakh|km Khmer|kn Kannada|ko Korean|la Latin|lb Luxembourgish|ln Lingala
lo Lao|lt Lithuanian|lv Latvian|mg Malagasy|mi Maori|mk Macedonian|ml Malayalam|mn Mongolian|mr Marathi|ms Malay
mt Maltese|my Burmese|ne Nepali|nl Dutch|nn Norwegian Nynorsk|no Norwegian|oc Occitan|pa Punjabi|pl Polish
ps Pashto|pt Portuguese|ro Romanian|ru Russian|sa Sanskrit|sd Sindhi|si Sinhala|sk Slovak|sl Slovenian|sn Shona
so Somali|sq Albanian|sr Serbian|su Sundanese|sv Swedish|sw Swahili|ta Tamil|te Telugu|tg Tajik|th Thai
tk Turkmen|tl Tagalog|tr Turkish|tt Tatar|uk Ukrainian|ur Urdu|uz Uzbek|vi Vietnamese|yi Yiddish|yo Yoruba
yue Cantonese|zh Chinese
"""

#: Whisper's language codes and their English names.
LANGUAGES: dict[str, str] = dict(
    item.split(" ", 1) for line in _NAMES.strip().splitlines() for item in line.split("|"))
#: Languages written without spaces between words.
NO_SPACES = frozenset({"zh", "yue", "ja", "th", "lo", "my", "km", "bo"})


def language_name(code: str | None) -> str:
    """``de`` -> ``German``; an unknown code is returned as it is."""
    return LANGUAGES.get(code or "", code or "an unknown language")


def word_joiner(code: str | None) -> str:
    """What goes between two words (or two segments) of text in this language: a space, or nothing."""
    return "" if code in NO_SPACES else " "


def join_text(parts, code: str | None = None) -> str:
    """Pieces of text in one language joined as it is written."""
    return word_joiner(code).join(p.strip() for p in parts if p and p.strip()).strip()
