"""Chinese and English labels of the reports: data, not logic.

Every entry is ``key: (zh, en)``. ``COLUMNS`` names the columns of the frames of
:mod:`sla_lib.views`, ``VALUES`` the canonical values inside them (statuses, day types,
channels, fee line items, ...), ``CHART`` the texts of :mod:`sla_lib.charts`, ``PROSE`` the
Markdown of the notebooks (``str.format`` templates), ``SHEETS`` the Excel sheet names. KPI
names are :data:`sla_lib.kpis.KPI_LABELS`, reused as they are.
"""

from __future__ import annotations

from .kpis import KPI_DEFINITIONS, KPI_LABELS

LANGS = ("zh", "en")

COLUMNS: dict[str, tuple[str, str]] = {
    # shared / input tables
    "month": ("月份", "Month"),
    "date": ("日期", "Date"),
    "weekday": ("星期", "Weekday"),
    "hour": ("小时", "Hour"),
    "channel": ("渠道", "Channel"),
    "category": ("类别", "Category"),
    "product": ("产品", "Product"),
    "count": ("数量", "Count"),
    "share_pct": ("占比 %", "Share %"),
    "complaint_id": ("投诉编号", "Complaint id"),
    "consultation_id": ("咨询编号", "Consultation id"),
    "followup_id": ("回访编号", "Follow-up id"),
    "customer_id": ("客户编号", "Customer id"),
    "customer": ("客户", "Customer"),
    "customer_name": ("客户姓名", "Customer name"),
    "phone": ("电话", "Phone"),
    "email": ("邮箱", "E-mail"),
    "source_row": ("文件行号", "Row in file"),
    "missed": ("未达标数", "Missed"),
    "required": ("配额 (应回访客户数)", "Quota (customers to follow up)"),
    "missed_clauses": ("未达标", "Missed"),
    "received_at": ("接收时间", "Received"),
    "first_response_at": ("首次响应时间", "First response"),
    "resolved": ("是否解决", "Resolved"),
    "resolved_at": ("解决时间", "Resolved at"),
    "agent_id": ("坐席工号", "Agent"),
    "first_contact_at": ("首次联系时间", "First contact"),
    "preliminary_solution_at": ("初步方案时间", "Preliminary solution"),
    "closed_at": ("结案时间", "Closed"),
    "satisfaction": ("满意度评分", "Satisfaction score"),
    "visited_at": ("回访时间", "Visited"),
    "acquired_at": ("获客时间", "Acquired"),
    # complaints
    "complaints": ("投诉量", "Complaints"),
    "day_type": ("日期类型", "Day type"),
    "holiday": ("节假日", "Holiday"),
    "hours_to_first_contact": ("联系用时（小时）", "Hours to contact"),
    "hours_to_preliminary_solution": ("初步方案用时（小时）", "Hours to preliminary solution"),
    "solution_deadline": ("方案截止日", "Solution due"),
    "workdays_to_solution": ("初步方案用时（工作日）", "Working days to solution"),
    "contact_in_time": ("联系及时", "Contact in time"),
    "solution_in_time": ("方案及时", "Solution in time"),
    "step": ("环节", "Step"),
    "median_hours": ("中位数（小时）", "Median (hours)"),
    "p90_hours": ("90% 分位（小时）", "90th percentile (hours)"),
    "age_days": ("未结天数", "Days open"),
    "open_complaints": ("未结投诉", "Open complaints"),
    "total": ("总数", "Total"),
    # KPIs
    "kpi": ("指标", "KPI"),
    "label": ("指标", "KPI"),
    "clause": ("条款", "Clause"),
    "met": ("达标数", "Met"),
    "rate_pct": ("比率 %", "Rate %"),
    "target_pct": ("目标 %", "Target %"),
    "status": ("结果", "Result"),
    "score": ("评分", "Score"),
    "followups": ("回访", "Follow-ups"),
    "satisfied": ("计为满意", "Counts as satisfied"),
    "fee_kpi": ("计费指标", "Fee KPI"),
    "deduction": ("扣款（元）", "Deduction (CNY)"),
    # fees
    "item": ("项目", "Item"),
    "value": ("数值", "Value"),
    "amount": ("金额（元）", "Amount (CNY)"),
    "explanation": ("计算过程", "How it is computed"),
    "payment_id": ("付款编号", "Payment id"),
    "paid_on": ("付款日期", "Paid on"),
    "payment_due": ("付款截止日", "Payment due"),
    "applied": ("冲抵应付（元）", "Applied (CNY)"),
    "late_days": ("逾期天数", "Days late"),
    "late_damages": ("逾期违约金（元）", "Late damages (CNY)"),
    "invoice_due": ("发票截止日", "Invoice due"),
    "invoice_id": ("发票编号", "Invoice id"),
    "issued_on": ("开票日期", "Issued on"),
    "base": ("基础服务费", "Base fee"),
    "bonus": ("绩效奖励", "Bonus"),
    "total_deduction": ("绩效扣款", "Deductions"),
    "onsite_fees": ("上门服务费", "On-site fees"),
    "amount_due": ("应付金额", "Amount due"),
    "paid": ("已付金额", "Paid"),
    "failing_kpis": ("未达标计费指标", "Fee KPIs missed"),
    "cumulative_base": ("累计基础服务费", "Cumulative base fee"),
    "cumulative_bonus": ("累计奖励", "Cumulative bonus"),
    "cumulative_deductions": ("累计扣款", "Cumulative deductions"),
    "cumulative_damages": ("累计违约金", "Cumulative damages"),
    "cumulative_amount_due": ("累计应付", "Cumulative amount due"),
    "cumulative_paid": ("累计已付", "Cumulative paid"),
    # data accounting
    "table": ("数据表", "Table"),
    "file": ("文件", "File"),
    "rows_read": ("读取行数", "Rows read"),
    "rows_used": ("使用行数", "Rows used"),
    "rows_set_aside": ("剔除行数", "Rows set aside"),
    # channel mix
    "phone_pct": ("电话占比 %", "Phone %"),
    "email_pct": ("邮件占比 %", "E-mail %"),
    "chat_pct": ("在线占比 %", "Chat %"),
    "consultations": ("咨询量", "Consultations"),
    "chat": ("在线", "Chat"),
    "phone_count": ("电话", "Phone"),
    "email_count": ("邮件", "E-mail"),
    "chat_count": ("在线", "Chat"),
}

