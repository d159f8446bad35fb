"""Linli's cases as Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) and back: a case
category is a service, a case a service request, a POST /requests form a `report`. Pure.

A request's `address` is its unit's path in Chinese postal order, the largest place first and
the unit last, written without separators (雨花区左家塘街道…金昌花园2栋1单元)."""

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from shared.errors import LinliError, NotFound, ValidationFailed

#: The ended states (销号, 重复, 退回来源): no command runs on them. Every other state, `resolved`
#: awaiting the resident's verdict included, is open.
CLOSED_STATES = frozenset({"closed", "duplicate", "sent_back"})
#: A report through Open311 comes from the internet (网上) and is of ordinary urgency (一般).
CHANNEL, URGENCY = "online", "normal"
#: What a person wrote about a step, in its timeline entry's `detail`.
NOTE_KEYS = ("result", "note", "reason")
#: The `report` RPC's fields, as its errors name them → the Open311 form fields they are made of.
FORM_FIELDS = {"category": "service_code", "unit_id": "address_id", "description": "description",
               "reporter.name": "first_name", "reporter.phone": "phone", "photos": "media_url"}
#: The Open311 form fields a report reads (`lat`, `long`, `address_string` only to explain a missing `address_id`).
FORM_READ = ("service_code", "description", "address_id", "lat", "long", "address_string", "first_name", "last_name",
             "phone", "media_url")
UNPLACED = "required: the id of a unit of the roster tree (lat/long or address_string alone cannot be placed)"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
#: What XML 1.0 cannot carry: control characters but tab, newline and CR; lone surrogates; U+FFFE, U+FFFF.
NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def status_of(state: str | None) -> str:
    """Open311's two statuses: `closed` for an ended case (`CLOSED_STATES`), `open` for any other."""
    return "closed" if state in CLOSED_STATES else "open"


# services: the categories of the cases `labels` RPC

def services_from_labels(labels: Mapping) -> list[dict]:
    """One service per case category, in the configured order. The taxonomy gives a group no
    code, so `group` is the group's Chinese label (设施维修), None for a category in no group."""
    return [_service(category) for category in labels.get("categories") or []]


def _service(category: Mapping) -> dict:
    code, group = category["code"], category.get("group")
    label = category.get("label") or code
    keywords = ",".join(dict.fromkeys(word for word in (label, code, group) if word))
    return {"service_code": code, "service_name": label, "description": f"{group}：{label}" if group else label,
            "metadata": False, "type": "realtime", "keywords": keywords, "group": group}


def service_definition(code: str, labels: Mapping) -> dict:
    """A service asks nothing beyond the standard fields, so its definition has no attributes;
    `NotFound` naming `service_code` for a code that is no category."""
    if _category(code, labels) is None:
        raise NotFound(f"no service {code}", [{"field": "service_code", "reason": "no such service"}])
    return {"service_code": code, "attributes": []}


def _category(code: str | None, labels: Mapping | None) -> Mapping | None:
    categories = (labels or {}).get("categories") or []
    return next((category for category in categories if category.get("code") == code), None)


# service requests: cases as `get_case` and `search` give them

def request_from_case(case: Mapping, labels: Mapping | None = None) -> dict:
    """A case as a service request. A `search` item lacks some fields (description, assignee,
    timeline…): what the case does not say is None. `labels` names a category the case carries
    no label for."""
    deadlines, assignee, photos = case.get("deadlines") or {}, case.get("assignee") or {}, case.get("photos") or []
    category = _category(case.get("category"), labels) or {}
    return {
        "service_request_id": case.get("case_id"),
        "status": status_of(case.get("state")),
        "status_notes": latest_note(case),
        "service_name": case.get("category_label") or category.get("label"),
        "service_code": case.get("category"),
        "description": case.get("description"),
        "agency_responsible": assignee.get("name"),
        "service_notice": None,
        "requested_datetime": _iso(case.get("reported_at")),
        "updated_datetime": _iso(case.get("updated_at") or case.get("reported_at")),
        "expected_datetime": _iso(deadlines.get("resolution")),
        "address": address_of(case.get("unit_path")),
        "address_id": case.get("unit_id"),
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": photos[0] if photos else None,
    }


