"""What a push says, in the device's locale, and the payload SNS carries to FCM or APNs.

A report's push is generic on purpose: a lock screen shows it to anyone nearby, so it
never holds report, note or message text; its data is the report id alone.
"""

import json

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"

REPORT_UPDATE = {"zh-CN": ("有新的进展", "您的报告有新的进展"),
                 "en": ("There is an update on your report", "Open the app to see it.")}
CATEGORY_NAMES = {
    "zh-CN": {"missing_person": "寻人", "suspect": "通缉", "vehicle": "车辆",
              "key_case": "案件征集线索", "lost_and_found": "失物招领"},
    "en": {"missing_person": "Missing person", "suspect": "Wanted", "vehicle": "Vehicle",
           "key_case": "Appeal for information", "lost_and_found": "Lost and found"},
}
OUTCOMES = {
    "zh-CN": {"found": "已找到", "arrested": "已抓获", "recovered": "已找回",
              "returned": "已归还", "closed": "已结案", "retracted": "已撤回"},
    "en": {"found": "Found", "arrested": "Arrested", "recovered": "Recovered",
           "returned": "Returned", "closed": "Closed", "retracted": "Withdrawn"},
}


def report_update(locale: str, report_id: str) -> dict:
    title, body = REPORT_UPDATE[_known(locale)]
    return {"title": title, "body": body, "data": {"report_id": report_id}}


def alert(locale: str, *, bulletin_id: str, category: str, district: str, title: str,
          outcome: str | None) -> dict:
    locale = _known(locale)
    kind = CATEGORY_NAMES[locale].get(category, category)
    heading = f"{kind} · {district}"
    if outcome is not None:
        heading = f"{OUTCOMES[locale].get(outcome, outcome)}: {heading}"
    data = {"bulletin_id": bulletin_id, "category": category, "district": district}
    if outcome is not None:
        data["outcome"] = outcome
    return {"title": heading, "body": title, "data": data}


def sns_message(push: dict) -> str:
    """The Publish Message (MessageStructure=json): one payload per push service."""
    fcm = {"notification": {"title": push["title"], "body": push["body"]}, "data": push["data"]}
    apns = {"aps": {"alert": {"title": push["title"], "body": push["body"]}, "sound": "default"},
            **push["data"]}
    return json.dumps({"default": push["body"],
                       "GCM": json.dumps(fcm, ensure_ascii=False),
                       "APNS": json.dumps(apns, ensure_ascii=False),
                       "APNS_SANDBOX": json.dumps(apns, ensure_ascii=False)},
                      ensure_ascii=False)


def _known(locale: str) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE
