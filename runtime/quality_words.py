"""Words for the service-quality loop (issue #14): rating levels and reasons, 差评 cases,
acknowledged alerts, time limits. Kept apart from the main tables of ``runtime.messages``
(which merges them in) so the quality words read as one block.
"""

from __future__ import annotations

QUALITY_ZH: dict[str, str] = {
    "refusal.reason_not_allowed": "只有不满意的评价才需选择原因",
    "refusal.unknown_case": "没有差评工单 {case}",
    "refusal.case_closed": "差评工单 {case} 已办结",
    "refusal.unknown_alert": "该告警已不存在（{key}）",
    "error.unknown_alert": "该告警已不存在",
    "error.unknown_case": "没有该差评工单",
    "alert.time_limit": "{counter} 号窗口办理 {ticket} 超过时限 {limit:g} 分钟，"
                        "请向下一位群众致歉",
    "rating.level.very_satisfied": "非常满意",
    "rating.level.satisfied": "满意",
    "rating.level.basically_satisfied": "基本满意",
    "rating.level.dissatisfied": "不满意",
    "rating.level.very_dissatisfied": "非常不满意",
    "rating.reason.attitude": "态度",
    "rating.reason.efficiency": "效率",
    "rating.reason.competence": "业务",
    "rating.reason.environment": "环境",
    "rating.reason.other": "其他",
    "rating.ask_reason": "请选择不满意的原因",
    "rating.thanks": "感谢您的评价",
    "case.outcome.callback_made": "已回访",
    "case.outcome.fixed": "已整改",
    "case.outcome.withdrawn": "群众撤回评价",
    "case.state.open": "处理中",
    "case.state.overdue": "已超期",
    "case.state.closed": "已办结",
    "status.cases": "差评工单 Cases",
    "status.acknowledged": "已确认",
}
"""Chinese words of the quality loop."""

QUALITY_EN: dict[str, str] = {
    "refusal.reason_not_allowed": "A reason goes with a negative rating only",
    "refusal.unknown_case": "There is no case {case}",
    "refusal.case_closed": "Case {case} is closed already",
    "refusal.unknown_alert": "That alert is no longer raised ({key})",
    "error.unknown_alert": "That alert is no longer raised",
    "error.unknown_case": "There is no such case",
    "alert.time_limit": "Counter {counter}: {ticket} is past the {limit:g}-minute time "
                        "limit; apologise to the next visitor",
    "rating.level.very_satisfied": "Very satisfied",
    "rating.level.satisfied": "Satisfied",
    "rating.level.basically_satisfied": "Fairly satisfied",
    "rating.level.dissatisfied": "Dissatisfied",
    "rating.level.very_dissatisfied": "Very dissatisfied",
    "rating.reason.attitude": "Attitude",
    "rating.reason.efficiency": "Speed",
    "rating.reason.competence": "Competence",
    "rating.reason.environment": "Environment",
    "rating.reason.other": "Other",
    "rating.ask_reason": "What went wrong?",
    "rating.thanks": "Thank you for your rating",
    "case.outcome.callback_made": "called back",
    "case.outcome.fixed": "fixed",
    "case.outcome.withdrawn": "withdrawn by the visitor",
    "case.state.open": "open",
    "case.state.overdue": "overdue",
    "case.state.closed": "closed",
    "status.cases": "差评工单 Cases",
    "status.acknowledged": "acknowledged",
}
"""English words of the quality loop."""
