"""The admin site agrees with the API it calls, without a browser: the files it reads the
API's enumerations and bulletin fields from are generated from the code and current,
every error code the API can answer has a message in both languages, and the CSP served
offline is the one CloudFront serves."""

import json
import re
from pathlib import Path

import msgspec
import pytest

from chalicelib.audit import AuditAction
from chalicelib.bulletins import fields as bulletin_fields
from chalicelib.bulletins.fields import BulletinStatus, Outcome
from chalicelib.conversations.bodies import MessageAuthor
from chalicelib.errors import ErrorCode
from chalicelib.media import MediaKind, RejectReason
from chalicelib.reports.bodies import ReportCategory, ReportStatus
from local import admin_site
from local.bootstrap import load_template
from scripts import admin_contract

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
    ("report_category", tuple(ReportCategory)),
    ("report_status", tuple(ReportStatus)),
    ("bulletin_category", bulletin_fields.CATEGORIES),
    ("bulletin_status", tuple(BulletinStatus)),
    ("outcome", tuple(Outcome)),
    ("evidence.kind", tuple(MediaKind)),
    ("action", tuple(AuditAction)),
    ("evidence.reject", tuple(RejectReason)),
    ("conversation.author", tuple(MessageAuthor)),
])
def test_every_value_the_api_sends_has_a_name_in_both_languages(group, values):
    for language in LANGUAGES:
        missing = [value for value in values if f"{group}.{value}" not in messages(language)]
        assert not missing, (language, group, missing)


@pytest.mark.parametrize("path", sorted(admin_contract.FILES), ids=lambda path: path.name)
def test_the_files_the_site_reads_are_generated_from_the_code(path):
    assert path.read_text() == admin_contract.render(admin_contract.FILES[path]), (
        f"{path.name} is stale: run `python -m scripts.admin_contract`")


def test_the_scripts_take_every_enumeration_from_enums_json():
    """No script spells out a list of the API's values: each would be a copy."""
    enums = json.loads((SITE / "enums.json").read_text())
    enumerations = [set(values.values()) for name, values in enums.items()
                    if isinstance(values, dict) and name not in ("NEXT_STATUSES", "TEXT_LIMITS")]
    for script in (SITE / "js").rglob("*.js"):
        literals = set(re.findall(r'"([a-z_]+)"', script.read_text()))
        for values in enumerations:
            copied = literals & values
            assert len(copied) < 2, f"{script.name} copies {sorted(copied)}: use enums.js"


def test_every_bulletin_field_option_has_a_name_in_both_languages():
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
