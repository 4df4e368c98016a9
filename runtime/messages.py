"""The message catalogue: every sentence a person reads or hears about a code, per language.

The rules and the broker speak in codes with parameters; the nodes turn them
into words here, and only here. Keys are namespaced by what they word:

* ``refusal.<code>``: a queue-rule refusal (``broker.rules.refusals``), worded
  from its parameters; a wire error's ``params["reason"]`` names it;
* ``error.<code>``: a wire error code (``protocol.errors``), worded without
  parameters, for refusals that carry no rule reason;
* ``alert.<code>``: an alert for staff (``broker.rules.alerts``);
* ``note.<code>``: a note in a successful result (``nobody_waiting`` ...);
* ``health.<code>``: a node's own health detail (``paper_out`` ...);
* ``kiosk.*`` / ``caller.*``: the few sentences the nodes make themselves.

A new language is one more table in ``CATALOGUES`` with the same keys (a key
it lacks falls back to English). Placeholders name parameters; a few are
derived from them: ``service_name`` (the service's name in that language, when
the hall is given), ``detail_note`` (a node's health detail, worded) and the
lists ``counters``, ``services``, ``categories`` and ``rows``.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from typing import Any

from config.schema import Hall
from runtime.quality_words import QUALITY_EN, QUALITY_ZH

logger = logging.getLogger(__name__)

ZH: dict[str, str] = {
    "refusal.unknown_op": "系统不支持此操作（{op}）",
    "refusal.unknown_counter": "{counter} 号窗口不存在（现有窗口：{counters}）",
    "refusal.counter_paused": "{counter} 号窗口已暂停，请先恢复",
    "refusal.counter_closed": "{counter} 号窗口已关闭，请先开启",
    "refusal.unknown_service": "该业务暂不可取号（{service_name}），请咨询工作人员",
    "refusal.not_serving": "{counter} 号窗口当前无人办理，请先叫号",
    "refusal.unknown_ticket": "今日没有 {ticket} 号",
    "refusal.unknown_appointment": "预约码无效，请核对后重新输入，或取普通号",
    "refusal.already_checked_in": "该预约已签到取号（{ticket}）",
    "refusal.appointment_other_service": "该预约属于{service_name}，请按预约业务签到",
    "refusal.too_early": "预约未到签到时间，请于 {opens} 后签到",
    "refusal.ticketing_closed": "现在不在取号时间，下次开始取号 {opens}",
    "refusal.numbers_used_up": "{service_name}今日号码已用完，请咨询工作人员",
    "refusal.not_no_show": "{ticket} 不是过号票",
    "refusal.grace_expired": "过号超过 {grace_min:g} 分钟，请重新取号",
    "refusal.not_held_here": "{ticket} 未在 {counter} 号窗口暂存",
    "refusal.already_in_service": "{ticket} 已在{service_name}排队",
    "refusal.reason_required": "不按顺序叫号须填写原因（将被记录）",
    "refusal.not_waiting": "{ticket} 不在等候中，只有等候中的号码可以跳号呼叫",
    "refusal.score_out_of_range": "评价须为 1 至 {scale} 分",
    "refusal.not_rateable_here": "{ticket} 现在不能在 {counter} 号窗口评价",
    "refusal.nobody_to_rate": "{counter} 号窗口现在没有可评价的办理",
    "refusal.already_rated": "{ticket} 已评价过，谢谢",
    "refusal.bad_slot_time": "预约时间须为本地时间，如 2025-11-25T09:30：{start} – {end}",
    "refusal.slot_ends_before_start": "预约结束时间须晚于开始时间：{start} – {end}",
    "refusal.booking_exists": "预约码 {code} 已存在",
    "refusal.duplicate_in_import": "预约码 {code} 在导入文件中重复",
    "refusal.bad_bookings": "未导入任何预约，{count} 行有误：{rows}",
    "refusal.too_many_components": "设备 {node} 已上报 {limit} 个部件状态，不能再新增（{component}）",
    "refusal.unknown_category": "没有这个优先类别（{category}），请从以下类别中选择：{categories}",
    "error.bad_json": "请求格式错误（不是 JSON）",
    "error.bad_envelope": "请求格式错误",
    "error.unsupported_version": "协议版本不兼容，请升级本设备",
    "error.too_large": "请求过大",
    "error.unknown_op": "系统不支持此操作",
    "error.bad_args": "请求内容有误",
    "error.unknown_service": "该业务不存在",
    "error.unknown_counter": "该窗口不存在",
    "error.unknown_ticket": "该号码今日未发出",
    "error.not_serving": "窗口当前无人办理",
    "error.counter_closed": "窗口已关闭",
    "error.counter_paused": "窗口已暂停",
    "error.closed_for_day": "现在不在取号时间",
    "error.grace_expired": "过号已超时，请重新取号",
    "error.invalid_state": "当前状态不允许此操作",
    "error.unknown_appointment": "预约码无效",
    "error.too_early": "预约未到签到时间",
    "error.already_rated": "已评价过",
    "error.rating_closed": "本次办理已不能评价",
    "error.already_checked_in": "该预约已签到取号",
    "error.numbers_used_up": "今日号码已用完，请咨询工作人员",
    "error.booking_exists": "预约码已存在",
    "error.journal_unavailable": "系统暂时无法记录，请稍后重试",
    "error.internal": "系统内部错误，请联系工作人员",
    "error.journal_rolled_back": "此操作的记录已随系统恢复而撤回，请重新操作",
    "error.forbidden": "本设备无权进行此操作",
    "error.rate_limited": "操作过于频繁，请稍后再试",
    "error.unknown": "暂时无法办理（{code}），请咨询工作人员",
    "alert.queue_length": "{service_name} 等候 {waiting} 人，请增开窗口",
    "alert.longest_wait": "{service_name} 最长等候 {minutes} 分钟",
    "alert.unserved": "{service_name} 有人等候但无窗口受理",
    "alert.negative_rating": "{counter} 号窗口收到差评（{ticket}）",
    "alert.node_warning": "设备提醒：{node} {component}{detail_note}",
    "alert.node_fault": "设备故障：{node} {component}{detail_note}",
    "alert.clock_jump": "系统时钟跳变 {minutes:+d} 分钟，叫号按原时间继续，请检查网络校时",
    "alert.unknown": "告警：{code}",
    "note.nobody_waiting": "无人等候",
    "note.recall_limit": "已达重呼上限，按过号处理",
    "health.paper_low": "打印纸将用完",
    "health.paper_out": "打印机缺纸",
    "health.printer_offline": "打印机离线",
    "health.print_failed": "号票打印失败",
    "health.backup_failed": "队列记录备份失败，请检查备份U盘",
    "health.central_unreachable": "数据上报暂停（连不上城市数据中心），记录存在本厅，恢复后自动补传",
    "health.central_stopped": "数据上报已停止，需管理员处理（docs/central.md）",
    "kiosk.code_too_short": "预约码至少 {min} 位",
    "refusal.beyond_closing": "预计办理时间 {expected}，已超过今日办公时间（{closes}），"
                              "今日不再出号，请于 {opens} 再来",
    "refusal.beyond_closing_book": "预计办理时间 {expected}，已超过今日办公时间（{closes}），"
                                   "今日不再出号，请预约 {opens} 以后的时段办理",
    "error.beyond_closing": "今日办公时间内已无法办理，请改日再来或预约",
    "kiosk.beyond_closing": "预计办理时间 {expected}，已超过今日办公时间，"
                            "如当日无法办理，可预约或改日优先办理",
    "caller.offline": "网络断开，请重按",
    "caller.no_transfer_target": "未配置转移业务",
    "list.separator": "、",
    "detail.prefix": "：",
    "rows.row": "第 {row} 行（{code}）：{sentence}",
    "rows.separator": "；",
    # Staff, sign-in and the manager's hall controls (the staff console).
    "refusal.staff_unknown": "工号 {staff} 不存在",
    "refusal.staff_disabled": "工号 {staff} 已停用，请联系大厅负责人",
    "refusal.staff_not_at_counter": "工号 {staff} 未在 {counter} 号窗口签到，请先签到",
    "refusal.staff_not_manager": "工号 {staff} 不是大厅负责人，无权进行此操作",
    "refusal.staff_exists": "工号 {staff} 已存在",
    "refusal.ticketing_paused": "大厅暂停取号，请稍候或咨询工作人员",
    "error.ticketing_paused": "大厅暂停取号",
    "refusal.unknown_track": "找不到这张号票",
    "refusal.not_finished": "办理结束后才能评价",
    "error.not_found": "找不到",
    "error.staff_unknown": "工号不存在",
    "error.staff_disabled": "工号已停用",
    "error.staff_not_at_counter": "未在该窗口签到",
    "error.staff_not_manager": "仅大厅负责人可进行此操作",
    "error.staff_exists": "工号已存在",
    "ticketing.paused_by_manager": "暂停取号，请稍候",
    "staff.badge": "工号 {staff}",
    "signed_out.signed_out": "已签退",
    "signed_out.replaced": "其他工作人员已在本窗口签到",
    "signed_out.moved": "已在其他窗口签到",
    "signed_out.disabled": "工号已停用",
}
"""Chinese (Mandarin, simplified): the hall's first language."""

