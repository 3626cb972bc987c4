"""Credit-balance rules: the TOML rule pack, one module per finding category reading the ledger,
deadlines, and the idempotent detect run that reconciles stored findings.

Public API:
    detect(engine, *, as_of=None, pack=None, rules_path=None, only=None) -> DetectSummary
    load_pack(path=None) -> RulePack          packaged default.toml, a file merged over it
    list_findings(conn, status="open", category=None) -> list[FindingRecord]
    explain(conn, finding_id) -> Explanation
    categories: the registry (Category, get, names, register, registered)
    Status, Decision, DECIDED, ON_BOOKS: the lifecycle (rules/lifecycle.py), AS_OF_ENV
"""

from __future__ import annotations

from edi_engine.rules import categories
from edi_engine.rules.categories import Category
from edi_engine.rules.lifecycle import DECIDED, ON_BOOKS, Decision, Status
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.rules.report import Explanation, FindingRecord, explain, list_findings
from edi_engine.rules.run import AS_OF_ENV, DetectSummary, detect, resolve_as_of

__all__ = [
    "AS_OF_ENV", "Category", "DECIDED", "Decision", "DetectSummary", "Explanation", "FindingRecord", "ON_BOOKS",
    "RulePack", "Status", "categories", "detect", "explain", "list_findings", "load_pack", "resolve_as_of",
]
