"""Chinese for the errors front ends show: a sentence per error code, and each detail's
English `reason` as a Chinese phrase naming its field (the words themselves: `shared.terms_zh`).

Plain Python, so that `shared.errors` (and the domain modules that raise its errors) may use it.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from shared.terms_zh import FIELDS, LEVELS, PATTERNS, REASONS, STATES

#: One sentence per error code, for a message box.
CODE_SENTENCES: dict[str, str] = {
    "error": "请求未能完成",
    "invalid": "提交的内容有误",
    "not_found": "没有找到要操作的对象",
    "conflict": "与当前数据冲突",
    "forbidden": "无权进行此操作",
    "invalid_transition": "当前状态不允许此操作",
    "unavailable": "服务暂时不可用，请稍后再试",
    "unauthenticated": "未能确认调用方身份，请检查 API 密钥",
    "rate_limited": "请求过于频繁，请稍后再试",
}
MOST_SHOWN = 5  # details named in one message; the rest are counted
_COMPILED = [(re.compile(pattern), template) for pattern, template in PATTERNS]


def code_sentence(code: str) -> str:
    """The sentence for an error code (an unknown code gets the general one)."""
    return CODE_SENTENCES.get(code, CODE_SENTENCES["error"])


def field_label(field: str) -> str:
    """A field as a reader sees it: `手机号（reporter.phone）`, or `字段「colour」` when unnamed here."""
    words = [part for part in str(field).split(".") if part and not part.isdigit()]
    name = FIELDS.get(words[-1]) if words else None
    if field in ("", "_schema"):
        return FIELDS["_schema"]
    return f"{name}（{field}）" if name else f"字段「{field}」"


def reason_phrase(reason: str) -> str | None:
    """The Chinese of an English reason without its field, or None when there is none."""
    text = str(reason).strip()
    if text in REASONS:
        return REASONS[text]
    for pattern, template in _COMPILED:
        if found := pattern.fullmatch(text):
            return template.format(*(_term(part or "") for part in found.groups()))
    parts = [part for part in text.split("; ") if part]
    if len(parts) > 1:
        phrases = [reason_phrase(part) for part in parts]
        if all(phrases):
            return "，".join(phrases)
    return None


def reason_zh(field: str, reason: str) -> str:
    """The detail as a Chinese sentence naming its field; a reason without a translation
    still gives one (`字段「colour」的值不符合要求`)."""
    phrase = reason_phrase(reason)
    return f"{field_label(field)}{phrase}" if phrase else f"{field_label(field)}的值不符合要求"


def with_reason_zh(detail: Any) -> Any:
    """A detail `{field, reason, ...}` with its `reason_zh` (one it already has is kept)."""
    if not isinstance(detail, Mapping) or "reason" not in detail or "reason_zh" in detail:
        return detail
    return {**detail, "reason_zh": reason_zh(detail.get("field", ""), detail["reason"])}


def message_zh(code: str, details: Sequence[Any] = ()) -> str:
    """The error as one Chinese sentence: the code's sentence, then each detail's `reason_zh`."""
    said = [d["reason_zh"] for d in details if isinstance(d, Mapping) and isinstance(d.get("reason_zh"), str)]
    if not said:
        return f"{code_sentence(code)}。"
    more = f"等{len(said)}项" if len(said) > MOST_SHOWN else ""
    return f"{code_sentence(code)}：{'；'.join(said[:MOST_SHOWN])}{more}。"


def _term(word: str) -> str:
    """A state or level code inside a reason, in Chinese when it is one (`resolved` → 已办结)."""
    words = [w.strip() for w in word.split(",")]
    if len(words) > 1:
        return "、".join(_term(w) for w in words)
    if word in STATES:
        return f"{STATES[word]}（{word}）"
    return LEVELS.get(word, word)
