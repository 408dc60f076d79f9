"""GSM 03.38 (GSM-7) text for SMS: the default alphabet, septet counts and 160-septet messages.

Source of the character tables: 3GPP TS 23.038, section 6.2.1 (default alphabet) and 6.2.1.1
(extension table, each character sent as ESC + code, i.e. two septets).
"""

from __future__ import annotations

import unicodedata

from riskkit._validation import short_repr
from riskkit.exceptions import ParameterError

__all__ = ["GSM7_BASIC", "GSM7_EXTENDED", "SMS_SEPTETS", "gsm7_text", "septets", "sms_segments"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The 128 characters of the GSM 03.38 default alphabet (ESC excluded)."""

GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
"""Characters of the extension table: two septets each."""

SMS_SEPTETS = 160
"""Septets in one single-part SMS (140 octets of 7-bit characters)."""

_REPLACEMENTS = {
    "\t": " ", "’": "'", "‘": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "…": "...", "•": "*", "·": ".", "×": "x", "÷": "/", "≤": "<=", "≥": ">=", "≠": "!=", "±": "+/-",
    "`": "'", "´": "'", "\u00a0": " ", "°": "o", "µ": "u", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d",
}


def septets(text: str) -> int:
    """Septets needed to send ``text`` in GSM-7 (extension characters count two).

    Parameters
    ----------
    text : str
        Text made of GSM-7 characters only.

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        When ``text`` holds a character outside GSM-7 (pass it through :func:`gsm7_text` first).
    """
    total = 0
    for ch in text:
        if ch in GSM7_BASIC:
            total += 1
        elif ch in GSM7_EXTENDED:
            total += 2
        else:
            raise ParameterError(f"text has a character outside GSM-7 (got {ch!r}); use gsm7_text() first")
    return total


def gsm7_text(text: str) -> str:
    """``text`` with every character outside GSM-7 replaced.

    Typographic quotes and dashes get their ASCII form, accented letters lose the accent when the
    plain letter is in GSM-7 (``ő`` -> ``o``), anything else becomes ``?``.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Only GSM-7 characters.
    """
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
            out.append(ch)
            continue
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(c in GSM7_BASIC for c in base) else "?")
    return "".join(out)


def _take(text: str, budget: int) -> tuple[str, str]:
    """The longest head of ``text`` within ``budget`` septets (cut at a space when one is near)."""
    used, cut = 0, 0
    for i, ch in enumerate(text):
        cost = 2 if ch in GSM7_EXTENDED else 1
        if used + cost > budget:
            break
        used += cost
        cut = i + 1
    if cut >= len(text):
        return text, ""
    space = text.rfind(" ", 0, cut + 1)
    if space >= cut - 20 and space > 0:
        cut = space
    return text[:cut].rstrip(), text[cut:].lstrip()


def sms_segments(text: str, *, max_segments: int = 3) -> list[str]:
    """Split ``text`` into SMS bodies of at most 160 GSM-7 septets each.

    A text that fits in one message is sent as is (after :func:`gsm7_text`). A longer one is split
    into numbered messages ``"1/3 ..."``, ``"2/3 ..."``, each a complete SMS of at most 160
    septets; beyond ``max_segments`` the last message is cut and ends with ``...``.

    Parameters
    ----------
    text : str
        Any text.
    max_segments : int, default 3
        Most messages.

    Returns
    -------
    list of str

    Raises
    ------
    ParameterError
        When ``max_segments`` is not an integer >= 1.

    Examples
    --------
    >>> sms_segments("RED score_psi=0.31 (above 0.25)")
    ['RED score_psi=0.31 (above 0.25)']
    >>> [len(s) for s in sms_segments("x" * 200)]
    [160, 48]
    """
    if isinstance(max_segments, bool) or not isinstance(max_segments, int) or max_segments < 1:
        raise ParameterError(f"max_segments must be an integer >= 1 (got max_segments={short_repr(max_segments)})")
    clean = gsm7_text(text)
    if septets(clean) <= SMS_SEPTETS:
        return [clean]
    # numbered parts: find the part count n such that the text fits n parts with "k/n " prefixes
    parts: list[str] = []
    for n in range(2, max_segments + 1):
        rest, parts = clean, []
        while rest and len(parts) < n:
            head = f"{len(parts) + 1}/{n} "
            piece, rest = _take(rest, SMS_SEPTETS - len(head))
            parts.append(head + piece)
        if not rest:
            return parts
    n = max_segments
    if n == 1:
        piece, _ = _take(clean, SMS_SEPTETS - 3)
        return [piece + "..."]
    rest, parts = clean, []
    for k in range(1, n + 1):
        head = f"{k}/{n} "
        budget = SMS_SEPTETS - len(head) - (3 if k == n else 0)
        piece, rest = _take(rest, budget)
        parts.append(head + piece + ("..." if k == n and rest else ""))
    return parts
