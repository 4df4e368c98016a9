"""The console's own words (buttons, headings, states), Chinese and English.

The words of the broker's refusals and alerts are not here: they come from
``runtime.messages`` (one catalogue for every node), chosen by the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping

LABELS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "title.counter": "窗口工作台", "title.hall": "大厅管理", "title.login": "工作人员登录",
        "login.staff": "工号", "login.pin": "密码 (PIN)", "login.counter": "窗口",
        "login.submit": "登录", "login.none": "（不在窗口：大厅管理）", "logout": "退出",
        "lang.switch": "English",
        "op.call_next": "叫号", "op.recall": "重呼",
        "op.recall_slow": "慢速重呼", "op.no_show": "过号", "op.finish": "办结",
        "op.start": "开始办理", "op.hold": "挂起", "op.call_back": "回呼",
        "op.revive": "恢复排队", "op.transfer": "转移", "op.call_ticket": "指定叫号",
        "op.pause": "暂停", "op.resume": "恢复", "op.open_counter": "开窗",
        "op.close_counter": "关窗", "op.pause_ticketing": "暂停取号",
        "op.resume_ticketing": "恢复取号", "op.post_notice": "发布通知",
        "op.clear_notice": "撤下通知",
        "mode.open": "开放", "mode.paused": "暂停", "mode.closed": "关闭",
        "serving": "正在办理", "nobody": "无", "held": "挂起的号", "no_shows": "过号（可恢复）",
        "waiting": "等候", "longest": "最长等待", "estimate": "预计", "minutes": "分钟",
        "counters": "窗口", "lines": "业务队列", "alerts": "提醒", "notice": "通知",
        "clerk": "工号", "state": "状态", "service": "业务", "ack": "知道了",
        "reason": "原因（必填）", "ticket": "号码", "target": "转到业务",
        "notice.zh": "中文通知", "notice.en": "English notice", "notice.minutes": "分钟",
        "link.lost": "与队列服务断开，正在重连…", "done": "已完成", "signed_in_as": "已登录",
        "ticketing.open": "取号中", "ticketing.paused": "取号已暂停",
        "ticketing.closed": "非取号时间",
        "keys": "快捷键：空格/F1 叫号 · R 重呼 · Shift+R 慢速重呼 · N 过号 · S 开始办理 · F 办结 · "
                "H 挂起 · P 暂停/恢复 · T 转移",
        "error.network": "无法连接控制台服务器", "error.locked": "尝试次数过多，请稍后再试",
        "error.bad_login": "工号或密码错误",
        "title.city": "全市网点", "city.from": "从", "city.to": "到", "city.show": "查看",
        "city.figure": "指标", "city.all": "全市", "city.issued": "取号",
        "city.served": "办结", "city.no_shows": "过号",
        "city.wait_p50_min": "等待中位数（分钟）",
        "city.wait_p90_min": "90% 等待不超过（分钟）", "city.ratings": "评价",
        "city.negative_ratings": "差评", "city.satisfied_share": "满意率",
        "city.rating_mean_5": "平均评分（5 分制）", "city.cases_open": "未结差评工单",
        "city.cases_overdue": "其中超期", "city.shipped_until": "数据截至",
        "city.none": "尚无数据", "city.loading": "正在读取…",
        "city.forbidden": "只有市级管理员可以查看全市网点",
        "city.unreachable": "无法连接市级数据库，请稍后再试",
    },
    "en": {
        "title.counter": "Counter console", "title.hall": "Hall manager", "title.login": "Staff sign-in",
        "login.staff": "Staff no.", "login.pin": "PIN", "login.counter": "Counter",
        "login.submit": "Sign in", "login.none": "(no counter: hall manager)",
        "logout": "Sign out", "lang.switch": "中文",
        "op.call_next": "Call next", "op.recall": "Recall",
        "op.recall_slow": "Slow repeat", "op.no_show": "No-show",
        "op.finish": "Finish", "op.start": "Start", "op.hold": "Hold",
        "op.call_back": "Call back", "op.revive": "Revive", "op.transfer": "Transfer",
        "op.call_ticket": "Call a ticket", "op.pause": "Pause", "op.resume": "Resume",
        "op.open_counter": "Open", "op.close_counter": "Close",
        "op.pause_ticketing": "Pause ticketing", "op.resume_ticketing": "Resume ticketing",
        "op.post_notice": "Post notice", "op.clear_notice": "Clear notice",
        "mode.open": "open", "mode.paused": "paused", "mode.closed": "closed",
        "serving": "Serving", "nobody": "none", "held": "Held", "no_shows": "No-shows (revivable)",
        "waiting": "Waiting", "longest": "Longest wait", "estimate": "Estimate",
        "minutes": "min", "counters": "Counters", "lines": "Lines", "alerts": "Alerts",
        "notice": "Notice", "clerk": "Staff", "state": "State", "service": "Service",
        "ack": "Got it", "reason": "Reason (required)", "ticket": "Ticket",
        "target": "To service", "notice.zh": "Chinese text", "notice.en": "English text",
        "notice.minutes": "minutes", "link.lost": "Lost the queue server, reconnecting…",
        "done": "Done", "signed_in_as": "Signed in",
        "ticketing.open": "Ticketing open", "ticketing.paused": "Ticketing paused",
        "ticketing.closed": "Outside ticketing hours",
        "keys": "Keys: Space/F1 call next · R recall · Shift+R slow repeat · N no-show · "
                "S start · F finish · H hold · P pause/resume · T transfer",
        "error.network": "Cannot reach the console server",
        "error.locked": "Too many attempts; try again later",
        "error.bad_login": "Wrong staff number or PIN",
        "title.city": "City halls", "city.from": "From", "city.to": "To", "city.show": "Show",
        "city.figure": "Figure", "city.all": "City", "city.issued": "Issued",
        "city.served": "Served", "city.no_shows": "No-shows",
        "city.wait_p50_min": "Median wait (min)", "city.wait_p90_min": "90% wait within (min)",
        "city.ratings": "Ratings", "city.negative_ratings": "Negative (差评)",
        "city.satisfied_share": "Satisfaction (满意率)",
        "city.rating_mean_5": "Mean rating (of 5)", "city.cases_open": "Open 差评 cases",
        "city.cases_overdue": "of them overdue", "city.shipped_until": "Data up to",
        "city.none": "no data yet", "city.loading": "Reading…",
        "city.forbidden": "Only city managers may see the city's halls",
        "city.unreachable": "Cannot reach the city database; try again later",
    },
}


def labels(language: str) -> Mapping[str, str]:
    """The console's words in ``language`` (Chinese when it is not known)."""
    return LABELS.get(language, LABELS["zh"])