VALUES: dict[str, tuple[str, str]] = {
    # KPI status
    "met": ("达标", "met"),
    "missed": ("未达标", "missed"),
    "n/a": ("n/a（无数据）", "n/a"),
    "measured": ("仅统计（无目标）", "measured (no target)"),
    # day types (sla_lib.calendar.WorkCalendar + chinese-calendar)
    "workday": ("工作日", "working day"),
    "weekend": ("周末", "weekend"),
    "holiday": ("法定节假日", "statutory holiday"),
    "adjusted_workday": ("调休上班日", "adjusted working day"),
    # chinese-calendar's festival names
    "New Year's Day": ("元旦", "New Year's Day"),
    "Spring Festival": ("春节", "Spring Festival"),
    "Tomb-sweeping Day": ("清明节", "Tomb-sweeping Day"),
    "Labour Day": ("劳动节", "Labour Day"),
    "Dragon Boat Festival": ("端午节", "Dragon Boat Festival"),
    "National Day": ("国庆节", "National Day"),
    "Mid-autumn Festival": ("中秋节", "Mid-autumn Festival"),
    "Anti-Fascist 70th Day": ("抗战胜利纪念日", "Anti-Fascist 70th Day"),
    # channels
    "phone": ("电话", "phone"),
    "email": ("邮件", "e-mail"),
    "chat": ("在线", "chat"),
    # fee statement items (FeeStatement.lines keys, summary and exposure items)
    "month": ("月份", "month"),
    "as_of": ("截至日期", "as of"),
    "base": ("基础服务费", "base fee"),
    "bonus": ("绩效奖励", "bonus"),
    "total_deduction": ("绩效扣款合计", "total deduction"),
    "onsite_fees": ("上门服务费", "on-site fees"),
    "amount_due": ("应付金额", "amount due"),
    "payment_due": ("付款截止日", "payment due"),
    "paid": ("已付金额", "paid"),
    "balance": ("差额（已付 − 应付）", "balance (paid − due)"),
    "late_days": ("最长逾期天数", "longest delay (days)"),
    "late_part": ("逾期部分", "late part"),
    "late_damages": ("逾期违约金", "late-payment damages"),
    "no_data": ("⚠ 无数据（结算前请核对导出数据）", "⚠ no data (check the export before settling)"),
    "termination_right": ("乙方解约权（C18）", "Party B's termination right (C18)"),
    "termination_overdue_days": ("解约逾期阈值（天）", "termination threshold (days)"),
    "invoices": ("发票", "invoices"),
    "invoices_on_time": ("发票按时", "invoices on time"),
    "failing_months_to_date": ("期内未达标月份", "failing months to date"),
    "failing_months_count": ("未达标月份数", "failing months"),
    "repeated_failure_months": ("触发阈值（月）", "threshold (months)"),
    "breach_triggered": ("质量违约金已触发（C19）", "breach penalty triggered (C19)"),
    "total_contract_amount": ("合同总金额", "total contract amount"),
    "breach_penalty_pct": ("质量违约金比例 %", "breach penalty %"),
    "breach_exposure": ("质量违约金敞口（C19）", "breach exposure (C19)"),
    "confidentiality_exposure": ("保密违约金（C20）", "confidentiality penalty (C20)"),
    **{f"deduction.{k}": (f"扣款：{zh}", f"deduction: {en}") for k, (zh, en) in KPI_LABELS.items()},
    # payments / invoices
    "unpaid": ("未付部分", "unpaid"),
    "on_time": ("按时", "on time"),
    "late": ("逾期", "late"),
    "pending": ("待开（未到期）", "pending (not yet due)"),
    "overdue": ("未开（已逾期）", "not issued (overdue)"),
    "no_payment": ("无对应付款", "no payment"),
    # C4 status at month end, handling steps
    "received_this_month": ("本月接收", "received this month"),
    "closed_by_month_end": ("月末前结案", "closed by month end"),
    "open_at_month_end_from_this_month": ("月末未结（本月接收）", "open at month end (received this month)"),
    "open_at_month_end_from_earlier": ("月末未结（以前月份接收）", "open at month end (received earlier)"),
    "first_contact": ("首次联系", "first contact"),
    "preliminary_solution": ("初步方案", "preliminary solution"),
    # data tables
    "consultations": ("咨询", "consultations"),
    "complaints": ("投诉", "complaints"),
    "followups": ("回访", "follow-ups"),
    "new_customers": ("新增客户", "new customers"),
    "payments": ("付款", "payments"),
    "onsite_visits": ("上门服务", "on-site visits"),
    "unrated": ("未评分", "unrated"),
    "total": ("合计", "total"),
}
BOOLS: dict[bool, tuple[str, str]] = {True: ("是", "yes"), False: ("否", "no")}
VALUES.update({k: v for k, v in KPI_LABELS.items()})

WEEKDAYS = (
    ("周一", "Mon"),
    ("周二", "Tue"),
    ("周三", "Wed"),
    ("周四", "Thu"),
    ("周五", "Fri"),
    ("周六", "Sat"),
    ("周日", "Sun"),
)
MONTHS = tuple((f"{m}月", name) for m, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1))

SHEETS: dict[str, tuple[str, str]] = {
    "summary": ("汇总", "Summary"),
    "lines": ("费用明细", "Fee statement"),
    "kpis": ("考核指标", "KPIs"),
    "payments": ("付款", "Payments"),
    "invoices": ("发票", "Invoices"),
    "term_to_date": ("期内累计", "Term to date"),
    "exposure": ("违约风险", "Exposure"),
}

