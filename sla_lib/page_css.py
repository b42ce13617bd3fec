"""The style of the small pages the suite writes itself (no notebook behind them): a month's
``index.html`` and its e-mail (:mod:`sla_lib.report`), and the archive page (:mod:`sla_lib.archive`)."""

PAGE_CSS = """
body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
  max-width: 900px; margin: 24px auto; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 24px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.missed { color: #b00020; font-weight: bold; } .met { color: #1b5e20; } .muted { color: #666; font-size: 12px; }
"""