EN: dict[str, str] = {
    "refusal.unknown_op": "This operation is not supported ({op})",
    "refusal.unknown_counter": "Counter {counter} does not exist (counters: {counters})",
    "refusal.counter_paused": "Counter {counter} is paused; resume it first",
    "refusal.counter_closed": "Counter {counter} is closed; open it first",
    "refusal.unknown_service": "This service is not available ({service_name}); "
                               "please ask a member of staff",
    "refusal.not_serving": "Counter {counter} is not serving anyone; call a ticket first",
    "refusal.unknown_ticket": "No ticket {ticket} was issued today",
    "refusal.unknown_appointment": "This booking code is not known; check it or take a "
                                   "normal ticket",
    "refusal.already_checked_in": "This booking has already been checked in ({ticket})",
    "refusal.appointment_other_service": "This booking is for {service_name}",
    "refusal.too_early": "Too early to check in; please check in after {opens}",
    "refusal.ticketing_closed": "Ticketing is closed now; it opens again at {opens}",
    "refusal.numbers_used_up": "All numbers of {service_name} are used today; please ask a "
                               "member of staff",
    "refusal.not_no_show": "Ticket {ticket} is not a no-show",
    "refusal.grace_expired": "Ticket {ticket} missed its call over {grace_min:g} min ago; "
                             "please take a new ticket",
    "refusal.not_held_here": "Ticket {ticket} is not held at counter {counter}",
    "refusal.already_in_service": "Ticket {ticket} is already in {service_name}",
    "refusal.reason_required": "Calling out of order needs a reason (it is recorded)",
    "refusal.not_waiting": "Ticket {ticket} is not waiting; only a waiting ticket can be "
                           "called out of order",
    "refusal.score_out_of_range": "The rating must be 1 to {scale}",
    "refusal.not_rateable_here": "Ticket {ticket} cannot be rated at counter {counter} now",
    "refusal.nobody_to_rate": "No visit to rate at counter {counter} right now",
    "refusal.already_rated": "Ticket {ticket} has already been rated, thank you",
    "refusal.bad_slot_time": "Booking times must be local date-times like 2025-11-25T09:30: "
                             "{start} – {end}",
    "refusal.slot_ends_before_start": "The slot must end after it starts: {start} – {end}",
    "refusal.booking_exists": "Booking code {code} exists already",
    "refusal.duplicate_in_import": "Booking code {code} appears twice in the file",
    "refusal.bad_bookings": "Nothing was imported; {count} bad row(s): {rows}",
    "refusal.too_many_components": "Device {node} already reports {limit} parts; "
                                   "no new part can be added ({component})",
    "refusal.unknown_category": "There is no priority category {category}; choose one of: "
                                "{categories}",
    "error.bad_json": "The request was not valid JSON",
    "error.bad_envelope": "The request was malformed",
    "error.unsupported_version": "Protocol version not supported; update this device",
    "error.too_large": "The request is too large",
    "error.unknown_op": "This operation is not supported",
    "error.bad_args": "The request's details are not valid",
    "error.unknown_service": "This service does not exist",
    "error.unknown_counter": "This counter does not exist",
    "error.unknown_ticket": "That ticket was not issued today",
    "error.not_serving": "The counter is not serving anyone",
    "error.counter_closed": "The counter is closed",
    "error.counter_paused": "The counter is paused",
    "error.closed_for_day": "Ticketing is closed now",
    "error.grace_expired": "The no-show grace period has passed; please take a new ticket",
    "error.invalid_state": "This cannot be done right now",
    "error.unknown_appointment": "This booking code is not known",
    "error.too_early": "Too early to check in",
    "error.already_rated": "Already rated",
    "error.rating_closed": "This visit can no longer be rated",
    "error.already_checked_in": "This booking has already been checked in",
    "error.numbers_used_up": "All numbers are used today; please ask a member of staff",
    "error.booking_exists": "The booking code exists already",
    "error.journal_unavailable": "The system cannot record right now; please try again",
    "error.internal": "Internal system error; please tell a member of staff",
    "error.journal_rolled_back": "This request's record was rolled back when the system was "
                                 "restored; please do it again",
    "error.forbidden": "This device may not do this",
    "error.rate_limited": "Too many requests; please try again shortly",
    "error.unknown": "This could not be done ({code}); please ask a member of staff",
    "alert.queue_length": "{service_name}: {waiting} waiting - please open more counters",
    "alert.longest_wait": "{service_name}: longest wait {minutes} min",
    "alert.unserved": "{service_name}: visitors waiting but no open counter serves it",
    "alert.negative_rating": "Counter {counter} received a negative rating ({ticket})",
    "alert.node_warning": "Device warning: {node} {component}{detail_note}",
    "alert.node_fault": "Device fault: {node} {component}{detail_note}",
    "alert.clock_jump": "The system clock jumped {minutes:+d} min; the queue keeps its own "
                        "time. Check the time sync (NTP)",
    "alert.unknown": "Alert: {code}",
    "note.nobody_waiting": "Nobody is waiting",
    "note.recall_limit": "Recall limit reached: marked no-show",
    "health.paper_low": "printer paper near end",
    "health.paper_out": "printer out of paper",
    "health.printer_offline": "printer offline",
    "health.print_failed": "a ticket failed to print",
    "health.backup_failed": "the journal backup failed; check the backup USB stick",
    "health.central_unreachable": "shipping to the city's database paused (unreachable); the "
                                  "events wait in the hall and follow when it is back",
    "health.central_stopped": "shipping to the city's database stopped; an administrator must "
                              "act (docs/central.md)",
    "kiosk.code_too_short": "A booking code has at least {min} characters",
    "refusal.beyond_closing": "Expected time {expected} is after closing ({closes}); no more "
                              "tickets today, please come back at {opens}",
    "refusal.beyond_closing_book": "Expected time {expected} is after closing ({closes}); no "
                                   "more tickets today, please book a slot from {opens}",
    "error.beyond_closing": "This can no longer be done within today's opening hours; "
                            "please come another day or book",
    "kiosk.beyond_closing": "Expected time {expected}, after today's closing time; if you "
                            "cannot be served today, book or come back with priority",
    "caller.offline": "broker unreachable, press again",
    "caller.no_transfer_target": "no transfer target configured",
    "list.separator": ", ",
    "detail.prefix": ": ",
    "rows.row": "row {row} ({code}): {sentence}",
    "rows.separator": "; ",
    # Staff, sign-in and the manager's hall controls (the staff console).
    "refusal.staff_unknown": "No staff member with ID {staff}",
    "refusal.staff_disabled": "Staff ID {staff} is disabled; ask the hall manager",
    "refusal.staff_not_at_counter": "Staff ID {staff} is not signed in at counter {counter}; "
                                    "sign in there first",
    "refusal.staff_not_manager": "Staff ID {staff} is not a manager; only a manager may do this",
    "refusal.staff_exists": "Staff ID {staff} exists already",
    "refusal.ticketing_paused": "Ticketing is paused; please wait or ask the staff",
    "error.ticketing_paused": "Ticketing is paused",
    "refusal.unknown_track": "No such ticket",
    "refusal.not_finished": "You can rate the visit once it is finished",
    "error.not_found": "Not found",
    "error.staff_unknown": "Unknown staff ID",
    "error.staff_disabled": "Staff ID disabled",
    "error.staff_not_at_counter": "Not signed in at this counter",
    "error.staff_not_manager": "Only a manager may do this",
    "error.staff_exists": "Staff ID exists already",
    "ticketing.paused_by_manager": "Ticketing paused, please wait",
    "staff.badge": "Staff {staff}",
    "signed_out.signed_out": "Signed out",
    "signed_out.replaced": "Another staff member signed in at this counter",
    "signed_out.moved": "Signed in at another counter",
    "signed_out.disabled": "Staff ID disabled",
}
"""English: the hall's second language, and the fallback for keys a language lacks."""

