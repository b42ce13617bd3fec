"""sla_lib: KPIs, PRC working-day calendar and fee formulas of the customer-support service
contract (电子公司客户支持服务合同). Every formula of the suite lives here; notebooks and the
CLI import what this module exports. Clause ids (C1–C21) map to functions in docs/clauses.md.
"""

from .calendar import ServiceCalendar, WorkCalendar, month_days, months_between
from .data import Dataset, load_dataset, load_table
from .errors import CalendarCoverageError, ReportError, SlaError, TableError, TableErrors, TermsError, TermsErrors
from .fees import FeeStatement, fee_series, fee_statements, month_fee_statement, performance_adjustment
from .kpis import FEE_KPIS, KPI_LABELS, ComplaintStatistics, MonthKpis, complaint_statistics, kpi_series, month_kpis
from .masking import mask_frame
from .terms import Terms, load_terms

__version__ = "0.1.0"

__all__ = [
    "CalendarCoverageError",
    "ComplaintStatistics",
    "Dataset",
    "FEE_KPIS",
    "FeeStatement",
    "KPI_LABELS",
    "MonthKpis",
    "ReportError",
    "ServiceCalendar",
    "SlaError",
    "TableError",
    "TableErrors",
    "Terms",
    "TermsError",
    "TermsErrors",
    "WorkCalendar",
    "complaint_statistics",
    "fee_series",
    "fee_statements",
    "kpi_series",
    "load_dataset",
    "load_table",
    "load_terms",
    "mask_frame",
    "month_days",
    "month_fee_statement",
    "month_kpis",
    "months_between",
    "performance_adjustment",
]