CHART: dict[str, tuple[str, str]] = {
    "target": ("目标 {value}", "Target {value}"),
    "na": ("n/a", "n/a"),
    "rate_axis": ("比率 %", "Rate %"),
    "share_axis": ("占比 %", "Share %"),
    "count_axis": ("数量", "Count"),
    "complaints_axis": ("投诉量", "Complaints"),
    "day_of_month": ("日期（{month}）", "Day ({month})"),
    "daily_volume_title": ("每日投诉量 {month}", "Complaints per day, {month}"),
    "adjusted_mark": ("班", "W"),
    "contact_hours_axis": ("首次联系用时（小时）", "Hours to first contact"),
    "contact_hours_axis_service": ("首次联系用时（服务时间，小时）", "Hours to first contact (service time)"),
    "solution_days_axis": ("初步方案用时（工作日）", "Working days to preliminary solution"),
    "contact_title": ("C2 首次联系用时分布", "C2 time to first contact"),
    "solution_title": ("C3 初步方案用时分布", "C3 time to preliminary solution"),
    "target_hours": ("目标 {value} 小时", "Target {value} h"),
    "target_workdays": ("目标 {value} 个工作日", "Target {value} working days"),
    "beyond": ("≥{value}", "≥{value}"),
    "weekday_axis": ("星期", "Weekday"),
    "hour_axis": ("小时", "Hour of day"),
    "heatmap_title": ("{what}到达时段分布 {period}", "Arrivals of {what} by weekday and hour, {period}"),
    "channel_mix_title": ("{what}渠道构成", "Channel mix of {what}"),
    "trend_title": ("月度趋势", "Month by month"),
    "score_axis": ("满意度评分", "Satisfaction score"),
    "score_title": ("满意度评分分布 {month}", "Satisfaction scores, {month}"),
    "satisfied_band": ("计为满意（≥{value} 分）", "Counts as satisfied (≥{value})"),
    "ageing_title": ("月末未结投诉的未结天数", "Complaints open at month end, by days open"),
    "breakdown_title": ("{kpi}：按{by}", "{kpi} by {by}"),
    "fees_title": ("应付与已付（元）", "Amount due and paid (CNY)"),
    "amount_axis": ("金额（元）", "Amount (CNY)"),
    "due_with_deduction": ("应付金额（当月有扣款）", "Amount due (month with a deduction)"),
    "category_title": ("投诉类别与渠道 {month}", "Complaints by category and channel, {month}"),
}

PROSE: dict[str, tuple[str, str]] = {
    # shared
    "as_of": ("数据截至 {as_of}。", "Data as of {as_of}."),
    "contract": (
        "合同 {contract}：甲方 {party_a}，乙方 {party_b}。",
        "Contract {contract}: Party A {party_a}, Party B {party_b}.",
    ),
    "data_heading": ("## 数据说明", "## Input data"),
    "data_note": (
        "每个数字都可追溯到输入文件的行（C21）。剔除的行不参与计算，原因见 `sla validate`。客户个人信息（姓名、电话、邮箱）均已脱敏（C20）。",
        "Every figure traces back to rows of the input files (C21). Rows set aside are not counted; `sla validate` lists them with the reason. "
        "Customer personal data (names, phones, e-mails) are masked (C20).",
    ),
    "na_note": (
        "n/a：当月没有可计算的记录（分母为 0）。",
        "n/a: nothing to measure that month (zero denominator).",
    ),
    "no_rows": ("（无记录）", "(none)"),
    "no_data": (
        "> **⚠ 无数据（{month}）**：{tables} 在本月没有任何记录，相关指标为 n/a：{kpis}。按合同条款"
        "（na_counts_as: {rule}），其中的费用指标计为{counted}。结算前请确认导出数据覆盖本月。",
        "> **⚠ No data ({month})**: {tables} {have} no rows at all this month, so these KPIs are n/a: {kpis}. "
        "Under the terms (na_counts_as: {rule}) the fee KPIs among them count as {counted}. "
        "Check that the export covers the month before settling.",
    ),
    # complaint_statistics
    "cs_title": ("# 投诉统计报告 {month}", "# Complaint statistics {month}"),
    "cs_intro": (
        "本报告对应合同第一条“投诉处理”：{hours:g} 小时内联系客户（C2），{days} 个工作日内给出初步解决方案（C3），"
        "并定期向甲方提供投诉统计（C4）。本月共收到投诉 **{count}** 件。",
        "This report covers article 1, complaint handling: contact the customer within {hours:g} hours (C2), a preliminary "
        "solution within {days} working days (C3), and periodic complaint statistics for Party A (C4). "
        "Complaints received this month: **{count}**.",
    ),
    "cs_kpis": ("## 时限达标与满意度（C2、C3、C10）", "## Deadlines met and satisfaction (C2, C3, C10)"),
    "cs_daily": ("## 每日投诉量", "## Complaints per day"),
    "cs_daily_note": (
        "阴影为法定节假日，标“班”的为调休上班日；初步方案期限按工作日计算（C3），节假日不计入。",
        "Shaded days are statutory holidays, days marked “W” adjusted working days (weekend days worked); "
        "the C3 deadline counts working days only.",
    ),
    "cs_holidays": ("本月节假日与调休：", "Holidays and adjusted working days this month:"),
    "cs_breakdown": ("## 投诉分类", "## Complaints by category, product and channel"),
    "by_category": ("### 按类别", "### By category"),
    "by_product": ("### 按产品", "### By product"),
    "by_channel": ("### 按渠道", "### By channel"),
    "cs_handling": ("## 处理时效", "## Handling times against the standards"),
    "cs_handling_note": (
        "虚线为合同标准。首次联系：{hours:g} 小时（{clock}）；初步方案：{days} 个工作日（受理当日不计，截止日 24:00 前）。",
        "Dashed lines are the contract standards. First contact: {hours:g} hours ({clock}); preliminary solution: {days} working "
        "days (the day of receipt is not counted; due by 24:00 of the deadline day).",
    ),
    "clock_calendar": ("自然时间", "calendar time"),
    "clock_service": ("服务时间", "service time"),
    "cs_open": ("## 月末未结投诉", "## Complaints open at month end"),
    "cs_repeat": ("### 重复投诉客户（客户编号已脱敏）", "### Repeat complainers (customer ids masked)"),
    "cs_misses": ("## 未达标投诉明细", "## Complaints that missed a standard"),
    "cs_misses_note": (
        "共 {count} 件。投诉编号与源文件行号保留以便核对；客户姓名、电话、邮箱已脱敏。",
        "{count} complaints. Complaint ids and file rows are kept for checking; customer names, phones and e-mails are masked.",
    ),
    "misses_first": (
        "下表只列出最早的 {shown} 件；全部 {count} 个编号见 {month} 月 `sla kpis --format json` 输出的 missed_ids。",
        "The table lists the earliest {shown} only; all {count} ids of {month} are in the missed_ids of `sla kpis --format json`.",
    ),
    # satisfaction_trends
    "st_title": ("# 服务质量与满意度趋势（截至 {month}）", "# Service quality and satisfaction trends (to {month})"),
    "st_intro": (
        "合同第三条服务质量：咨询解决率 ≥ {c9}%（C9）、投诉处理满意度 ≥ {c10}%（C10）、回访满意度 ≥ {c11}%（C11），"
        "以及第一条回访数量 ≥ 当月新增客户的 {c6}%（C6）。评分 ≥ {score} 分计为满意。",
        "Article 3, service quality: consultation resolution ≥ {c9}% (C9), complaint satisfaction ≥ {c10}% (C10), "
        "follow-up satisfaction ≥ {c11}% (C11); and article 1, follow-ups ≥ {c6}% of the month's new customers (C6). "
        "A score of {score} or more counts as satisfied.",
    ),
    "st_trend": ("## 月度趋势", "## Month by month"),
    "st_trend_note": (
        "虚线为目标；红点为未达标月份；n/a 表示当月无可计算记录。",
        "Dashed lines are the targets; red points are months that missed; n/a means nothing to measure that month.",
    ),
    "st_scores": ("## 满意度评分分布", "## Satisfaction scores"),
    "st_breakdown": ("## 按渠道与产品", "## By channel and product"),
    "st_failed": ("## 未达标月份", "## Months that missed a target"),
    "st_failed_none": ("本合同期内至今没有未达标月份。", "No month of the term so far missed a target."),
    "st_failed_note": (
        "计费指标（C9–C11）未达标的月份按第四条扣款（C14），并计入第六条“多次出现服务质量问题”（C19）：已 {count} 个月，阈值 {limit} 个月。",
        "A month that misses a fee KPI (C9–C11) carries a deduction (C14) and counts towards repeated quality failures "
        "(C19): {count} month(s) so far, threshold {limit}.",
    ),
    # fee_reconciliation
    "fr_title": ("# 服务费对账单 {month}", "# Fee reconciliation {month}"),
    "fr_headline": (
        "**应付金额 {amount_due} 元**，付款截止日 {payment_due}；已付 {paid} 元（差额 {balance} 元）；"
        "最长逾期 {late_days} 天，逾期违约金 {late_damages} 元。",
        "**Amount due CNY {amount_due}**, payment due {payment_due}; paid CNY {paid} (balance {balance}); "
        "longest delay {late_days} days, late-payment damages CNY {late_damages}.",
    ),
    "fr_kpis": ("## 计费考核指标（C9–C11）", "## Fee KPIs (C9–C11)"),
    "fr_lines": ("## 费用计算明细", "## The fee statement, line by line"),
    "fr_lines_note": (
        "每一行注明合同条款与代入数字的计算式，可手工复核。",
        "Each line names its clause and shows its formula with the numbers filled in, so it can be checked by hand.",
    ),
    "fr_payments": ("## 付款与逾期（C15、C17、C18）", "## Payments against the due date (C15, C17, C18)"),
    "fr_invoices": ("## 发票（C16）", "## Invoices (C16)"),
    "fr_term": ("## 合同期内累计", "## Term to date"),
    "fr_exposure": ("## 违约风险（C18–C20）", "## Exposure (C18–C20)"),
    "fr_excel": ("Excel 对账表已保存：{path}", "Excel workbook written: {path}"),  # no code span: values are escaped text
    # quarterly_trends
    "qt_title": ("# 季度趋势 {quarter}", "# Quarterly trends {quarter}"),
    "qt_intro": (
        "{quarter}（{months}）各项指标逐月与上一季度 {previous}（{previous_months}）对比。",
        "Every KPI for each month of {quarter} ({months}) next to the previous quarter {previous} ({previous_months}).",
    ),
    "qt_kpis": ("## 指标逐月对比", "## KPIs month by month"),
    "qt_heatmap": ("## 到达时段分布", "## When contacts arrive"),
    "qt_channels": ("## 渠道构成", "## Channel mix"),
    "qt_drilldown": ("## 投诉明细（按月份、渠道、类别）", "## Complaint drill-down (month, channel, category)"),
    "qt_drilldown_note": (
        "在 JupyterLab 中打开时可用下拉框筛选；在生成的 HTML 报告中可搜索、排序 (PDF 为完整静态表格)。",
        "Opened in JupyterLab, the table can be filtered with the drop-downs; in the rendered HTML report it can be searched and sorted (the PDF shows the whole table).",
    ),
    "all": ("全部", "All"),
    "h_consultations": ("### 咨询", "### Consultations"),
    "h_complaints": ("### 投诉", "### Complaints"),
}