def latest_note(case: Mapping) -> str | None:
    """What a person last wrote about the case: the newest timeline entry with a result, note
    or reason (so a case reopened after its result shows why); without a timeline (a `search`
    item), the case's `result`."""
    for entry in reversed(case.get("timeline") or []):
        detail = entry.get("detail") or {}
        note = next((detail[key] for key in NOTE_KEYS if isinstance(detail.get(key), str) and detail[key]), None)
        if note:
            return note
    return case.get("result") or None


def address_of(unit_path: Sequence[str] | None) -> str | None:
    """The unit's path as a Chinese address: district first, unit last, no separators."""
    return "".join(unit_path) if unit_path else None


def _iso(moment: datetime | str | None) -> str | None:
    return moment.isoformat() if isinstance(moment, datetime) else moment


# reports: the form of POST /requests

def report_from_form(form: Mapping[str, str], labels: Mapping | None = None) -> dict:
    """The keyword arguments of cases' `report` for an Open311 form. Stricter than Open311 where
    a case needs it: `description` and a name (`first_name` or `last_name`) are required, and so
    is `address_id`, the unit of the roster tree a case is placed at (`lat`/`long` or
    `address_string` alone place nothing). `email` and `attribute[…]` are not kept. With
    `labels`, an unknown `service_code` is refused here. `ValidationFailed` names every problem."""
    given = filled_in(form)
    problems = form_problems(given, labels)
    if problems:
        summary = ", ".join(f"{p['field']}: {p['reason']}" for p in problems)
        raise ValidationFailed(f"invalid service request ({summary})", problems)
    reporter = {"name": reporter_name(given["first_name"], given["last_name"])}
    if given["phone"]:
        reporter["phone"] = given["phone"]
    report = {"channel": CHANNEL, "category": given["service_code"], "unit_id": given["address_id"],
              "description": given["description"], "reporter": reporter, "urgency": URGENCY}
    if given["media_url"]:
        report["photos"] = [given["media_url"]]
    return report


def filled_in(form: Mapping[str, str]) -> dict[str, str | None]:
    """Each form field a report reads, without surrounding spaces; None for one missing or blank."""
    return {name: _stripped(form.get(name)) for name in FORM_READ}


def _stripped(value: str | None) -> str | None:
    return None if value is None else str(value).strip() or None


def form_problems(given: Mapping[str, str | None], labels: Mapping | None = None) -> list[dict]:
    """Every missing or unknown field of a form (`filled_in`), as `{field, reason}` in its terms."""
    problems = [{"field": name, "reason": "required"} for name in ("service_code", "description") if not given[name]]
    if labels is not None and given["service_code"] and _category(given["service_code"], labels) is None:
        problems.append({"field": "service_code", "reason": "no such service"})
    if not given["address_id"]:
        placed_otherwise = any(given[name] for name in ("lat", "long", "address_string"))
        problems.append({"field": "address_id", "reason": UNPLACED if placed_otherwise else "required"})
    if not (given["first_name"] or given["last_name"]):
        problems.append({"field": "first_name", "reason": "required (or last_name)"})
    return problems


def reporter_name(first: str | None, last: str | None) -> str:
    """The name as it is written: a Chinese one family name first with no space (立 + 王 →
    王立), any other "first last" (Jane Doe); either one alone as it is."""
    if first and last:
        return f"{last}{first}" if _written_in_hanzi(first) and _written_in_hanzi(last) else f"{first} {last}"
    return first or last or ""


def _written_in_hanzi(text: str) -> bool:
    return all(unicodedata.name(character, "").startswith("CJK ") for character in text)


