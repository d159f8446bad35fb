"""What the RPCs return: plain JSON, times as ISO text, addresses masked unless the role needs them."""

from collections.abc import Mapping

from services.notifications import delivery
from shared.clock import plain
from shared.privacy import mask_phone


def mask_address(key: str, value: str | None) -> str | None:
    if not value:
        return value
    if key == "phone":
        return mask_phone(value)
    if key == "email" and "@" in value:
        name, domain = value.split("@", 1)
        return f"{name[:1]}***@{domain}"
    return value[:2] + "***"


def notice_view(notice: Mapping, by_state: Mapping[str, int]) -> dict:
    keep = ("template", "fields", "urgency", "audiences", "state", "recipients", "skipped", "by", "source",
            "created_at", "finished_at")
    return {"notice_id": notice["_id"], **plain({k: notice.get(k) for k in keep}), "messages": dict(by_state)}


def message_view(message: Mapping, unmasked: bool, digest: Mapping | None = None) -> dict:
    """A message's delivery log; a message folded into a digest tells the digest's too."""
    addresses = {k: v if unmasked else mask_address(k, v) for k, v in (message.get("addresses") or {}).items()}
    view = {"message_id": message["_id"], "notice_id": message.get("notice_id"), "person_id": message["person_id"],
            "name": message.get("name"), "title": message["title"], "body": message["body"],
            "urgency": message.get("urgency"), "addresses": addresses, "due_at": message.get("due_at"),
            "sent_at": message.get("sent_at"), "digest_key": message.get("digest_key"),
            "members": list(message.get("members") or ()), **delivery.status_of(message)}
    if digest is not None:
        view["digest"] = {"message_id": digest["_id"], **delivery.status_of(digest)}
    return plain(view)


def inbox_view(item: Mapping) -> dict:
    return {"item_id": item["_id"], **plain({k: item.get(k) for k in ("notice_id", "urgency", "title", "body",
                                                                      "created_at", "read_at")})}