COLUMNS.update({k: v for k, v in KPI_LABELS.items()})
COLUMNS.update({f"{k}_total": (f"{zh}（样本数）", f"{en} (n)") for k, (zh, en) in KPI_LABELS.items()})
CLAUSES: dict[str, str] = {k: d[0] for k, d in KPI_DEFINITIONS.items()}


def _pick(pair: tuple[str, str], lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return pair[0] if lang == "zh" else pair[1]


def column(key, lang: str) -> str:
    """A column header; unknown keys are shown as they are."""
    return _pick(COLUMNS[key], lang) if key in COLUMNS else str(key)


def value(key, lang: str):
    """A canonical value (a text of VALUES, or a bool) in the report's language; anything
    else is returned unchanged (numbers are never looked up: 1 is not True here)."""
    if isinstance(key, bool):
        return _pick(BOOLS[key], lang)
    if isinstance(key, str) and key in VALUES:
        return _pick(VALUES[key], lang)
    if isinstance(key, str) and key in DATA_VALUES:
        return _pick(DATA_VALUES[key], lang)
    return key


# The data's own categorical values (complaint categories, products...) in both languages:
# the data folder's ``value_labels.csv`` (columns value, zh, en), read by
# :func:`sla_lib.data.load_value_labels` and added here when the inputs are loaded
# (:func:`sla_lib.views.load_inputs`). The suite's own VALUES are never replaced.
DATA_VALUES: dict[str, tuple[str, str]] = {}


def extend_values(table: dict[str, tuple[str, str]]) -> None:
    """Add the data's value labels (value -> (zh, en)) for this process; VALUES keep theirs."""
    DATA_VALUES.update({k: v for k, v in table.items() if k not in VALUES})


def kpi(key: str, lang: str, clause: bool = False) -> str:
    """A KPI's name ('投诉处理满意度'); with ``clause``: 'C10 投诉处理满意度'."""
    name = _pick(KPI_LABELS[key], lang)
    return f"{CLAUSES[key]} {name}" if clause else name


def chart(key: str, lang: str, **values) -> str:
    return _pick(CHART[key], lang).format(**values)


def text(key: str, lang: str, **values) -> str:
    """A notebook's Markdown in the report's language, with ``values`` filled in."""
    return _pick(PROSE[key], lang).format(**values)


def weekday(number: int, lang: str) -> str:
    return _pick(WEEKDAYS[int(number)], lang)


def month_tick(month: str, lang: str) -> str:
    """'2026-07' -> '7月' / 'Jul'."""
    return _pick(MONTHS[int(month[5:7]) - 1], lang)


def sheet(key: str, lang: str) -> str:
    return _pick(SHEETS[key], lang) if key in SHEETS else str(key)[:31]


# -- renewal scenarios (C7, notebooks/renewal_scenarios.ipynb) ---------------------------------
# The contract's pricing terms a scenario may change (sla_lib.renewal.SCENARIO_KEYS), by the
# names the contract gives them (四 费用及支付方式 / 三 服务质量), with their clause.
RENEWAL_TERMS: dict[str, tuple[str, str]] = {
    "targets.consultation_resolution_pct": ("C9 咨询解决率目标 %", "C9 consultation resolution target %"),
    "targets.complaint_satisfaction_pct": ("C10 投诉处理满意度目标 %", "C10 complaint satisfaction target %"),
    "targets.followup_satisfaction_pct": ("C11 回访满意度目标 %", "C11 follow-up satisfaction target %"),
    "fees.monthly_base_fee": ("C12 基础服务费（元/月）", "C12 monthly base fee (CNY)"),
    "fees.bonus_pct": ("C13 绩效奖励（基础服务费 %）", "C13 bonus (% of base fee)"),
    "fees.penalty_step_pct": ("C14 扣款档距（每低百分点）", "C14 penalty step (points below target)"),
    "fees.penalty_per_step_pct": ("C14 每档扣款（基础服务费 %）", "C14 penalty per step (% of base fee)"),
    "fees.penalty_rounding": ("C14 档数取整", "C14 rounding of steps"),
    "fees.penalty_cap_pct": ("C14 扣款上限（基础服务费 %）", "C14 deduction cap (% of base fee)"),
    "na_counts_as": ("无数据指标计为", "n/a KPIs count as"),
}
COLUMNS.update(RENEWAL_TERMS)
COLUMNS.update(
    {
        "scenario": ("方案", "Scenario"),
        "current": ("现行合同", "Current contract"),
        "changes": ("变更条款", "Changed terms"),
        "replay_total": ("回放年度金额", "Replayed year"),
        "replay_difference": ("回放：与现行合同差额", "Replay: difference to current contract"),
        "expected_yearly_cost": ("期望年成本（甲方）", "Expected yearly cost (Party A)"),
        "p5": ("年成本 5% 分位", "Yearly cost, 5th percentile"),
        "p95": ("年成本 95% 分位", "Yearly cost, 95th percentile"),
        "expected_difference": ("与现行合同差额（期望，同一模拟年配对）", "Difference to current contract (expected, paired years)"),
        "difference_p5": ("差额 5% 分位", "Difference, 5th percentile"),
        "difference_p95": ("差额 95% 分位", "Difference, 95th percentile"),
        "p_cheaper_year": ("甲方成本更低的年份占比", "Share of years cheaper for Party A"),
        "p_bonus_month": ("月度奖励概率", "P(bonus month)"),
        "p_deduction_month": ("月度扣款概率", "P(deduction month)"),
        "deduction_before_cap": ("期望年扣款（上限前）", "Expected yearly deduction, before cap"),
        "deduction_after_cap": ("期望年扣款（上限后，实扣）", "Expected yearly deduction, after cap (deducted)"),
        "cap_cut": ("上限每年削减的扣款（期望）", "Cut off by the cap a year (expected)"),
        "p_cap_month": ("触及上限的月份占比", "Share of months at the cap"),
        "p_cap_year": ("触及上限的年份占比", "Share of years with a month at the cap"),
        "cap_limit": ("扣款限额", "Deduction limit"),
        "actual": ("实际应付", "Actual amount due"),
        "difference": ("差额", "Difference"),
        "key_date": ("关键日期", "Key date"),
        "expected_deduction.consultation_resolution": ("期望年扣款（上限前）：咨询解决率", "Expected yearly deduction before cap: resolution"),
        "expected_deduction.complaint_satisfaction": ("期望年扣款（上限前）：投诉满意度", "Expected yearly deduction before cap: complaint sat."),
        "expected_deduction.followup_satisfaction": ("期望年扣款（上限前）：回访满意度", "Expected yearly deduction before cap: follow-up sat."),
        # the backtest of the simulation methods (sla_lib.renewal.backtest)
        "window": ("留出窗口", "Held-out window"),
        "method": ("模拟方法", "Simulation method"),
        "folds": ("留出次数", "Windows held out"),
        "covered": ("区间覆盖实际的次数", "Windows covered"),
        "coverage": ("覆盖率（应为 90%）", "Coverage (claimed 90 %)"),
        "mean_width": ("5–95% 区间平均宽度（元）", "Mean width of the 5–95 % band (CNY)"),
        "interval_score": ("区间评分（越低越好）", "Interval score (lower is better)"),
    }
)
VALUES.update(
    {
        "term_end": ("合同截止日", "Term ends"),
        "objection_deadline": ("书面异议截止日", "Written objection deadline"),
        "auto_renewal_check": ("自动续约确认日", "Auto-renewal check date"),
        "renewed_start": ("续约期开始", "Renewed term starts"),
        "renewed_end": ("续约期结束", "Renewed term ends"),
        "days_to_objection_deadline": ("距异议截止（天）", "Days to the objection deadline"),
        "current": ("现行合同", "Current contract"),
        # fees.penalty_rounding
        "ceil": ("向上取整（不足一档按一档）", "up (a part step counts as a step)"),
        "floor": ("向下取整（不足一档不扣）", "down (a part step is not counted)"),
        "prorata": ("按比例（不取整）", "pro rata (exact steps)"),
        # simulation methods and backtest windows
        "bootstrap": ("自助抽样（实际月份连续分块）", "bootstrap (blocks of actual months)"),
        "parametric": ("参数模型（各指标 beta-二项分布）", "parametric (beta-binomial per KPI)"),
        "quarters": ("各季度", "quarters"),
        "months": ("各月", "months"),
        # the limit of C14 on the month's total deduction
        "cap": ("扣款上限", "deduction cap"),
        "zero_floor": ("下限为零（扣款不超过基础服务费）", "floor of zero (deductions ≤ base fee)"),
    }
)
CHART.update(
    {
        "cost_distribution": ("模拟年度成本（甲方）：累计分布", "Simulated yearly cost to Party A: cumulative distribution"),
        "cost_axis": ("年度成本（万元）", "Yearly cost (CNY 10k)"),
        "share_axis": ("成本不超过该值的模拟年份占比", "Share of simulated years costing at most this"),
        "years_axis": ("模拟年数", "Simulated years"),
        "difference_title": ("与现行合同的差额（同一模拟年配对）", "Difference to the current contract (paired years)"),
        "difference_axis": ("年度差额（万元）：期望值与 5–95% 区间", "Yearly difference (CNY 10k): expected and 5–95 % band"),
        "cheaper": ("← 甲方更省", "← cheaper for Party A"),
        "grid_title": ("期望年成本（万元）", "Expected yearly cost (CNY 10k)"),
        "replay_title": ("按月回放：方案与现行合同的差额（元）", "Replay by month: scenario minus current (CNY)"),
    }
)
PROSE.update(
    {
        "rn_title": ("# 续约方案评估", "# Renewal scenario evaluation"),
        "rn_intro": (
            "以本合同期 {first}–{last} 的实际月度 KPI 计数为基础，对备选条款进行回放和模拟（{years} 个模拟年，方法：{method}，随机种子 {seed}）。"
            "所有方案使用同一组模拟年，因此与现行合同的差额按同一模拟年配对计算，不是抽样噪声。回放金额按合同条款 C12–C14 精确计算到分；"
            "模拟的期望值、分位与占比是模拟年的估计值（平均值四舍五入到分），不是合同金额。",
            "The term's actual monthly KPI counts {first}–{last} are re-priced (replay) and simulated ({years} simulated years, "
            "method: {method}, seed {seed}) under each alternative. Every scenario is priced on the same simulated years, so its "
            "difference to the current contract is taken year by year (paired), not sampling noise. Replayed amounts are exact to "
            "the fen under clauses C12–C14; simulated expectations, percentiles and shares are estimates over the simulated years "
            "(means rounded to the fen), not contract amounts.",
        ),
        "rn_dates": ("## 关键日期（C7）", "## Key dates (C7)"),
        "rn_warning": (
            "**⚠ 书面异议截止日 {deadline} 距今仅 {days} 天。** 如不在此日前书面提出异议，合同将自动续约至 {renewed_end}。",
            "**⚠ The written objection deadline {deadline} is {days} days away.** Without a written objection by then, the contract renews to {renewed_end}.",
        ),
        "rn_method": ("## 模拟方法的回测", "## Which simulation method: a backtest"),
        "rn_method_text": (
            "依次留出历史中的每个季度（及每个月），用其余月份拟合两种方法，检验其 5–95% 区间覆盖留出期实际成本的频率是否如其所称（90%）。"
            "区间评分 = 区间宽度 + 20 ×（实际值落在区间外的距离），越低越好。本报告使用：**{method}**；回测选择：**{chosen}**。",
            "Each quarter (and each month) of the history is held out in turn; both methods are fitted on the other months, and "
            "we check how often their 5–95 % band covers the held-out period's actual cost (it claims 90 %). Interval score = "
            "band width + 20 × how far the actual cost fell outside the band; lower is better. This report uses **{method}**; the "
            "backtest chooses **{chosen}**.",
        ),
        "rn_compare": ("## 方案对比", "## Scenarios side by side"),
        "rn_replay": ("## 回放：若本合同期采用各方案", "## Replay: this term under each scenario"),
        "rn_distribution": ("## 模拟：下一合同期的年度成本", "## Projection: the next term's yearly cost"),
        "rn_grid": ("## 条款网格", "## Grid of two terms"),
        "rn_grid_axes": ("行：{a}；列：{b}。", "Rows: {a}; columns: {b}."),
        "rn_break_even": ("## 盈亏平衡", "## Break-even"),
        "rn_break_even_value": (
            "方案 **{scenario}** 下，{term}为 **{value}%** 时，乙方的期望年收入与现行合同相同（现行为 {current}%）。",
            "Under scenario **{scenario}**, a {term} of **{value}%** gives Party B the same expected yearly income as the current contract (today {current}%).",
        ),
        "rn_break_even_none": (
            "方案 **{scenario}** 下，0–100% 之间没有任何{term}能使乙方期望年收入与现行合同相同。",
            "Under scenario **{scenario}**, no {term} between 0 and 100 % gives Party B the same expected yearly income as today.",
        ),
        "rn_summary": ("## 给谈判者的摘要", "## Summary for the negotiator"),
        "rn_summary_line": (
            "- **{scenario}**（{changes}）：期望年成本 {cost} 元；与现行合同的差额 {delta} 元（同一模拟年配对，90% 区间 {d5} 至 {d95}）；"
            "{cheaper:.1%} 的模拟年甲方成本更低；每月扣款概率 {p_ded:.1%}。",
            "- **{scenario}** ({changes}): expected yearly cost {cost}; difference to the current contract {delta} (paired years, "
            "90 % band {d5} to {d95}); cheaper for Party A in {cheaper:.1%} of simulated years; chance of a deduction in a month {p_ded:.1%}.",
        ),
        "rn_cap_line": (
            "  {limit}（{cap_pct}%，每月 {cap} 元）在 {p_month:.1%} 的月份、{p_year:.1%} 的年份触及：期望年扣款上限前 {before} 元，"
            "上限后（实扣）{after} 元，上限每年削减 {cut} 元。",
            "  The {limit} ({cap_pct} %, {cap} a month) binds in {p_month:.1%} of months and {p_year:.1%} of years: expected yearly "
            "deduction {before} before the cap, {after} after it (deducted); the cap cuts off {cut} a year.",
        ),
        "rn_explore": ("## 交互式调整", "## Try other terms"),
        "rn_explore_note": (
            "在 JupyterLab 中打开本笔记本时，可拖动滑块即时重新计算；生成的报告只显示上方的固定方案。",
            "Opened in JupyterLab, the sliders below re-price the simulated years at once; the rendered report shows the fixed scenarios above.",
        ),
    }
)
# the scenario table is shown one column per scenario: its row labels are these column names
VALUES.update({k: COLUMNS[k] for k in (
    "changes", "replay_total", "replay_difference", "expected_yearly_cost", "p5", "p95", "expected_difference", "difference_p5",
    "difference_p95", "p_cheaper_year", "p_bonus_month", "p_deduction_month", "deduction_before_cap", "deduction_after_cap",
    "cap_cut", "p_cap_month", "p_cap_year", "cap_limit", "expected_deduction.consultation_resolution",
    "expected_deduction.complaint_satisfaction", "expected_deduction.followup_satisfaction")})


# -- the month's index.html and e-mail body (sla_lib.report): language -> key -> text -----------
INDEX = {
    "zh": {
        "title": "{contract} {month} 月度报告",
        "parties": "甲方 {a} · 乙方 {b}",
        "figures": "本月要点",
        "amount_due": "应付金额 (元)",
        "payment_due": "付款截止日",
        "paid": "已付 (元)",
        "balance": "差额 (已付 − 应付)",
        "bonus": "奖励 (元)",
        "total_deduction": "扣减 (元)",
        "late_damages": "逾期违约金 (元)",
        "kpis": "考核指标",
        "kpis_line": "达标 {met} 项，未达标 {missed} 项，无数据 {na} 项",
        "kpi": "指标", "clause": "条款", "rate": "比率 %", "target": "目标 %", "status": "结果",
        "documents": "报告",
        "report": "报告", "workbook": "费用对账工作簿 (Excel)", "attached": "附件", "workbook_file": "费用对账表",
        "executed": "已执行的 notebook (供分析人员在 JupyterLab 中打开)",
        "as_of": "计算基准日 {as_of}；生成于 {created}；sla_lib {version}",
        "status_names": {"met": "达标", "missed": "未达标", "n/a": "无数据", "measured": "已测量 (无目标)"},
        "change": "较 {month} {delta}",
        "change_column": "较上月 (百分点)",
        "settled": "已结清",
        "not_due": "未到期：付款截止日 {due}，还有 {days} 天",
        "overdue": "已逾期 {days} 天 (付款截止日 {due})",
        "no_data": "⚠ 无数据：{tables} 在 {month} 没有任何记录，相关指标为 n/a（按 na_counts_as: {rule} 计为{counted}）；结算前请确认导出数据覆盖本月。",
    },
    "en": {
        "title": "{contract} monthly report {month}",
        "parties": "Party A {a} · Party B {b}",
        "figures": "Headline figures",
        "amount_due": "Amount due (CNY)",
        "payment_due": "Payment due",
        "paid": "Paid (CNY)",
        "balance": "Balance (paid − due)",
        "bonus": "Bonus (CNY)",
        "total_deduction": "Deductions (CNY)",
        "late_damages": "Late-payment damages (CNY)",
        "kpis": "KPIs",
        "kpis_line": "{met} met, {missed} missed, {na} n/a",
        "kpi": "KPI", "clause": "Clause", "rate": "Rate %", "target": "Target %", "status": "Status",
        "documents": "Reports",
        "report": "Report", "workbook": "Fee reconciliation workbook (Excel)", "attached": "attached", "workbook_file": "Fee reconciliation",
        "executed": "Executed notebooks (open in JupyterLab to filter the tables)",
        "as_of": "As of {as_of}; generated {created}; sla_lib {version}",
        "status_names": {"met": "met", "missed": "missed", "n/a": "n/a", "measured": "measured (no target)"},
        "change": "{delta} vs {month}",
        "change_column": "vs previous month (pp)",
        "settled": "settled",
        "not_due": "not yet due: payment due {due}, {days} days left",
        "overdue": "overdue by {days} days (payment was due {due})",
        "no_data": "⚠ No data: {tables} {have} no rows at all in {month}; their KPIs are n/a (counted as {counted}, na_counts_as: {rule}). Check that the export covers the month before settling.",
    },
}


# -- the month in progress (issue 15: sla_lib.outlook, notebooks/month_outlook.ipynb) ---------
COLUMNS.update(
    {
        "expected_remaining": ("预计剩余数", "Expected remaining"),
        "projected_rate_pct": ("预测月末比率 %", "Projected month end %"),
        "interval_pct": ("90% 区间 %", "90 % interval %"),
        "p_miss": ("未达标概率", "P(miss)"),
        "p_miss_pct": ("未达标概率 %", "P(miss) %"),
        "needed": ("至少还需", "At least"),
        "remaining": ("预计剩余", "Of about"),
        "best_rate_pct": ("全部达标时 %", "If all of them count %"),
        "deadline": ("期限", "Deadline"),
        "days_left": ("剩余天数", "Days left"),
        "probability": ("概率", "Probability"),
    }
)
VALUES.update(
    {
        "secured": ("已确保", "already secured"),
        "reachable": ("仍可达到", "reachable"),
        "unreachable": ("已无法达到", "no longer reachable"),
        "passed": ("⚠ 已过期", "⚠ passed"),
        "today": ("⚠ 今日截止", "⚠ due today"),
        "soon": ("⚠ 临近", "⚠ soon"),
        "ahead": ("未到", "ahead"),
        "done": ("已完成", "done"),
        "invoice_due": ("发票截止日", "invoice due"),
        "bonus_if_ended_today": ("奖励（若本月今日结束）", "bonus (if the month ended today)"),
        "deduction_if_ended_today": ("扣款（若本月今日结束）", "deduction (if the month ended today)"),
        "bonus_at_projected_rates": ("奖励（按预测比率）", "bonus (at the projected rates)"),
        "deduction_at_projected_rates": ("扣款（按预测比率）", "deduction (at the projected rates)"),
        "expected_bonus": ("期望奖励", "expected bonus"),
        "expected_deduction": ("期望扣款", "expected deduction"),
        **{f"expected_month_deduction.{k}": (f"期望扣款：{zh}", f"expected deduction: {en}") for k, (zh, en) in KPI_LABELS.items()},
        "breach_exposure_if_fails": ("本月未达标将触发的质量违约金（C19）", "breach penalty if this month fails (C19)"),
    }
)
CHART.update(
    {
        "ol_p_miss_title": ("计费指标月末未达标概率", "Probability that a fee KPI misses its target at month end"),
        "ol_p_miss_axis": ("概率 %", "Probability %"),
    }
)
PROSE.update(
    {
        "ol_title": ("# {month} 月度进展与预测", "# The month in progress: {month}"),
        "ol_position": (
            "截至 {as_of} 日终：已过 {elapsed_workdays} 个工作日和 {elapsed_other_days} 个其他日，剩余 {remaining_workdays} 个工作日和 {remaining_other_days} 个其他日。预测依据 {history} 个历史月份和本月至今的数据（{draws} 次模拟，种子 {seed}）。",
            "As of the end of {as_of}: {elapsed_workdays} working days and {elapsed_other_days} other days have passed, {remaining_workdays} working days and {remaining_other_days} other days remain. The projection draws on {history} months of history and the month so far ({draws} simulated month ends, seed {seed}).",
        ),
        "ol_kpis": ("## 各项指标：本月至今与月末预测", "## Each KPI: the month so far and at month end"),
        "ol_kpis_note": (
            "预计剩余数按剩余工作日与其他日，以及历史与本月至今每个工作日、每个其他日的到达量计算；预测比率为模拟月末的中位数，区间为 5%–95% 分位；未达标概率为模拟月末低于目标的比例。",
            "Expected remaining volumes come from the month's remaining working and other days and the arrivals per working day and per other day of the history and of the month so far; the projected rate is the median of the simulated month ends, the interval their 5th to 95th percentiles, P(miss) the share of them below the target.",
        ),
        "ol_takes": ("## 达标所需", "## What it takes"),
        "ol_unit_consultation_resolution": ("条咨询被解决", "consultations resolved"),
        "ol_unit_complaint_satisfaction": ("条已评分投诉为满意", "rated complaints satisfied"),
        "ol_unit_followup_satisfaction": ("条已评分回访为满意", "rated follow-ups satisfied"),
        "ol_takes_reachable": (
            "- **{kpi}**：预计剩余约 {remaining} 条中，至少 {needed} {unit}，即可达到目标 {target} %。",
            "- **{kpi}**: at least {needed} of about {remaining} remaining {unit} meets the target of {target} %.",
        ),
        "ol_takes_secured": (
            "- **{kpi}**：已确保（即使预计剩余约 {remaining} 条全部未达标，比率仍不低于目标 {target} %）。",
            "- **{kpi}**: already secured (the target of {target} % holds even if none of about {remaining} remaining does).",
        ),
        "ol_takes_unreachable": (
            "- **{kpi}**：已无法达到目标 {target} %（预计剩余约 {remaining} 条全部达标，比率最高为 {best} %）。",
            "- **{kpi}**: no longer reachable: even if all of about {remaining} remaining count, the rate is at most {best} % against {target} %.",
        ),
        "ol_takes_na": ("- **{kpi}**：本月无可计算的记录（n/a）。", "- **{kpi}**: nothing to measure this month (n/a)."),
        "ol_fee": ("## 费用风险", "## Fee at risk"),
        "ol_fee_line": (
            "期望奖励 {bonus} 元（概率 {p_bonus:.1%}），期望扣款 {deduction} 元（概率 {p_deduction:.1%}）；按本月至今的比率，奖励 {today_bonus} 元、扣款 {today_deduction} 元。",
            "Expected bonus CNY {bonus} (probability {p_bonus:.1%}), expected deduction CNY {deduction} (probability {p_deduction:.1%}); at the month-to-date rates the bonus would be CNY {today_bonus} and the deduction CNY {today_deduction}.",
        ),
        "ol_c19_already": (
            "> **C19**：本期已有 {count} 个月未达标（允许 {allowed} 个），质量违约金 {exposure} 元已触发。",
            "> **C19**: {count} failing months in the term so far ({allowed} allowed): the breach penalty of CNY {exposure} is already triggered.",
        ),
        "ol_c19_trigger": (
            "> **⚠ C19**：本期已有 {count} 个月未达标（允许 {allowed} 个）；若本月未达标（概率 {p:.1%}），将触发质量违约金 {exposure} 元。",
            "> **⚠ C19**: {count} failing months in the term so far ({allowed} allowed); if this month fails (probability {p:.1%}), the breach penalty of CNY {exposure} is triggered.",
        ),
        "ol_c19_safe": (
            "C19：本期已有 {count} 个月未达标（允许 {allowed} 个）；本月未达标也不会触发质量违约金。",
            "C19: {count} failing months in the term so far ({allowed} allowed); this month failing would not trigger the breach penalty.",
        ),
        "ol_deadlines": ("## 即将到来的期限", "## Deadlines ahead"),
        "ol_deadline_passed": ("- **⚠ {what}**（{clause}{month}）：{date}，已过 {days} 天。", "- **⚠ {what}** ({clause}{month}): {date}, passed {days} days ago."),
        "ol_deadline_today": ("- **⚠ {what}**（{clause}{month}）：今日 {date} 截止。", "- **⚠ {what}** ({clause}{month}): today, {date}."),
        "ol_deadline_soon": ("- **⚠ {what}**（{clause}{month}）：{date}，还有 {days} 天。", "- **⚠ {what}** ({clause}{month}): {date}, in {days} days."),
        "ol_no_warning": ("未来 {days} 天内没有到期或已过期未办的事项。", "Nothing falls due within {days} days and nothing overdue is open."),
        "ol_method": (
            "预测方法与回测结果见 docs/outlook.md：模拟为估计，不是结算；结算以月末的 `sla fees` 为准。",
            "The method and its backtest are in docs/outlook.md: the simulation is an estimate, not a settlement; the month is settled by `sla fees` at its end.",
        ),
    }
)


# -- the outlook digest e-mail (sla_lib.delivery.outlook_message): language -> key -> text --------
DIGEST = {
    "zh": {
        "subject": "[SLA] {month} 月中展望 (截至 {as_of}) — {contract}",
        "warning": "⚠ {deadline}：{date} (剩余 {days} 天)",
        "kpis": "各项指标：当月至今与月末预测",
        "takes": "达标所需 (预计剩余量中)",
        "fee": "费用风险 (元)",
        "deadlines": "期限",
    },
    "en": {
        "subject": "[SLA] {month} outlook as of {as_of} — {contract}",
        "warning": "⚠ {deadline}: {date} ({days} days left)",
        "kpis": "KPIs: month to date and projected to the month end",
        "takes": "What it takes (of the expected remaining)",
        "fee": "Fee at risk (CNY)",
        "deadlines": "Deadlines",
    },
}


# -- the archive page of every published month (sla_lib.archive): language -> key -> text ----------
ARCHIVE = {
    "zh": {
        "title": "月度报告归档", "contract": "合同 {contract}", "trend": "趋势", "months": "各月报告", "quarters": "季度报告",
        "month": "月份", "quarter": "季度", "amount_due": "应付金额 (元)", "payment_due": "付款截止日", "balance": "差额 (已付 − 应付)",
        "kpis": "考核指标 (达标 / 未达标 / 无数据)", "kpis_missed": "未达标指标", "published": "已发布月份",
        "no_data": "无数据", "report": "报告", "generated": "生成于 {at}；共 {n} 个月",
        "trend_amount": "应付金额 (元)", "trend_missed": "未达标指标数", "empty": "尚无已发布的报告。",
    },
    "en": {
        "title": "Report archive", "contract": "Contract {contract}", "trend": "Trend", "months": "Monthly reports",
        "quarters": "Quarterly reports", "month": "Month", "quarter": "Quarter", "amount_due": "Amount due (CNY)",
        "payment_due": "Payment due", "balance": "Balance (paid − due)", "kpis": "KPIs (met / missed / n/a)",
        "kpis_missed": "KPIs missed", "published": "Months published", "no_data": "no data", "report": "report",
        "generated": "Generated {at}; {n} months", "trend_amount": "Amount due (CNY)", "trend_missed": "KPIs missed",
        "empty": "No report has been published yet.",
    },
}