# The service-quality words (issue #14) live in their own block.
CATALOGUES: dict[str, dict[str, str]] = {"zh": {**ZH, **QUALITY_ZH},
                                          "en": {**EN, **QUALITY_EN}}
"""One table per language; add a language by adding its table here."""

FALLBACK_LANGUAGE = "en"

DERIVED: dict[str, str] = {"service_name": "service", "detail_note": "detail"}
"""Placeholders computed from a parameter (placeholder -> the parameter it needs)."""


def _table(language: str) -> Mapping[str, str]:
    return CATALOGUES.get(language) or CATALOGUES[FALLBACK_LANGUAGE]


def template(key: str, language: str) -> str | None:
    """The template for ``key`` in ``language`` (English when that language lacks it)."""
    return _table(language).get(key) or CATALOGUES[FALLBACK_LANGUAGE].get(key)


def placeholders(text: str) -> set[str]:
    """The parameter names a template uses."""
    return {field.split(".")[0].split("[")[0]
            for _, field, _, _ in string.Formatter().parse(text) if field}


def _service_name(service: Any, language: str, hall: Hall | None) -> str:
    configured = hall.service(str(service)) if hall is not None and service else None
    if configured is None:
        return str(service or "")
    return configured.name.zh if language == "zh" else configured.name.en


