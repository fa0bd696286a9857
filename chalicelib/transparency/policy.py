"""The privacy policy in force, as citizens read it (GET /transparency/policy): the
stage's retention periods and what they mean, in both languages the app speaks."""

from chalicelib.settings import settings


def policy() -> dict:
    periods = settings().retention
    years = round(periods.audit_days / 365)
    texts = {
        "en": {
            "retention": (
                f"A report that the police dismiss is deleted {periods.dismissed_days} days "
                f"after it is dismissed; a report they act on is deleted "
                f"{periods.actioned_days} days after its last change. Deleting a report "
                "deletes its photos and videos (every copy) and its conversation. A file that "
                f"fails our checks, or an upload never made, is deleted after "
                f"{periods.failed_evidence_days} days. A report under a legal hold (a court "
                "case) is kept until the hold ends, then its period starts again. Deleting "
                "your account removes your phone number; your reports stay, linked to no one."),
            "identity": (
                "Officers never see who filed a report: they see an alias such as "
                "Reporter-7F3K. Only an administrator can reveal the person behind a report, "
                "must give a reason, and every reveal is recorded and counted in the public "
                "transparency report."),
            "audit": (
                f"What officers do is recorded for {years} years, without your phone number "
                "or your words, and is not deleted with the report."),
        },
        "zh-CN": {
            "retention": (
                f"被警方驳回的举报在驳回后 {periods.dismissed_days} 天删除；已处理的举报在最后一次"
                f"变更后 {periods.actioned_days} 天删除。删除举报会同时删除其照片和视频（所有副本）"
                f"以及相关对话。未通过检查的文件或从未完成的上传在 {periods.failed_evidence_days} "
                "天后删除。处于法律保全（如诉讼）中的举报会保留到保全解除，之后重新开始计算保留期。"
                "注销账号会删除您的手机号码；您的举报会保留，但不再与任何人关联。"),
            "identity": (
                "办案民警看不到举报人是谁，只能看到类似 Reporter-7F3K 的代号。只有管理员可以查看"
                "举报人身份，必须说明理由，每次查看都会被记录，并计入公开的透明度报告。"),
            "audit": (
                f"民警的操作记录保存 {years} 年，其中不含您的手机号码或您写的内容，也不会随举报"
                "一起删除。"),
        },
    }
    return {"retention_days": {"dismissed": periods.dismissed_days,
                               "actioned": periods.actioned_days,
                               "failed_evidence": periods.failed_evidence_days,
                               "audit": periods.audit_days},
            "texts": texts}
