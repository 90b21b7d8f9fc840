"""The landing page's own sentences and headings, in Chinese and English.

Owns the page's words that are not label values (those are `exporter.vocabulary`'s) and
the CSS, which names the fonts so that a CJK font the system has is used. Pure: tables.
"""

from __future__ import annotations

from collections.abc import Mapping

Text = Mapping[str, str]

TEXT: Mapping[str, Text] = {
    "en": {
        "html_lang": "en",
        "lead": "Follows SIP and GB/T 28181 platform logs and counts every response code, "
        "explained by its catalog, for Prometheus.",
        "version": "Version",
        "ready": "Ready: every source has been read once.",
        "not_ready": "Starting: the first pass over the sources is not done yet.",
        "metrics": "Metrics",
        "status_json": "The same as JSON",
        "healthy": "Health",
        "readiness": "Readiness",
        "window": "Window:",
        "silent": "Reading nothing",
        "no_files": "no file matches its patterns {patterns}: nothing is counted. "
        "Check the paths in the config and that the log folder is mounted.",
        "no_records": "its files give lines but not one record: the format is most likely "
        "wrong (or the platform does not log SIP). `sip-log-exporter detect FILE` tells.",
        "codes": "Codes in the last {window}",
        "no_codes": "No responses in the last {window}.",
        "count": "count",
        "trend": "trend",
        "since": "since {when}",
        "code": "code",
        "reason": "reason",
        "category": "category",
        "severity": "severity",
        "by_method": "by method and direction",
        "by_device": "by kind of device",
        "by_source": "by source",
        "peers": "failing most",
        "rest": "the rest",
        "summed": "not told apart (a busy minute's detail, summed)",
        "user": "for the user",
        "engineer": "for the engineer",
        "check_first": "check first",
        "not_listed": "Not in the catalog.",
        "sources": "Sources",
        "source": "source",
        "format": "format",
        "profile": "profile",
        "files": "files followed",
        "no_file": "(no file yet)",
        "patterns": "patterns:",
        "state": "state",
        "lag": "lag (bytes)",
        "reading": "reading",
        "transactions": "transactions",
        "last_record": "last record",
        "none_yet": "none yet",
        "responses": "responses",
        "failures": "failures (4xx–6xx)",
        "srd": "SRD p95",
        "timings": "response time p95 by method",
        "answered": "{n} answered",
        "timeouts": "timeouts",
        "retransmissions": "retransmissions",
        "open": "open transactions",
        "no_timing": "no transaction timed in this window",
        "trend_title": "{total} in the last {window}, one bar per {step} min",
        "updated": "Shown at {when}; the page refreshes every {seconds} s. Peers are ranked "
        "over the window to within five minutes.",
        "ago": "{seconds} s ago",
    },
    "zh": {
        "html_lang": "zh-CN",
        "lead": "跟踪 SIP 与 GB/T 28181 平台日志，统计每一个响应码并附上码表说明，"
        "供 Prometheus 采集。",
        "version": "版本",
        "ready": "就绪：所有日志源都已读过一遍。",
        "not_ready": "启动中：第一遍读取尚未完成。",
        "metrics": "指标",
        "status_json": "同样内容的 JSON",
        "healthy": "健康检查",
        "readiness": "就绪检查",
        "window": "时间窗口：",
        "silent": "什么都没有读到",
        "no_files": "没有文件匹配其路径 {patterns}：什么都没有统计。"
        "请检查配置中的路径，以及日志目录是否已挂载。",
        "no_records": "文件有日志行但读不出一条记录：多半是格式不对（或平台没有开启 SIP 日志）。"
        "可用 `sip-log-exporter detect FILE` 检查。",
        "codes": "最近 {window} 出现的响应码",
        "no_codes": "最近 {window} 没有响应。",
        "count": "次数",
        "trend": "趋势",
        "since": "自 {when} 起",
        "code": "响应码",
        "reason": "原因短语",
        "category": "类别",
        "severity": "严重程度",
        "by_method": "按方法与方向",
        "by_device": "按设备类型",
        "by_source": "按日志源",
        "peers": "失败最多的对端",
        "rest": "其余",
        "summed": "未细分（繁忙时段的明细已合并）",
        "user": "用户看到的原因",
        "engineer": "工程师排查方向",
        "check_first": "首先检查",
        "not_listed": "码表中没有此码。",
        "sources": "日志源",
        "source": "日志源",
        "format": "格式",
        "profile": "码表配置",
        "files": "正在跟踪的文件",
        "no_file": "（尚无文件）",
        "patterns": "匹配模式：",
        "state": "状态",
        "lag": "积压（字节）",
        "reading": "读取",
        "transactions": "事务",
        "last_record": "最近一条记录",
        "none_yet": "尚无",
        "responses": "响应数",
        "failures": "失败数（4xx–6xx）",
        "srd": "SRD p95",
        "timings": "各方法响应时间 p95",
        "answered": "应答 {n} 次",
        "timeouts": "事务超时",
        "retransmissions": "重传",
        "open": "未结束事务",
        "no_timing": "此窗口内没有可计时的事务",
        "trend_title": "最近 {window} 共 {total} 次，每条柱 {step} 分钟",
        "updated": "生成于 {when}；页面每 {seconds} 秒刷新。对端排名的窗口精确到五分钟。",
        "ago": "{seconds} 秒前",
    },
}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Source Han Sans SC",
"WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC","Hiragino Sans GB",sans-serif;
margin:1.2em 2em;color:#1d2433;background:#fff;line-height:1.45}
header{display:flex;align-items:baseline;justify-content:space-between;gap:1em;flex-wrap:wrap}
h1{margin:0;font-size:1.6em}h2{margin-top:1.4em;font-size:1.2em}
nav a,nav strong{margin-left:.6em}.lead{color:#4a5468;margin:.3em 0}
.status{padding:.3em .7em;border-radius:4px;display:inline-block;margin:.3em 0}
.ok{background:#e3f4e6}.starting{background:#fff3d6}
.silent{border:2px solid #a40e26;border-radius:6px;padding:.4em 1em;background:#fff1f2}
.silent h2{color:#a40e26;margin:.3em 0}
table{border-collapse:collapse;width:100%;margin:.6em 0}
td,th{border:1px solid #d5d9e2;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f1f3f7;font-weight:600}#codes th{white-space:nowrap}
#sources td:first-child{min-width:12em;max-width:22em}
.timings{margin:0;padding-left:1em;white-space:nowrap}.since{color:#4a5468;font-size:.85em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,.path{font-family:ui-monospace,"Noto Sans Mono CJK SC",monospace;font-size:.92em;
word-break:break-all}
tr.code td{border-top:2px solid #8a93a6}tr.where td{background:#fafbfd;font-size:.93em}
.sev-critical .sev,.sev-error .sev{color:#a40e26;font-weight:600}
.sev-warning .sev{color:#9a5b00}.sev-info .sev{color:#1f6f3f}
.where ul{margin:.1em 0;padding-left:1.1em}.where dl{margin:0}
.where dl{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin-top:.4em}
.where dt{font-weight:600}.where dd{margin:0}
.split{display:grid;grid-template-columns:repeat(4,minmax(10em,1fr));gap:.2em 1.2em}
.check{background:#fff7e0;padding:.1em .4em}
.state-waiting{color:#9a5b00}.state-catching_up{color:#2850a0}.state-following{color:#1f6f3f}
.state-no_files,.state-no_records{color:#a40e26;font-weight:600}
svg.spark .base{stroke:#b8bfcc;stroke-width:1;vector-effect:non-scaling-stroke}
svg.spark .bars{fill:#2850a0}
tr.sev-critical svg.spark .bars,tr.sev-error svg.spark .bars{fill:#a40e26}
footer{margin-top:2em;color:#6b7385;font-size:.9em}
"""
