"""Wording of the work summary (《工作总结》), kept apart from the other documents' strings;
``agent.reports.summary`` lays it over the language's ``STRINGS``."""

from __future__ import annotations

ZH: dict[str, str] = {
    "title.summary": "运维服务工作总结",
    "title.summary.year": "年度运维服务工作总结",
    "cover.number": "文档编号",
    "cover.reviewed": "审核人",
    "cover.blank": "________________",
    "table.caption": "表 {n}  {title}",
    "cite": "（见表 {n}）",
    "cite.two": "（见表 {a}、表 {b}）",
    "month": "月份",
    "whole": "全期",
    "count": "数量",
    # about
    "s.about": "总结说明",
    "s.about.scope": "本总结覆盖合同范围内的 {devices} 台设备，统计周期为 {period}，"
    "共 {months} 个月；生成时间 {generated}，未结束的事项计至该时间（不晚于周期结束）。",
    "s.about.source": "全部数字取自 netmon 监控系统数据库，按月汇总（小时/日汇总数据、中断记录、"
    "部件故障记录、告警事件、配置版本、特征库与授权历史），不含人工估算。"
    "每条结论后注明其依据的表格，表格的数据来源与口径见“数据依据”一节。",
    "s.about.targets": "服务指标（合同）：7×24 小时响应，接到请求后 10 分钟内响应；"
    "2 小时内未能定位问题的，高级工程师赴现场；现场到达时限：城区 2 小时、郊区 4 小时。",
    # conclusions
    "s.claims": "工作概述与主要结论",
    "claim.availability": "统计周期内设备整体可用率为 {value}，共 {samples} 次健康采样{cite}。",
    "claim.lowest": "可用率最低的设备为 {device}（{value}）{cite}。",
    "claim.sites": "各站点可用率：{sites}{cite}。",
    "claim.outages": "共发生设备中断 {count} 次，累计 {duration}{cite}。",
    "claim.incidents": "共发生故障事件 {count} 起（设备中断 {down} 起、硬件故障 {hardware} 起、"
    "人工报告 {reported} 起），其中 {met} 起在 10 分钟内响应，{unrecorded} 起无人工记录；"
    "{recovered} 起在 2 小时内恢复，{open} 起尚未恢复{cite}。",
    "claim.no_incidents": "统计周期内未发生需要应急响应的故障事件{cite}。",
    "claim.alerts": "共产生告警 {count} 条（紧急 {critical}、重要 {major}、次要 {minor}、"
    "警告 {warning}、提示 {info}）{cite}。",
    "claim.changes": "共发生配置变更 {total} 次，已审批 {approved} 次，未审批 {unapproved} 次；"
    "周期结束时 {drift} 台设备的当前配置未经审批{cite}。",
    "claim.signatures": "特征库升级服务范围内共 {devices} 台设备，周期内完成特征库升级 {count} 次；"
    "{every} 台设备每月均有升级，{stale} 台设备在周期结束时存在超期特征库{cite}。",
    "claim.no_signature_scope": "本期无特征库升级服务范围内的设备{cite}。",
    "claim.rollbacks": "特征库/软件版本回退 {count} 次（{devices}），"
    "回退单独列出，不计为升级{cite}。",
    "claim.other_upgrades": "软件/引擎升级 {software} 次，授权变更 {licence} 次{cite}。",
    "claim.faults": "共发生硬件故障（风扇/电源）{count} 次，已恢复 {cleared} 次，"
    "记录维修 {repairs} 次{cite}。",
    "claim.records": "工程师工作记录共 {count} 条{cite}。",
    # months
    "s.months": "逐月情况",
    "t.months": "逐月主要指标",
    "col.availability": "可用率",
    "col.outages": "中断",
    "col.incidents": "故障事件",
    "col.alerts": "告警",
    "col.changes": "配置变更（已审批/未审批）",
    "col.sig_upgrades": "特征库升级",
    "col.sig_devices": "有升级的设备",
    "col.faults": "硬件故障",
    "col.records": "工作记录",
    "ratio": "{a}/{b}",
    # availability
    "s.availability": "设备可用率",
    "s.availability.note": "可用率 = 1 - 中断时长 ÷ 监控时长（中断：连续无响应超过设备宕机告警的"
    "等待时间；维护窗口和监控系统自身中断的时间不计入监控时长），"
    "各月按时长合计后计算全期数值（不是月度百分比的平均）。",
    "t.device_availability": "各设备可用率",
    "t.site_availability": "各站点逐月可用率",
    "t.outages": "设备中断明细",
    "col.device": "设备",
    "col.site": "站点",
    "col.lowest": "最低月份",
    "col.outage_time": "中断累计时长",
    "col.start": "开始时间",
    "col.end": "恢复时间",
    "col.duration": "持续时间",
    "col.failed_polls": "失败采样",
    "still_down": "未恢复",
    "no_outages": "统计周期内未发生设备中断。",
    # incidents
    "s.incidents": "故障与应急响应",
    "s.incidents.note": "故障事件取自监控数据：设备中断（维护窗口外连续无应答超过设备宕机告警的"
    "等待时间）和风扇/电源故障，持续时间为监控所见的时长（2 小时内未恢复的，须高级工程师到场）。"
    "同一设备、时间重叠的工程师应急响应记录与之合并：响应用时 = 响应时间 − 报告时间"
    "（目标 ≤ 10 分钟），到场用时 = 到场时间 − 报告时间（城区 ≤ 2 小时、郊区 ≤ 4 小时），"
    "均以该记录为准；没有记录的注明“无人工记录”，不作推算。"
    "监控未见的应急响应记录单列为“人工报告”。",
    "t.incident_months": "故障事件响应与处置（按月）",
    "t.incidents": "故障事件明细",
    "col.responded": "10 分钟内响应",
    "col.unrecorded": "无人工记录",
    "col.recovered": "2 小时内恢复",
    "col.open": "未恢复",
    "col.category": "类别",
    "col.what": "内容",
    "col.response": "响应用时",
    "col.arrival": "到场用时",
    "col.record": "应急记录编号",
    "category.down": "设备中断",
    "category.hardware": "硬件故障",
    "category.reported": "人工报告",
    "incident.down": "设备无应答（{polls} 次采样失败）",
    "no_record": "无人工记录",
    "no_incidents": "统计周期内无故障事件。",
    # alerts
    "s.alerts": "告警统计",
    "t.alerts": "告警数量（按月、按级别）",
    "col.total": "合计",
    # changes
    "s.changes": "配置变更与审批",
    "t.changes": "配置变更（按月）",
    "col.approved": "已审批",
    "col.unapproved": "未审批",
    "t.unapproved": "未审批的配置变更",
    "col.version": "版本",
    "col.collected": "采集时间",
    "col.lines": "变更行数",
    "lines": "+{added} −{removed}",
    "no_unapproved": "统计周期内的配置变更均已审批。",
    "drift": "周期结束时当前配置未经审批的设备：{devices}。",
    # upgrades
    "s.upgrades": "特征库与授权升级",
    "s.upgrades.scope": "合同要求对 {devices} 台设备（维保服务含“特征库升级”）按时升级特征库。"
    "升级频度以特征库的发布日期衡量：{rules}；超过期限即为超期。",
    "rule": "{kind} {days} 天",
    "t.signature_devices": "特征库升级服务范围内设备的升级情况",
    "col.model": "型号",
    "col.libraries": "特征库",
    "col.upgrades": "升级次数",
    "col.months_updated": "有升级的月份",
    "col.last_update": "最近升级",
    "col.stale": "周期末超期特征库",
    "t.other_upgrades": "特征库回退、软件/引擎与授权变更",
    "updates_and_rollbacks": "{updates}（另回退 {rollbacks} 次）",
    "col.date": "日期",
    "col.kind": "类别",
    "col.item": "项目",
    "col.from": "原版本/到期日",
    "col.to": "新版本/到期日",
    "no_other_upgrades": "统计周期内无特征库回退，无软件、引擎或授权变更。",
    # faults
    "s.faults": "硬件故障与维修",
    "t.faults": "硬件故障（风扇/电源）",
    "col.component": "部件",
    "col.first": "故障时间",
    "col.cleared": "恢复时间",
    "not_cleared": "未恢复",
    "no_faults": "统计周期内未发生风扇或电源故障。",
    # records
    "s.records": "工程师工作记录",
    "t.records": "工程师工作记录（维护、维修、调优、升级、应急响应、值班）",
    "t.record_incidents": "应急响应记录：响应与到场时间",
    "col.performed": "日期",
    "col.description": "工作内容",
    "col.engineer": "实施人",
    "no_records": "统计周期内无人工工作记录。",
    # sources
    "s.sources": "数据依据",
    "t.sources": "各表的数据来源与口径",
    "col.table": "表",
    "col.content": "内容",
    "col.source": "数据来源",
    "src.months": "各月汇总：health_hourly、outages、events、config_versions、signature_versions、"
    "licences、component_episodes、maintenance_records",
    "src.availability": "outages、maintenance_windows、monitoring_gaps"
    "（中断区间、维护窗口、监控系统自身中断）",
    "src.outages": "outages（连续未应答的采样区间）",
    "src.incidents": "outages、component_episodes（监控所见的中断与风扇/电源故障）、"
    "maintenance_records（应急响应记录的报告、响应、到场、解决时间）",
    "src.alerts": "events（按发生时间与级别）",
    "src.changes": "config_versions（版本、采集时间、审批人、审批时间）",
    "src.signatures": "signature_versions（版本、发布日期、首次发现时间）",
    "src.upgrades": "signature_versions、licences（相对上一记录的变化；版本按各段数值比较，"
    "较旧者为回退）",
    "src.faults": "component_episodes（风扇/电源状态区间）",
    "src.records": "maintenance_records（工程师录入）",
}

