"""sla_lib: KPIs, PRC working-day calendar and fee formulas of the customer-support
service contract (电子公司客户支持服务合同). Every formula of the suite lives here."""

from .errors import CalendarCoverageError, ReportError, SlaError, TableError, TableErrors, TermsError, TermsErrors
from .terms import Terms, load_terms

__version__ = "0.1.0"