def category_name(category: Any, language: str, hall: Hall | None) -> str:
    """A priority category's name in ``language`` (its id when the hall does not know it)."""
    configured = hall.priority_category(str(category)) if hall is not None and category else None
    if configured is None:
        return str(category or "")
    return configured.name.zh if language == "zh" else configured.name.en


def _values(params: Mapping[str, Any], language: str, hall: Hall | None) -> dict[str, Any]:
    """The parameters ready for a template: derived names added, lists joined."""
    table = _table(language)
    sep = table.get("list.separator", ", ")
    values: dict[str, Any] = dict(params)
    values["service_name"] = _service_name(params.get("service"), language, hall)
    if isinstance(params.get("services"), list):
        values["services"] = sep.join(_service_name(s, language, hall)
                                      for s in params["services"])
    if isinstance(params.get("categories"), list):
        values["categories"] = sep.join(category_name(c, language, hall)
                                        for c in params["categories"])
    if isinstance(params.get("counters"), list):
        values["counters"] = sep.join(str(c) for c in params["counters"])
    if isinstance(params.get("rows"), list):
        values["rows"] = table.get("rows.separator", "; ").join(
            _row(row, language, hall) for row in params["rows"] if isinstance(row, Mapping))
    detail = str(params.get("detail") or "")
    values["detail_note"] = (table.get("detail.prefix", ": ") + _detail(detail, language)
                             if detail else "")
    return values