def in_form_terms(error: LinliError) -> LinliError:
    """An error of the `report` RPC, its details naming the form fields the client sent
    (`category` → `service_code`, `reporter.phone` → `phone`, `photos.0` → `media_url`)."""
    return type(error)(error.message, [_renamed(detail) for detail in error.details])


def _renamed(detail: dict) -> dict:
    field = str(detail.get("field", ""))
    form_field = FORM_FIELDS.get(field) or FORM_FIELDS.get(field.split(".")[0])
    if form_field is None:
        return detail
    # the Chinese reason names the RPC's field: left out, so the error says it anew for the form's
    return {**{k: v for k, v in detail.items() if k != "reason_zh"}, "field": form_field}


# the answers: XML and errors

def to_xml(root: str, item: str, rows: Sequence[Mapping]) -> bytes:
    """GeoReport's XML: `<root>` with one `<item>` per row (one row too), a child per field.
    None is an empty element, a bool `true`/`false`, a list its items comma-separated
    (keywords), a mapping child elements; characters XML 1.0 cannot carry are left out."""
    tree = ET.Element(root)
    for row in rows:
        _fill(ET.SubElement(tree, item), row)
    return _document(tree)


def _document(tree: ET.Element) -> bytes:
    return XML_DECLARATION + ET.tostring(tree, encoding="unicode").encode("utf-8")


def _fill(element: ET.Element, fields: Mapping) -> None:
    for name, value in fields.items():
        child = ET.SubElement(element, str(name))
        if isinstance(value, Mapping):
            _fill(child, value)
        else:
            child.text = xml_text(value)


def xml_text(value: Any) -> str | None:
    """A field's value as the text of its element (None: no text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(xml_text(item) or "" for item in value)
    return NOT_XML.sub("", str(value))


def errors_body(code: int, description: str) -> list[dict]:
    """GeoReport's error answer: `code` is the HTTP status."""
    return [{"code": code, "description": description}]


def errors_from(error: LinliError, status: int) -> list[dict]:
    """One GeoReport error per detail of `error` (`field: reason`), or its message without details."""
    if not error.details:
        return errors_body(status, error.message)
    return [{"code": status, "description": f"{detail.get('field')}: {detail.get('reason')}"}
            for detail in error.details]


def object_xml(root: str, fields: Mapping) -> bytes:
    """One object as GeoReport's XML: `<root>` with a child per field (a service definition)."""
    tree = ET.Element(root)
    _fill(tree, fields)
    return _document(tree)


# GET /requests: its filters as a search of cases

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MEDIA_TYPES = ("text/xml", "application/json")
STATUSES = ("open", "closed")
MAX_IDS = 50  # service_request_id=a,b,…: at most this many at once
DEFAULT_DAYS = 90  # without start_date or end_date, the requests of the last 90 days; a range spans at most this
MAX_CODES = 20  # service_code=a,b,…: at most this many at once
MOST_LISTED = 200  # GET /requests answers at most this many, newest first


def discovery(base_url: str, contact: str, changeset: str) -> dict:
    """The discovery document: where the GeoReport v2 endpoint is and what it speaks."""
    return {"changeset": changeset, "contact": contact,
            "key_service": "API keys are issued by the district's operations team (the gateway's issue_key RPC)",
            "endpoints": [{"specification": SPECIFICATION, "url": base_url, "changeset": changeset,
                           "type": "production", "formats": list(MEDIA_TYPES)}]}


def discovery_xml(document: Mapping) -> bytes:
    """The discovery document as XML: each endpoint an `<endpoint>`, each format a `<format>`."""
    tree = ET.Element("discovery")
    for name in ("changeset", "contact", "key_service"):
        ET.SubElement(tree, name).text = xml_text(document.get(name))
    endpoints = ET.SubElement(tree, "endpoints")
    for endpoint in document.get("endpoints") or []:
        element = ET.SubElement(endpoints, "endpoint")
        for name in ("specification", "url", "changeset", "type"):
            ET.SubElement(element, name).text = xml_text(endpoint.get(name))
        formats = ET.SubElement(element, "formats")
        for given in endpoint.get("formats") or []:
            ET.SubElement(formats, "format").text = xml_text(given)
    return _document(tree)


