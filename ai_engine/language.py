"""Message catalogues the engine owns (lang/<code>.yaml): tag names, nouns, sentence patterns.

No model and no Django: each catalogue is a YAML file with the same keys as en.yaml.
An unknown language falls back to English, with one logged warning per code.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("ai_engine")

LANG_DIR = os.path.join(os.path.dirname(__file__), "lang")
LANGUAGES = ("en", "de", "fr", "es")
DEFAULT_LANGUAGE = "en"

_warned: set[str] = set()
_warn_lock = threading.Lock()


@dataclass(frozen=True)
class Noun:
    one: str
    many: str
    gender: str  # "m", "f", "n", or "" (English)
    mass: bool  # no article and no plural: "cattle", "du bétail", "Musik"
    dative: str  # German dative plural / mass form; "" where it is the plain form
    article: str  # English override of the a/an rule


class Catalogue:
    def __init__(self, code: str, data: dict[str, Any]) -> None:
        self.code = code
        self.name = str(data.get("name", code))
        self.numbers = [str(n) for n in data.get("numbers", [])]
        self.months = [str(m) for m in data.get("months", [])]
        self.articles = {str(k): str(v) for k, v in (data.get("articles") or {}).items()}
        self.articles_dat = {str(k): str(v) for k, v in (data.get("articles_dat") or {}).items()}
        self.fixes = [(str(a), str(b)) for a, b in data.get("fixes") or []]
        self.words = {str(k): str(v) for k, v in (data.get("words") or {}).items()}
        self.patterns = {str(k): str(v) for k, v in (data.get("patterns") or {}).items()}
        self.tags = {str(k): str(v) for k, v in (data.get("tags") or {}).items()}
        self.tones = {str(k): str(v) for k, v in (data.get("tones") or {}).items()}
        self.scenes = {
            str(k): {str(a): str(b) for a, b in (v or {}).items()}
            for k, v in (data.get("scenes") or {}).items()
        }
        self.nouns: dict[str, Noun] = {}
        for key, spec in (data.get("nouns") or {}).items():
            spec = spec or {}
            mass = "mass" in spec
            one = str(spec.get("mass") if mass else spec.get("one", key))
            self.nouns[str(key)] = Noun(
                one=one,
                many=str(spec.get("many", one)),
                gender=str(spec.get("g", "")),
                mass=mass,
                dative=str(spec.get("dat", "")),
                article=str(spec.get("a", "")),
            )

    def tag_name(self, key: str) -> str:
        """The shown name of a tag; keys the catalogue doesn't know stay as they are."""
        if key in self.tags:
            return self.tags[key]
        noun = self.nouns.get(key)
        return noun.one if noun else key

    def number(self, n: int) -> str:
        return self.numbers[n] if 0 <= n < len(self.numbers) else str(n)

    def fix(self, text: str) -> str:
        padded = f" {text} "
        for wrong, right in self.fixes:
            padded = padded.replace(wrong, right)
        return padded[1:-1]


@functools.cache
def _load(code: str) -> Catalogue:
    import yaml

    with open(os.path.join(LANG_DIR, f"{code}.yaml"), encoding="utf-8") as fh:
        return Catalogue(code, yaml.safe_load(fh))


def normalise(language: str | None) -> str:
    """ "de-AT", "fr_FR", "ES" -> the catalogue's code; unknown -> English (warned once)."""
    code = (language or DEFAULT_LANGUAGE).strip().lower().replace("_", "-").split("-")[0]
    if code in LANGUAGES:
        return code
    with _warn_lock:
        if code not in _warned:
            _warned.add(code)
            logger.warning(
                "No catalogue for language %r; writing English (supported: %s)",
                language,
                ", ".join(LANGUAGES),
            )
    return DEFAULT_LANGUAGE


def catalogue(language: str | None) -> Catalogue:
    return _load(normalise(language))


def tag_name(key: str, language: str | None) -> str:
    return catalogue(language).tag_name(key)


def country_name(code: str, language: str | None) -> str:
    """A country's name in the language (pycountry's ISO 3166 catalogues); else the code."""
    try:
        import pycountry
    except ImportError:
        return code
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    name = str(getattr(country, "common_name", None) or country.name)
    lang = normalise(language)
    if lang == "en":
        return name
    translation = _country_translation(lang, pycountry.LOCALES_DIR)
    return translation.gettext(str(country.name)) if translation else name


@functools.cache
def _country_translation(lang: str, locales_dir: str) -> Any:
    import gettext

    try:
        return gettext.translation("iso3166-1", locales_dir, languages=[lang])
    except OSError:
        return None