def _row(row: Mapping[str, Any], language: str, hall: Hall | None) -> str:
    sentence = render(f"refusal.{row.get('reason')}", row.get("params") or {}, language,
                      hall=hall)
    return render("rows.row", {"row": row.get("row"), "code": row.get("code"),
                               "sentence": sentence}, language)


def _detail(detail: str, language: str) -> str:
    """A node's health detail worded, when it starts with a known ``health.`` code."""
    head, _, rest = detail.partition(":")
    known = template(f"health.{head.strip()}", language)
    if known is None:
        return detail
    return known + (f" ({rest.strip()})" if rest.strip() else "")


def render(key: str, params: Mapping[str, Any] | None = None, language: str = "zh", *,
           hall: Hall | None = None) -> str:
    """The sentence for a catalogue key with its parameters, in ``language``.

    Args:
        key: a catalogue key such as ``"refusal.too_early"`` or ``"alert.node_fault"``.
        params: the parameters the broker sent (a missing one is a bug: it is logged
            and the sentence is given without the placeholders).
        language: ``"zh"``, ``"en"`` or any language in ``CATALOGUES``.
        hall: the hall, to word service ids as service names.

    Returns:
        The sentence; the key itself when no language has it.
    """
    text = template(key, language)
    if text is None:
        logger.warning("no words for %r in the message catalogue", key)
        return key
    try:
        return text.format(**_values(params or {}, language, hall))
    except (KeyError, ValueError, IndexError, TypeError) as err:
        # A person must never read "{ticket}": say what can be said without it.
        logger.warning("words for %r lack a parameter (%s); params %r", key, err, params)
        return "".join(literal for literal, _, _, _ in string.Formatter().parse(text)).strip()


