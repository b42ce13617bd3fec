"""The CJK font of every report: charts (matplotlib) and PDFs (the HTML's ``@font-face``).

A fresh machine has no Chinese font, and matplotlib then draws Chinese labels as empty
boxes with a "Glyph ... missing from font(s) DejaVu Sans" warning that also lands in the
rendered HTML. The font therefore comes from a Python package dependency, so that it is
there wherever ``pip install`` ran, with a system font only as a fallback.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import SlaError

ENV_VAR = "SLA_CJK_FONT"
PACKAGE = "paperang_p2_fonts_cjk"
PACKAGE_FILE = "fonts/wqy-microhei.ttc"

# System fonts tried first, by family name (all carry the common Simplified Chinese set).
_KNOWN_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
)
_PROBE = "中文统计"  # a font qualifies when it maps every one of these characters


def cjk_font_path() -> Path:
    """The font file used for Chinese in charts and PDFs, in this order:

    1. the file named by the environment variable ``SLA_CJK_FONT`` (an error if it does
       not exist: a setting that silently does nothing is worse than none);
    2. WenQuanYi Micro Hei (文泉驿微米黑, TrueType collection; Apache-2.0 / GPL-3 with the
       font exception, so redistribution is allowed), shipped by the PyPI package
       ``paperang-p2-fonts-cjk`` as ``paperang_p2_fonts_cjk/fonts/wqy-microhei.ttc``.
       TrueType was chosen because it renders in every PDF viewer tried; an OpenType-CFF
       Noto Sans SC embedded in a WeasyPrint PDF was blank in MuPDF. SimHei is not used:
       its licence does not allow redistribution;
    3. a Chinese font installed on the system, as matplotlib's font_manager sees it
       (known families first, then any font that maps common Chinese characters).

    Raises :class:`sla_lib.errors.SlaError` saying what to install when none is found.
    """
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise SlaError(f"{ENV_VAR}={configured}: no such font file; point it at a .ttf/.ttc/.otf file or unset it")
        return path
    packaged = _package_font()
    if packaged is not None:
        return packaged
    system = _system_font()
    if system is not None:
        return system
    raise SlaError(
        "no Chinese (CJK) font found for charts and PDFs: install the Python package "
        "paperang-p2-fonts-cjk (pip install paperang-p2-fonts-cjk, a dependency of sla-lib), "
        "or a system font (Debian/Ubuntu: apt install fonts-wqy-microhei or fonts-noto-cjk), "
        f"or set {ENV_VAR} to a font file"
    )


def cjk_font_family() -> str:
    """The family name matplotlib gives the font of :func:`cjk_font_path` (for a
    collection, its first face): 'WenQuanYi Micro Hei' with the packaged font."""
    return _family_of(str(cjk_font_path()))


@lru_cache(maxsize=8)
def _family_of(path: str) -> str:
    from matplotlib import font_manager

    return font_manager.get_font(path).family_name


def _package_font() -> Path | None:
    try:
        candidate = resources.files(PACKAGE).joinpath(PACKAGE_FILE)
    except ModuleNotFoundError:
        return None
    path = Path(str(candidate))
    return path if path.is_file() else None


def _maps(path: str, text: str = _PROBE) -> bool:
    from matplotlib import font_manager

    try:
        charmap = font_manager.get_font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in text)


def _system_font(entries=None) -> Path | None:
    """A CJK font among matplotlib's known fonts (``entries``: FontEntry list, default
    ``fontManager.ttflist``): a known family first, else the first font by file name that
    maps :data:`_PROBE`."""
    if entries is None:
        from matplotlib import font_manager

        entries = font_manager.fontManager.ttflist
    by_name: dict[str, str] = {}
    for entry in entries:
        by_name.setdefault(entry.name, entry.fname)
    for family in _KNOWN_FAMILIES:
        if family in by_name and Path(by_name[family]).is_file() and _maps(by_name[family]):
            return Path(by_name[family])
    for fname in sorted({entry.fname for entry in entries}):
        if Path(fname).is_file() and _maps(fname):
            return Path(fname)
    return None
