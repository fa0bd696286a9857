"""The admin site agrees with the API it calls, without a browser: the bulletin fields it
offers are the ones the API takes, every error code the API can answer has a message in
both languages, the enums it shows are the API's, and the CSP served offline is the one
CloudFront serves."""

import json
import re
from pathlib import Path

import msgspec
import pytest
from msgspec import inspect

from chalicelib.bulletins import fields as bulletin_fields
from chalicelib.bulletins.fields import BulletinStatus, Outcome
from chalicelib.errors import ErrorCode
from chalicelib.media.uploads import IMAGE_TYPES
from chalicelib.reports.bodies import CATEGORIES as REPORT_CATEGORIES
from chalicelib.reports.bodies import STATUSES as REPORT_STATUSES
from chalicelib.reports.triage import NEXT_STATUSES
from local import admin_site
from local.bootstrap import load_template

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "admin"
LANGUAGES = ("zh-CN", "en")
SCHEMA = json.loads((SITE / "bulletin-fields.json").read_text())
# Codes the site itself makes (api.js): no answer, or an answer that is not the app's.
SITE_CODES = {"network_error", "upload_failed", "session_expired", "not_staff",
              "http_403", "http_413", "http_429", "http_502", "http_503", "http_504"}


def messages(language: str) -> dict[str, str]:
    return json.loads((SITE / "i18n" / f"{language}.json").read_text())


def test_every_api_error_code_has_a_message_in_both_languages():
    codes = {code.value for code in ErrorCode} | SITE_CODES
    for language in LANGUAGES:
        missing = sorted(code for code in codes if f"error.{code}" not in messages(language))
        assert not missing, f"{language} lacks messages for {missing}"


def test_both_languages_have_the_same_messages_and_placeholders():
    chinese, english = messages("zh-CN"), messages("en")
    assert set(chinese) == set(english)
    for key in chinese:
        placeholders = set(re.findall(r"\{(\w+)\}", chinese[key]))
        # A translation may leave out a placeholder (zh omits English detail), never add one.
        assert set(re.findall(r"\{(\w+)\}", english[key])) >= placeholders - {"detail"}, key
        assert chinese[key].strip() and english[key].strip(), key


def test_every_message_the_scripts_name_exists():
    used = set()
    for script in (SITE / "js").rglob("*.js"):
        used |= set(re.findall(r'\bt\("([a-z_.]+)"', script.read_text()))
    assert len(used) > 100
    missing = sorted(used - set(messages("zh-CN")))
    assert not missing, missing


@pytest.mark.parametrize(("group", "values"), [
    ("report_category", REPORT_CATEGORIES),
    ("report_status", REPORT_STATUSES),
    ("bulletin_category", bulletin_fields.CATEGORIES),
    ("bulletin_status", tuple(BulletinStatus)),
    ("outcome", tuple(Outcome)),
])
def test_every_value_the_api_sends_has_a_name_in_both_languages(group, values):
    for language in LANGUAGES:
        missing = [value for value in values if f"{group}.{value}" not in messages(language)]
        assert not missing, (language, group, missing)


def test_the_report_enums_of_the_site_are_the_apis():
    script = (SITE / "js" / "views" / "reports.js").read_text()

    def array(name: str) -> list[str]:
        body = re.search(rf"export const {name} = \[(.*?)\];", script, re.S).group(1)
        return re.findall(r'"([a-z_]+)"', body)

    assert tuple(array("CATEGORIES")) == REPORT_CATEGORIES
    assert tuple(array("STATUSES")) == REPORT_STATUSES
    moves = re.search(r"const NEXT_STATUSES = \{(.*?)\};", script, re.S).group(1)
    site_moves = {status: tuple(re.findall(r'"([a-z_]+)"', targets))
                  for status, targets in re.findall(r"(\w+): \[([^\]]*)\]", moves)}
    assert site_moves == NEXT_STATUSES