def refusal_text(code: str, params: Mapping[str, Any] | None, language: str = "zh", *,
                 hall: Hall | None = None) -> str:
    """The sentence for a refused command (a wire error's ``code`` and ``params``).

    The rule's own reason (``params["reason"]``) is worded when the catalogue
    knows it; otherwise the wire code, and an unknown code still gets a sentence.
    """
    params = params or {}
    reason = params.get("reason")
    if isinstance(reason, str) and template(f"refusal.{reason}", language) is not None:
        wanted = placeholders(template(f"refusal.{reason}", language) or "")
        if all(name in params or DERIVED.get(name, name) in params for name in wanted):
            return render(f"refusal.{reason}", params, language, hall=hall)
    if template(f"error.{code}", language) is not None:
        return render(f"error.{code}", params, language, hall=hall)
    return render("error.unknown", {"code": code}, language)


def alert_text(code: str, params: Mapping[str, Any] | None, language: str = "zh", *,
               hall: Hall | None = None) -> str:
    """The sentence for an alert (``alert_raised``'s or the view's ``code`` and ``params``)."""
    if template(f"alert.{code}", language) is None:
        return render("alert.unknown", {"code": code}, language)
    return render(f"alert.{code}", params, language, hall=hall)


def both(key: str, params: Mapping[str, Any] | None = None, *,
         hall: Hall | None = None) -> tuple[str, str]:
    """``(zh, en)`` for a key: the nodes show both languages side by side."""
    return render(key, params, "zh", hall=hall), render(key, params, "en", hall=hall)


def refusal_both(code: str, params: Mapping[str, Any] | None, *,
                 hall: Hall | None = None) -> tuple[str, str]:
    """``(zh, en)`` for a refused command."""
    return (refusal_text(code, params, "zh", hall=hall),
            refusal_text(code, params, "en", hall=hall))


VOICE_TEMPLATES: dict[str, dict[str, str]] = {
    "zh": {"call": "请{ticket}号到{counter}办理",
           "recall": "请{ticket}号到{counter}办理，再次呼叫",
           "counter": "{number}号窗口"},
    "en": {"call": "Number {ticket}, please go to {counter}",
           "recall": "Number {ticket}, once again, please go to {counter}",
           "counter": "Counter {number}"},
    # Cantonese and Hakka read the same characters in their own sounds (espeak-ng yue, hak).
    "yue": {"call": "请{ticket}号到{counter}办理",
            "recall": "请{ticket}号到{counter}办理，再次呼叫",
            "counter": "{number}号窗口"},
    "hak": {"call": "请{ticket}号到{counter}办理",
            "recall": "请{ticket}号到{counter}办理，再次呼叫",
            "counter": "{number}号窗口"},
    # Uyghur (Arabic script): "number {ticket}, please come to {counter}"; to be checked by
    # a native speaker before a hall relies on it.
    "ug": {"call": "{ticket} نومۇر، {counter}غا كېلىڭ",
           "recall": "{ticket} نومۇر، يەنە بىر قېتىم، {counter}غا كېلىڭ",
           "counter": "{number} كۆزنەك"},
}
"""What the voice says for a call, a recall and a counter without a spoken name, per
language (``{ticket}``, ``{counter}``, ``{number}``); a hall may override call and recall
in ``[displays.speech.templates.LANG]``. Numbers and letters inside are planned as words
by ``runtime.voice_plan``."""

KIOSK_VOICE_TEMPLATES: dict[str, dict[str, str]] = {
    "zh": {"issued": "{category}您的号码是{ticket}号，请留意叫号",
           "category": "优先类别：{name}。"},
    "en": {"issued": "{category}Your number is {ticket}. Please watch for your number.",
           "category": "Priority: {name}. "},
}
"""What the kiosk says when it issued a ticket (``{ticket}``, ``{category}``: the priority
category's phrase or nothing; ``{name}``: the category's name), planned as words by
``runtime.voice_plan`` like the display's calls: only the number and the chosen category,
nothing personal."""