EN: dict[str, str] = {
    "title.summary": "Maintenance service work summary",
    "title.summary.year": "Annual maintenance service summary",
    "cover.number": "Document number",
    "cover.reviewed": "Reviewed by",
    "cover.blank": "________________",
    "table.caption": "Table {n}  {title}",
    "cite": " (table {n})",
    "cite.two": " (tables {a}, {b})",
    "month": "Month",
    "whole": "Whole period",
    "count": "Count",
    "s.about": "About this summary",
    "s.about.scope": "This summary covers the {devices} devices of the contract over {period}, "
    "{months} months; made at {generated}, open items counted up to then (at most to the end "
    "of the period).",
    "s.about.source": "Every figure comes from the netmon store, summed month by month "
    "(hourly and daily roll-ups, outages, component episodes, events, configuration versions, "
    "signature and licence history); nothing is estimated by hand. Each statement names the "
    "table behind it; the tables' sources and definitions are in 'Sources'.",
    "s.about.targets": "Service levels (contract): 7x24, respond within 10 minutes of a "
    "request; a senior engineer on site when a problem is not located within 2 hours; on-site "
    "arrival within 2 hours (city) or 4 hours (suburban).",
    "s.claims": "Work done and main findings",
    "claim.availability": "Fleet availability over the period was {value}, over {samples} "
    "health polls{cite}.",
    "claim.lowest": "The least available device was {device} ({value}){cite}.",
    "claim.sites": "Availability per site: {sites}{cite}.",
    "claim.outages": "{count} device outages, {duration} in total{cite}.",
    "claim.incidents": "{count} incidents ({down} device down, {hardware} hardware faults, "
    "{reported} reported by hand): {met} responded to within 10 minutes, {unrecorded} not "
    "recorded by an engineer; {recovered} recovered within 2 hours, {open} not yet{cite}.",
    "claim.no_incidents": "No incident needed an emergency response in the period{cite}.",
    "claim.alerts": "{count} alerts (critical {critical}, major {major}, minor {minor}, "
    "warning {warning}, info {info}){cite}.",
    "claim.changes": "{total} configuration changes, {approved} approved, {unapproved} not; "
    "at the end of the period {drift} devices ran an unapproved configuration{cite}.",
    "claim.signatures": "{devices} devices are in the signature-upgrade scope; {count} "
    "signature updates in the period; {every} devices were updated every month, {stale} had a "
    "stale library at the end{cite}.",
    "claim.no_signature_scope": "No device is in the signature-upgrade scope{cite}.",
    "claim.rollbacks": "Signature / software rollbacks (back to an older version): {count} "
    "({devices}); they are listed on their own and not counted as updates{cite}.",
    "claim.other_upgrades": "{software} software / engine upgrades, {licence} licence "
    "changes{cite}.",
    "claim.faults": "{count} hardware faults (fans, power supplies), {cleared} cleared, "
    "{repairs} repairs recorded{cite}.",
    "claim.records": "{count} records entered by engineers{cite}.",
    "s.months": "Month by month",
    "t.months": "Main figures per month",
    "col.availability": "Availability",
    "col.outages": "Outages",
    "col.incidents": "Incidents",
    "col.alerts": "Alerts",
    "col.changes": "Config changes (approved/not)",
    "col.sig_upgrades": "Signature updates",
    "col.sig_devices": "Devices updated",
    "col.faults": "Hardware faults",
    "col.records": "Records",
    "ratio": "{a}/{b}",
    "s.availability": "Availability",
    "s.availability.note": "Availability = 1 - outage time / monitored time (an outage: no "
    "answer for as long as the device-down alert waits; maintenance windows and netmon's own "
    "downtime are not monitored time); the whole period sums the months' times (not a mean of "
    "monthly percentages).",
    "t.device_availability": "Availability per device",
    "t.site_availability": "Availability per site and month",
    "t.outages": "Outages",
    "col.device": "Device",
    "col.site": "Site",
    "col.lowest": "Lowest month",
    "col.outage_time": "Time down",
    "col.start": "Start",
    "col.end": "End",
    "col.duration": "Duration",
    "col.failed_polls": "Failed polls",
    "still_down": "still down",
    "no_outages": "No device outage in the period.",
    "s.incidents": "Incidents and response",
    "s.incidents.note": "Incidents come from monitoring: devices down (silent outside "
    "maintenance for longer than the device-down alert waits) and failed fans or power "
    "supplies, lasting as long as monitoring saw (beyond 2 hours a senior engineer goes on "
    "site). An engineer's incident record of the same device overlapping in time is merged "
    "in: response = responded - reported (target 10 minutes), arrival = arrived - reported "
    "(2 hours city, 4 hours suburban), both from that record; without one they read 'not "
    "recorded', never estimated. Incident records monitoring did not see are listed as "
    "'reported by hand'.",
    "t.incident_months": "Incident response and resolution per month",
    "t.incidents": "Incidents",
    "col.responded": "Responded in 10 min",
    "col.unrecorded": "Not recorded",
    "col.recovered": "Recovered in 2 h",
    "col.open": "Not recovered",
    "col.category": "Category",
    "col.what": "What",
    "col.response": "Response",
    "col.arrival": "On site",
    "col.record": "Incident record",
    "category.down": "device down",
    "category.hardware": "hardware fault",
    "category.reported": "reported by hand",
    "incident.down": "no answer ({polls} failed polls)",
    "no_record": "not recorded",
    "no_incidents": "No incident in the period.",
    "s.alerts": "Alerts",
    "t.alerts": "Alerts per month and severity",
    "col.total": "Total",
    "s.changes": "Configuration changes and approvals",
    "t.changes": "Configuration changes per month",
    "col.approved": "Approved",
    "col.unapproved": "Not approved",
    "t.unapproved": "Configuration changes not approved",
    "col.version": "Version",
    "col.collected": "Collected",
    "col.lines": "Lines",
    "lines": "+{added} -{removed}",
    "no_unapproved": "Every configuration change of the period was approved.",
    "drift": "Devices whose configuration at the end of the period is not approved: {devices}.",
    "s.upgrades": "Signature and licence upgrades",
    "s.upgrades.scope": "The contract has {devices} devices with the signature-upgrade "
    "service. How often is measured on the libraries' release dates: {rules}; older is stale.",
    "rule": "{kind} {days} days",
    "t.signature_devices": "Signature updates of the devices in scope",
    "col.model": "Model",
    "col.libraries": "Libraries",
    "col.upgrades": "Updates",
    "col.months_updated": "Months with an update",
    "col.last_update": "Last update",
    "col.stale": "Stale at the end",
    "t.other_upgrades": "Signature rollbacks, software, engine and licence changes",
    "updates_and_rollbacks": "{updates} (rollbacks besides: {rollbacks})",
    "col.date": "Date",
    "col.kind": "Kind",
    "col.item": "Item",
    "col.from": "From",
    "col.to": "To",
    "no_other_upgrades": "No signature rollback and no software, engine or licence change in "
    "the period.",
    "s.faults": "Hardware faults and repairs",
    "t.faults": "Hardware faults (fans, power supplies)",
    "col.component": "Component",
    "col.first": "Failed at",
    "col.cleared": "Cleared at",
    "not_cleared": "not cleared",
    "no_faults": "No fan or power supply failed in the period.",
    "s.records": "Engineers' records",
    "t.records": "Engineers' records (maintenance, repair, tuning, upgrade, incident, duty)",
    "t.record_incidents": "Incident records: response and on-site arrival",
    "col.performed": "Date",
    "col.description": "Work done",
    "col.engineer": "Engineer",
    "no_records": "No engineers' records in the period.",
    "s.sources": "Sources",
    "t.sources": "Where each table comes from",
    "col.table": "Table",
    "col.content": "Content",
    "col.source": "Source",
    "src.months": "per month: health_hourly, outages, events, config_versions, "
    "signature_versions, licences, component_episodes, maintenance_records",
    "src.availability": "outages, maintenance_windows, monitoring_gaps (outages, maintenance "
    "windows, netmon's own downtime)",
    "src.outages": "outages (spells of unanswered polls)",
    "src.incidents": "outages, component_episodes (outages and fan / power supply faults "
    "monitoring saw), maintenance_records (incident records: reported, responded, arrived, "
    "resolved)",
    "src.alerts": "events (by time raised and severity)",
    "src.changes": "config_versions (version, collected, approver, approved at)",
    "src.signatures": "signature_versions (version, release date, first seen)",
    "src.upgrades": "signature_versions, licences (change from the previous row; versions "
    "compared part by part, an older one is a rollback)",
    "src.faults": "component_episodes (fan / power supply status spells)",
    "src.records": "maintenance_records (entered by engineers)",
}

STRINGS = {"zh": ZH, "en": EN}