def requested_ids(query: Mapping[str, str]) -> list[str] | None:
    """`service_request_id=a,b`: the ids asked for, in order, each once; None when not given."""
    given = query.get("service_request_id")
    if given is None:
        return None
    ids = list(dict.fromkeys(part.strip() for part in given.split(",") if part.strip()))
    if not ids or len(ids) > MAX_IDS:
        raise ValidationFailed("service_request_id: 1 to 50 ids, comma-separated",
                               [{"field": "service_request_id", "reason": f"1 to {MAX_IDS} ids, comma-separated"}])
    return ids


def search_arguments(query: Mapping[str, str], states: Sequence[str], today_local: date, zone: tzinfo) -> list[dict]:
    """The arguments of cases' `search`, one search per category, for GET /requests's filters:
    `service_code` (categories, comma-separated; all by default), `status` (`open`, `closed` or
    both, comma-separated), `start_date` and `end_date` (ISO 8601 moments, read as the local
    days the cases were received; the last 90 days by default, and at most 90 days).
    `states`: every case state. `ValidationFailed` names every filter at fault."""
    problems: list[dict] = []
    codes = list(dict.fromkeys(part.strip() for part in (query.get("service_code") or "").split(",") if part.strip()))
    if len(codes) > MAX_CODES:
        problems.append({"field": "service_code", "reason": f"at most {MAX_CODES} codes, comma-separated"})
    statuses = {part.strip() for part in (query.get("status") or "").split(",") if part.strip()}
    if statuses - set(STATUSES):
        problems.append({"field": "status", "reason": "open, closed or both, comma-separated"})
    days = {}
    for name in ("start_date", "end_date"):
        if query.get(name):
            try:
                moment = datetime.fromisoformat(query[name])
                days[name] = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(zone).date()
            except (ValueError, OverflowError):  # not a moment, or one whose local day is past the calendar
                problems.append({"field": name, "reason": "not an ISO 8601 moment (e.g. 2026-11-01T00:00:00+08:00)"})
    first, last = _period(days, today_local, problems)
    if problems:
        raise ValidationFailed("invalid filters (" + ", ".join(f"{p['field']}: {p['reason']}" for p in problems) + ")",
                               problems)
    arguments: dict = {"date_from": first.isoformat(), "date_to": last.isoformat(), "limit": MOST_LISTED}
    if len(statuses) == 1:
        wanted = statuses.pop()
        arguments["state"] = [state for state in states if status_of(state) == wanted]
    return [{**arguments, "category": code} for code in codes] if codes else [arguments]


def _period(days: Mapping[str, date], today_local: date, problems: list[dict]) -> tuple[date, date]:
    """The local days searched, both included: the 90 days up to `end_date` (today by default),
    or from `start_date`; a range given wrong is added to `problems`, naming the day at fault."""
    last = days.get("end_date") or today_local
    span = timedelta(days=DEFAULT_DAYS - 1)
    first = days.get("start_date") or (last - span if last - date.min >= span else date.min)
    if first > last:
        blamed = "end_date" if "end_date" in days else "start_date"
        problems.append({"field": blamed, "reason": "the range must not end before it starts"
                         + ("" if "end_date" in days else " (it ends today unless end_date says otherwise)")})
    elif last - first > span:
        blamed = "end_date" if "end_date" in days else "start_date"
        problems.append({"field": blamed, "reason": f"a range spans at most {DEFAULT_DAYS} days"})
    return first, last


def newest_first(found: Sequence[Sequence[Mapping]]) -> list[Mapping]:
    """The cases several searches found, newest first, at most `MOST_LISTED`."""
    cases = [case for page in found for case in page]
    return sorted(cases, key=lambda case: str(case.get("reported_at") or ""), reverse=True)[:MOST_LISTED]