def describe(type_info) -> dict:
    """A msgspec field type in bulletin-fields.json's terms."""
    if isinstance(type_info, inspect.UnionType):
        [type_info] = [kind for kind in type_info.types if not isinstance(kind, inspect.NoneType)]
    if isinstance(type_info, inspect.StrType):
        kind = "line" if type_info.pattern == bulletin_fields._LINE else "text"
        return {"type": kind, "max": type_info.max_length}
    if isinstance(type_info, inspect.IntType):
        return {"type": "int", "min": type_info.ge, "max": type_info.le}
    if isinstance(type_info, inspect.LiteralType):
        return {"type": "choice", "options": sorted(type_info.values)}
    if isinstance(type_info, inspect.ListType):
        return {"type": "list", "max": type_info.item_type.max_length,
                "max_items": type_info.max_length}
    return {inspect.DateTimeType: {"type": "datetime"}, inspect.DateType: {"type": "date"},
            inspect.BoolType: {"type": "bool"}}[type(type_info)]


def site_fields(specs: list[dict]) -> list[dict]:
    return [{**spec, "options": sorted(spec["options"])} if "options" in spec else spec
            for spec in specs]


@pytest.mark.parametrize("category", bulletin_fields.CATEGORIES)
def test_the_bulletin_form_offers_exactly_the_fields_the_api_takes(category):
    [struct] = [kind for kind in bulletin_fields.BulletinDraft.__args__
                if kind.__struct_config__.tag == category]
    api_fields = [{"name": field.name, **describe(field.type), "required": field.required}
                  for field in inspect.type_info(struct).fields]
    offered = site_fields(SCHEMA["common"] + SCHEMA["categories"][category])
    assert offered == api_fields


def test_the_bulletin_choices_are_the_apis():
    assert list(SCHEMA["categories"]) == list(bulletin_fields.CATEGORIES)
    assert tuple(SCHEMA["outcomes"]) == tuple(Outcome)
    assert tuple(SCHEMA["statuses"]) == tuple(BulletinStatus)
    assert set(SCHEMA["image_types"]) == set(IMAGE_TYPES)
    for specs in SCHEMA["categories"].values():
        for spec in specs:
            for language in LANGUAGES:
                assert f"field.{spec['name']}" in messages(language), spec["name"]
                for option in spec.get("options", []):
                    assert f"option.{spec['name']}.{option}" in messages(language), option


def test_the_offline_csp_is_the_one_cloudfront_serves():
    headers = load_template()["Resources"]["AdminSiteHeaders"]["Properties"][
        "ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    deployed = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    bucket = ("https://${EvidenceBucket}.s3.${AWS::URLSuffix} "
              "https://${EvidenceBucket}.s3.${AWS::Region}.${AWS::URLSuffix}")
    api = "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    assert deployed == admin_site.CONTENT_SECURITY_POLICY.format(api=api, media=bucket)
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == admin_site.SECURITY_HEADERS[
        "Referrer-Policy"]
    assert headers["FrameOptions"]["FrameOption"] == admin_site.SECURITY_HEADERS[
        "X-Frame-Options"]


def test_the_site_has_no_inline_script_and_loads_nothing_from_elsewhere():
    for page in SITE.rglob("*"):
        if page.suffix not in {".html", ".js", ".css", ".json"}:
            continue
        text = page.read_text()
        assert not re.search(r"https?://", text.replace("http://www.w3.org/2000/svg", "")), page
        if page.suffix == ".html":
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), page
            assert not re.search(r"\son[a-z]+=", text), page   # no inline handlers
            assert "style=" not in text
        if page.suffix == ".js":
            assert "innerHTML" not in text and "eval(" not in text, page


def test_the_admin_site_bucket_is_private_and_read_only_by_its_distribution():
    resources = load_template()["Resources"]
    bucket = resources["AdminSiteBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [read, tls_only] = resources["AdminSiteBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert "${AdminSiteDistribution}" in read["Condition"]["StringEquals"]["AWS:SourceArn"][
        "Fn::Sub"]
    assert tls_only["Effect"] == "Deny"
    [origin] = resources["AdminSiteDistribution"]["Properties"]["DistributionConfig"]["Origins"]
    assert origin["OriginAccessControlId"] == {
        "Fn::GetAtt": ["AdminSiteOriginAccessControl", "Id"]}
    behaviour = resources["AdminSiteDistribution"]["Properties"]["DistributionConfig"][
        "DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "AdminSiteHeaders"}


def test_config_js_names_the_api_and_nothing_else():
    assert admin_site.config_js("https://abc.execute-api.us-east-1.amazonaws.com/v1/") == (
        'export const API_BASE = "https://abc.execute-api.us-east-1.amazonaws.com/v1";\n')
    assert msgspec.json.decode(admin_site.config_js("http://x").split("= ")[1].rstrip(";\n"))
