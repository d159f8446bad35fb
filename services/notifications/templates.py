"""Messages in Chinese from templates and the fields of a case, a task or a notice; phone and
ID numbers masked in whatever the fields carry. A digest is rendered from the messages it holds.

A template is `{title, body}`, each a `str.format` text over the fields (`{category_label}`);
`TEMPLATES` holds the built-in ones, config may add or replace them."""

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.privacy import mask_id_number, mask_phone

TEMPLATES: dict[str, dict[str, str]] = {
    "notice": {"title": "{title}", "body": "{body}"},
    "case_dispatched": {"title": "新派单：{category_label}",
                        "body": "{place}的{category_label}事件（{urgency_label}）已派给{assignee}，请及时接单处理。"
                                "事件编号 {case_id}。{description}"},
    "case_accepted": {"title": "已接单：{category_label}",
                      "body": "{place}的{category_label}事件已由{assignee}接单处理。事件编号 {case_id}。"},
    "case_overdue": {"title": "督办：{category_label}已超期",
                     "body": "{place}的{category_label}事件已超过办理时限，现提请{supervisor}督办。"
                             "事件编号 {case_id}。"},
    "case_resolved": {"title": "已办结：{category_label}",
                      "body": "{place}的{category_label}事件已办结：{result}。事件编号 {case_id}。"},
    "case_reopened": {"title": "重办：{category_label}",
                      "body": "{place}的{category_label}事件因居民不满意已重新办理，请尽快处理。事件编号 {case_id}。"},
    "task_opened": {"title": "{team_name}新任务：{title}",
                    "body": "{team_name}发布了新任务「{title}」（{kind_label}），时间 {starts_at}，"
                            "需要 {headcount} 人，欢迎认领。"},
    "task_promoted": {"title": "已递补认领：{title}",
                      "body": "您已从候补名单递补认领「{title}」，时间 {starts_at}，请及时确认。"},
    "task_reminder": {"title": "任务提醒：{title}",
                      "body": "您认领的「{title}」将于 {starts_at} 开始（约 {starts_in_minutes} 分钟后），"
                              "请准时参加。"},
    "task_unclaimed": {"title": "无人认领：{title}",
                       "body": "{team_name}的任务「{title}」将于 {starts_at} 开始，目前无人认领，请安排。"},
    "appointed": {"title": "聘任通知：{role_label}",
                  "body": "您已被聘为{unit_name}的{role_label}，感谢您为邻里服务。"},
}

#: Mainland mobile numbers and 18-digit ID numbers wherever they stand in a text.
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
_FORMATTER = string.Formatter()


class BadTemplate(ValueError):
    """`field` (`template`, `fields.<name>`) and `reason`."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def masked(text: str) -> str:
    """`text` with every mobile and ID number in it masked."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()) or "", text)
    return _MOBILE.sub(lambda m: mask_phone(m.group()) or "", text)


def needed(template: Mapping[str, str]) -> set[str]:
    """The fields a template names."""
    names = set()
    for text in (template["title"], template["body"]):
        for _, name, _, _ in _FORMATTER.parse(text):
            if name:
                names.add(name.split(".")[0].split("[")[0])
    return names


def render(catalogue: Mapping[str, Mapping[str, str]], template_id: str, fields: Mapping) -> Rendered:
    """The message; `BadTemplate` naming `template` when it is unknown, `fields.<name>` for each
    field it needs and was not given."""
    template = catalogue.get(template_id)
    if template is None:
        raise BadTemplate("template", f"is not a known template: {template_id}")
    missing = sorted(needed(template) - set(fields))
    if missing:
        raise BadTemplate(f"fields.{missing[0]}", "is needed by the template")
    values = {k: "" if v is None else v for k, v in fields.items()}
    try:
        return Rendered(masked(template["title"].format_map(values)), masked(template["body"].format_map(values)))
    except (KeyError, IndexError, ValueError, AttributeError) as error:
        raise BadTemplate("template", f"cannot be filled: {error}") from None


def digest(titles: Sequence[str], limit: int = 20) -> Rendered:
    """One message for several: how many, and their titles (the first `limit`)."""
    lines = [f"{n}. {t}" for n, t in enumerate(titles[:limit], start=1)]
    if len(titles) > limit:
        lines.append(f"……另有 {len(titles) - limit} 条")
    return Rendered(f"您有 {len(titles)} 条新消息", "\n".join(lines))


def check_catalogue(catalogue: Mapping) -> dict[str, dict[str, str]]:
    """Templates given in config, checked: each `{title, body}` of text that `str.format` reads."""
    checked = {}
    for template_id, template in catalogue.items():
        if not isinstance(template, Mapping) or set(template) != {"title", "body"}:
            raise BadTemplate(f"TEMPLATES.{template_id}", "must be {title, body}")
        try:
            needed(template)
        except ValueError as error:
            raise BadTemplate(f"TEMPLATES.{template_id}", str(error)) from None
        checked[str(template_id)] = {"title": str(template["title"]), "body": str(template["body"])}
    return checked
