"""`correct`, `letter`, `letters`, `report`, `audit` and the decision subcommands of `findings`
(approve, dismiss, mark-refunded, offset, note): each parses its arguments, calls one function of
edi_engine.outputs, writes or prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from edi_engine.cli import db_url, handle_errors, main, output_file
from edi_engine.cli.commands_findings import findings_cmd
from edi_engine.cli.progress import progress_bar
from edi_engine.errors import UsageError


def _write(out: str, data: bytes) -> None:
    if out == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        Path(out).write_bytes(data)
        click.echo(f"wrote {out} ({len(data)} bytes)", err=True)


@main.command("correct")
@click.argument("claim_id", required=False)
@click.option("--replace", "replace", is_flag=True, help="Replacement claim (CLM05-3 = 7).")
@click.option("--void", "void", is_flag=True, help="Void of the adjudicated claim (CLM05-3 = 8).")
@click.option("--finding", "finding_id", type=int, help="The correction a finding calls for (a duplicate: void).")
@click.option("--payer", "payer_id", help="Payer id, when the claim went to several payers.")
@click.option("--set", "changes", multiple=True, metavar="FIELD=VALUE",
              help="line.N.charge|units|procedure|modifiers|revenue=VALUE (replacement only).")
@click.option("--by", default="system", show_default=True, help="Who writes it (audit trail).")
@click.option("-o", "--output", "out", required=True, help="Output 837 file, or - for stdout.")
@click.pass_context
@handle_errors
def correct_cmd(ctx: click.Context, claim_id: str | None, replace: bool, void: bool, finding_id: int | None,
                payer_id: str | None, changes: tuple[str, ...], by: str, out: str) -> None:
    """Write an 837 that replaces or voids an adjudicated claim (REF*F8 = the 835's CLP07).

    Example: edi-engine correct PCN0001 --replace --set line.2.charge=120.00 -o corrected.837
    """
    from edi_engine.outputs import corrected_claim, corrected_claim_for_finding
    from edi_engine.store.engine import open_store
    # Flags that ask for two different claims are refused, never settled by whichever came last.
    if replace and void:
        raise UsageError("--replace and --void ask for different claims (frequency 7 or 8): give one")
    if finding_id is not None and (claim_id or replace or void or changes):
        raise UsageError("--finding writes the correction the finding calls for: give it alone, without CLAIM_ID, "
                         "--replace, --void or --set")
    if void and changes:
        raise UsageError("--set changes lines of a replacement; a void (--void) carries the claim as adjudicated")
    mode = "replace" if replace else "void" if void else None
    output_file(out)
    if finding_id is not None:
        data = corrected_claim_for_finding(open_store(db_url(ctx)), finding_id, by=by)
    else:
        if not claim_id or not mode:
            raise UsageError("give CLAIM_ID with --replace or --void (or --finding ID)")
        pairs = dict(_pair(c) for c in changes)
        data = corrected_claim(open_store(db_url(ctx)), claim_id, mode=mode, payer_id=payer_id, changes=pairs, by=by)
    _write(out, data)


def _pair(text: str) -> tuple[str, str]:
    field, sep, value = text.partition("=")
    if not sep:
        raise UsageError(f"--set takes FIELD=VALUE, got {text!r}")
    return field.strip(), value


def _fmt(out: str) -> str:
    suffix = Path(output_file(out)).suffix.lower().lstrip(".")
    if suffix not in ("pdf", "html", "txt"):
        raise UsageError("the output name must end in .pdf, .html or .txt")
    return suffix


@main.command("letter")
@click.argument("finding_id", type=int)
@click.option("--to", type=click.Choice(["payer", "patient"]), default=None,
              help="Recipient (default: the patient for a patient overpayment, else the payer).")
@click.option("--template", type=click.Path(exists=True, dir_okay=False), help="Your own Jinja2 template.")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
              help="Rule pack: letterhead and signer ([provider], [letters]), payers' refund addresses.")
@click.option("--by", default="system", show_default=True, help="Who writes it (audit trail).")
@click.option("-o", "--output", "out", required=True, help="OUT.pdf, OUT.html or OUT.txt.")
@click.pass_context
@handle_errors
def letter_cmd(ctx: click.Context, finding_id: int, to: str | None, template: str | None, rules_path: str | None,
               by: str, out: str) -> None:
    """Write the refund letter of a finding.

    Example: edi-engine letter 12 --to payer --rules office.toml -o refund-12.pdf
    """
    from edi_engine.outputs import render_letter
    from edi_engine.store.engine import open_store
    _write(out, render_letter(open_store(db_url(ctx)), finding_id, to=to, fmt=_fmt(out), template=template, by=by,
                              rules_path=rules_path))


@main.command("letters")
@click.option("--status", type=click.Choice(["approved", "refunded", "offset"]), default="approved", show_default=True,
              help="Findings in this status (letters follow the last approval).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html", "txt"]), default="pdf", show_default=True)
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
              help="Rule pack: letterhead and signer ([provider], [letters]), payers' refund addresses.")
@click.option("--by", default="system", show_default=True, help="Who writes them (audit trail).")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.pass_context
@handle_errors
def letters_cmd(ctx: click.Context, status: str, fmt: str, rules_path: str | None, by: str, out: str) -> None:
    """Write the refund letter of every refund finding in a status, one file each.

    Example: edi-engine letters --status approved -o letters/
    """
    from edi_engine.outputs import render_letter
    from edi_engine.rules import categories, load_pack
    from edi_engine.store.engine import open_store
    from edi_engine.store.findings import finding_ids
    engine, pack = open_store(db_url(ctx)), load_pack(rules_path)
    with engine.connect() as conn:
        ids = finding_ids(conn, status=status, categories=categories.refund_names())
    Path(out).mkdir(parents=True, exist_ok=True)
    with progress_bar("letters") as progress:
        progress(0, len(ids))
        for done, fid in enumerate(ids, 1):
            (Path(out) / f"finding-{fid}.{fmt}").write_bytes(render_letter(engine, fid, fmt=fmt, by=by, pack=pack))
            progress(done, len(ids))
    click.echo(f"{len(ids)} letters written to {out}")


@main.group("report")
def report_group() -> None:
    """Reconciliation and credit-balance reports."""


@report_group.command("reconcile")
@click.option("--check", help="Only this check/EFT trace number (TRN02).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "pdf"]), default="table", show_default=True)
@click.option("-o", "--output", "out", default="-", show_default=True, help="Output file, or - for stdout.")
@click.pass_context
@handle_errors
def reconcile_cmd(ctx: click.Context, check: str | None, fmt: str, out: str) -> None:
    """Per check: BPR amount, claim payments, PLB, difference, matched and unmatched claims.

    Example: edi-engine report reconcile --check 24110150280374
    """
    from edi_engine.outputs import reconcile_report, render_report
    from edi_engine.store.engine import open_store
    output_file(out)
    rows = reconcile_report(open_store(db_url(ctx)), check)
    _write(out, render_report(rows, fmt, "Check reconciliation"))


@report_group.command("credit-balances")
@click.option("--as-of", "as_of", metavar="DATE", help="Age credits at this date (default today).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "pdf"]), default="table", show_default=True)
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
              help="Rule pack TOML file (its [aging] buckets).")
@click.option("-o", "--output", "out", default="-", show_default=True, help="Output file, or - for stdout.")
@click.pass_context
@handle_errors
def credit_balances_cmd(ctx: click.Context, as_of: str | None, fmt: str, rules_path: str | None, out: str) -> None:
    """Open credits by payer and category, aged by the day each arose (the rule pack's buckets,
    default 0-30/31-60/61-90/90+ days), with deadlines. The Medicare detail is `report cms838`.

    Example: edi-engine report credit-balances --as-of 2025-01-31 --format csv
    """
    from edi_engine.outputs import credit_balance_report, render_report
    from edi_engine.rules import load_pack
    from edi_engine.store.engine import open_store
    output_file(out)
    rows = credit_balance_report(open_store(db_url(ctx)), as_of, load_pack(rules_path))
    _write(out, render_report(rows, fmt, "Credit balances"))


@report_group.command("cms838")
@click.option("--as-of", "as_of", metavar="DATE", help="The report's date (default today; env EDI_ENGINE_AS_OF).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "pdf"]), default="table", show_default=True)
@click.option("--all", "all_lines", is_flag=True, help="Every line, also those already reported unchanged.")
@click.option("--record", is_flag=True, help="Mark the lines listed as reported on --as-of (needs --by).")
@click.option("--by", help="Who files the report (audit trail; with --record).")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
              help="Rule pack TOML file (its [provider] and [cms838] tables).")
@click.option("-o", "--output", "out", default="-", show_default=True, help="Output file, or - for stdout.")
@click.pass_context
@handle_errors
def cms838_cmd(ctx: click.Context, as_of: str | None, fmt: str, all_lines: bool, record: bool, by: str | None,
               rules_path: str | None, out: str) -> None:
    """Medicare Credit Balance Report (CMS-838) lines: Medicare fee-for-service credits on
    institutional claims not yet reported, or changed since; filed when they occur (no quarterly
    filing since 2024-12-01).

    Example: edi-engine report cms838 --format pdf -o cms838.pdf --record --by maria
    """
    from edi_engine.outputs import cms838_report, render_cms838
    from edi_engine.rules import load_pack
    from edi_engine.store.engine import open_store
    output_file(out)
    if record and not by:
        raise UsageError("--record needs who files the report (--by NAME)")
    report = cms838_report(open_store(db_url(ctx)), as_of, all_lines=all_lines, pack=load_pack(rules_path),
                           record_by=by if record else None)
    _write(out, render_cms838(report, fmt))
    if report.recorded:
        click.echo(f"{len(report.lines)} lines recorded as reported on {report.header.prepared_on}", err=True)


@report_group.command("review")
@click.option("--from", "date_from", required=True, metavar="DATE", help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, metavar="DATE", help="Last day of the period (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "pdf"]), default="table", show_default=True)
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False), help="Rule pack TOML file.")
@click.option("-o", "--output", "out", default="-", show_default=True, help="Output file, or - for stdout.")
@click.pass_context
@handle_errors
def review_cmd(ctx: click.Context, date_from: str, date_to: str, fmt: str, rules_path: str | None, out: str) -> None:
    """The periodic review: credits opened, resolved, refunded, offset and dismissed (and why), days
    from arising to identification and to refund against each deadline, overdue and suspended
    credits, decisions by person, and the ledger's credits reconciled to the findings to the cent.

    Example: edi-engine report review --from 2025-01-01 --to 2025-03-31 --format pdf -o q1-review.pdf
    """
    from edi_engine.outputs.review import render_review, review_report
    from edi_engine.rules import load_pack
    from edi_engine.store.engine import open_store
    output_file(out)
    report = review_report(open_store(db_url(ctx)), date_from, date_to, load_pack(rules_path))
    _write(out, render_review(report, fmt))


@report_group.command("unclaimed")
@click.option("--as-of", "as_of", metavar="DATE", help="Judge dormancy at this date (default today).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "pdf"]), default="table", show_default=True)
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
              help="Rule pack TOML file ([provider] state, [states.XX] unclaimed_dormancy_years and _report_by).")
@click.option("-o", "--output", "out", default="-", show_default=True, help="Output file, or - for stdout.")
@click.pass_context
@handle_errors
def unclaimed_cmd(ctx: click.Context, as_of: str | None, fmt: str, rules_path: str | None, out: str) -> None:
    """Patient credits whose refund came back or was never cashed, aging toward unclaimed property:
    the day each is presumed abandoned under the state's dormancy period and the report date after it.

    Example: edi-engine report unclaimed --rules office.toml --format csv
    """
    from edi_engine.outputs import render_report
    from edi_engine.outputs.unclaimed import unclaimed_report
    from edi_engine.rules import load_pack
    from edi_engine.store.engine import open_store
    output_file(out)
    report = unclaimed_report(open_store(db_url(ctx)), as_of, load_pack(rules_path))
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    _write(out, render_report(report.rows, fmt, "Unclaimed patient credits"))


@report_group.command("unacknowledged")
@click.option("--days", type=click.IntRange(min=0), default=30, show_default=True,
              help="List claims sent at least this many days ago.")
@click.option("--as-of", "as_of", metavar="DATE", help="Count days to this date (default today).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "pdf"]), default="table", show_default=True)
@click.option("-o", "--output", "out", default="-", show_default=True, help="Output file, or - for stdout.")
@click.pass_context
@handle_errors
def unacknowledged_cmd(ctx: click.Context, days: int, as_of: str | None, fmt: str, out: str) -> None:
    """Claims with no 277CA verdict and no rejecting 999 after --days days.

    Example: edi-engine report unacknowledged --days 14
    """
    from edi_engine.outputs import render_report, unacknowledged_report
    from edi_engine.store.engine import open_store
    rows = unacknowledged_report(open_store(db_url(ctx)), days, as_of)
    _write(out, render_report(rows, fmt, f"Claims unacknowledged after {days} days"))


def _decision(action: str, summary: str) -> None:
    @findings_cmd.command(action, help=f"{summary}\n\nExample: edi-engine findings {action} 12 --by maria --note "
                                       "\"checked the EOB\"")
    @click.argument("finding_id", type=int)
    @click.option("--by", required=True, help="Who decides.")
    @click.option("--note", default="", help="Why.")
    @click.pass_context
    @handle_errors
    def command(ctx: click.Context, finding_id: int, by: str, note: str) -> None:
        from edi_engine.outputs import decide
        from edi_engine.store.engine import open_store

        decide(open_store(db_url(ctx)), finding_id, action, by=by, note=note)
        click.echo(f"finding {finding_id}: {action} recorded")


for _action, _summary in (("dismiss", "Dismiss an open or approved finding."),
                          ("offset", "Record that an approved finding was offset.")):
    _decision(_action, _summary)


@findings_cmd.command("approve")
@click.argument("finding_id", type=int)
@click.option("--by", required=True, help="Who approves (four eyes: one person takes one step of a finding).")
@click.option("--note", default="", help="Why, or what was checked.")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
              help="Rule pack TOML file: its [approvals] chain (give the one `serve` runs with).")
@click.pass_context
@handle_errors
def approve_cmd(ctx: click.Context, finding_id: int, by: str, note: str, rules_path: str | None) -> None:
    """Take the next approval step of an open finding: one approval by default; a rule pack's
    [approvals] may ask for more (and more above an amount). The last step approves the refund, and
    only then may its letter and corrected claim be written.

    Example: edi-engine findings approve 12 --by maria --note "checked the EOB"
    """
    from edi_engine.outputs import decide
    from edi_engine.store.engine import open_store
    done = decide(open_store(db_url(ctx)), finding_id, "approve", by=by, note=note, rules_path=rules_path)
    if done.step is not None and not done.step.last:
        click.echo(f"finding {finding_id}: approval step {done.step.number} of {done.step.of} ({done.step.name}) "
                   f"recorded; next: {done.step.next_label}")
    else:
        click.echo(f"finding {finding_id}: approve recorded")


@findings_cmd.command("mark-refunded")
@click.argument("finding_id", type=int)
@click.option("--by", required=True, help="Who records it.")
@click.option("--check", "check", metavar="NUMBER", help="Number of the refund check.")
@click.option("--eft", "eft", metavar="TRACE", help="Trace number of the refund EFT.")
@click.option("--amount", metavar="AMOUNT", help="What it repaid (default: all that is outstanding).")
@click.option("--date", "paid_on", metavar="DATE", required=True, help="Check issue or EFT date, YYYY-MM-DD.")
@click.option("--note", default="", help="Why.")
@click.pass_context
@handle_errors
def mark_refunded_cmd(ctx: click.Context, finding_id: int, by: str, check: str | None, eft: str | None,
                      amount: str | None, paid_on: str, note: str) -> None:
    """Record the check or EFT that repaid an approved finding, whole or in part.

    Example: edi-engine findings mark-refunded 12 --by maria --check 10042 --amount 67.27 --date 2025-01-15
    """
    from edi_engine.outputs import record_refund
    from edi_engine.store.engine import open_store
    if (check is None) == (eft is None):
        raise UsageError("say how it was repaid: --check NUMBER or --eft TRACE (one of them)")
    done = record_refund(open_store(db_url(ctx)), finding_id, by=by, method="check" if check else "eft",
                         number=check or eft or "", amount=amount, paid_on=paid_on, note=note)
    click.echo(f"finding {finding_id}: {'refund of ' + format(done.amount, '.2f') if done.new else 'already'} "
               f"recorded; {done.outstanding:.2f} outstanding, {done.status}")


@findings_cmd.command("investigate")
@click.argument("finding_id", type=int)
@click.option("--by", required=True, help="Who opens the investigation.")
@click.option("--note", required=True, help="What is being looked into (kept in the audit trail).")
@click.option("--on", "on", metavar="DATE", help="The day it began (default today; env EDI_ENGINE_AS_OF).")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False), help="Rule pack TOML file.")
@click.pass_context
@handle_errors
def investigate_cmd(ctx: click.Context, finding_id: int, by: str, note: str, on: str | None,
                    rules_path: str | None) -> None:
    """Suspend a Medicare finding's 60-day deadline for a timely, good-faith investigation of related
    overpayments: until `end-investigation`, or 180 days at most (42 CFR 401.305(b)(2)).

    Example: edi-engine findings investigate 12 --by maria --note "audit of the same DRG, Q3 claims"
    """
    from edi_engine.outputs.decisions import start_investigation
    from edi_engine.store.engine import open_store
    due = start_investigation(open_store(db_url(ctx)), finding_id, by=by, note=note, on=on, rules_path=rules_path)
    click.echo(f"finding {finding_id}: under investigation; refund due by {due} at the latest")


@findings_cmd.command("end-investigation")
@click.argument("finding_id", type=int)
@click.option("--by", required=True, help="Who closes the investigation.")
@click.option("--note", default="", help="What it found.")
@click.option("--on", "on", metavar="DATE", help="The day it ended (default today; env EDI_ENGINE_AS_OF).")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False), help="Rule pack TOML file.")
@click.pass_context
@handle_errors
def end_investigation_cmd(ctx: click.Context, finding_id: int, by: str, note: str, on: str | None,
                          rules_path: str | None) -> None:
    """End a finding's investigation: its 60 days run again from that day (or from the 180-day limit).

    Example: edi-engine findings end-investigation 12 --by maria --note "no related overpayments"
    """
    from edi_engine.outputs.decisions import end_investigation
    from edi_engine.store.engine import open_store
    due = end_investigation(open_store(db_url(ctx)), finding_id, by=by, note=note, on=on, rules_path=rules_path)
    click.echo(f"finding {finding_id}: investigation ended; refund due by {due}")


@findings_cmd.command("note")
@click.argument("finding_id", type=int)
@click.option("--by", required=True, help="Who writes the note.")
@click.option("--note", required=True, help="The note.")
@click.pass_context
@handle_errors
def note_cmd(ctx: click.Context, finding_id: int, by: str, note: str) -> None:
    """Add a note to a finding's audit trail.

    Example: edi-engine findings note 12 --by maria --note "called the payer"
    """
    from edi_engine.outputs import add_note
    from edi_engine.store.engine import open_store
    add_note(open_store(db_url(ctx)), finding_id, by=by, note=note)


@findings_cmd.command("match")
@click.argument("finding_id", type=int)
@click.option("--claim", "claim", required=True, metavar="CLM01", help="The claim the payment belongs to.")
@click.option("--line", "line", type=click.IntRange(min=1), default=None, metavar="N",
              help="The claim's line (LX01), for a service payment or a claim payment of one SVC.")
@click.option("--by", required=True, help="Who matches it (audit trail).")
@click.option("--note", required=True, help="Why: what the EOB or the payer showed.")
@click.option("--override", is_flag=True, help="Match to a claim of another payer or member id all the same.")
@click.pass_context
@handle_errors
def match_cmd(ctx: click.Context, finding_id: int, claim: str, line: int | None, by: str, note: str,
              override: bool) -> None:
    """Match the payment of an unmatched_payment finding to a claim (or a line) by hand; the next
    detect posts it to that claim.

    Example: edi-engine findings match 4 --claim PCN0766001 --by ana --note "EOB: CLP01 mistyped"
    """
    from edi_engine.outputs import match_payment
    from edi_engine.store.engine import open_store
    done = match_payment(open_store(db_url(ctx)), finding_id, claim=claim, line=line, by=by, note=note,
                         override=override)
    click.echo(f"finding {finding_id}: {done.amount:.2f} matched by hand to claim {done.claim}"
               + (f" line {done.line}" if done.line else "")
               + f" (manual match #{', #'.join(str(i) for i in done.match_ids)}); run `edi-engine detect` to post it")


@findings_cmd.command("unmatch")
@click.argument("finding_id", type=int)
@click.option("--by", required=True, help="Who undoes it (audit trail).")
@click.option("--note", required=True, help="Why the match was wrong.")
@click.pass_context
@handle_errors
def unmatch_cmd(ctx: click.Context, finding_id: int, by: str, note: str) -> None:
    """Undo the manual match of an unmatched_payment finding; the next detect reads the payment as
    unmatched again.

    Example: edi-engine findings unmatch 4 --by ana --note "payer says it was another claim"
    """
    from edi_engine.outputs import unmatch_payment
    from edi_engine.store.engine import open_store
    undone = unmatch_payment(open_store(db_url(ctx)), finding_id, by=by, note=note)
    click.echo(f"finding {finding_id}: manual match #{', #'.join(str(m.id) for m in undone)} to claim "
               f"{undone[0].clm01} undone; run `edi-engine detect` to read the payment as unmatched again")


@main.command("audit")
@click.argument("finding_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
@click.pass_context
@handle_errors
def audit_cmd(ctx: click.Context, finding_id: int | None, as_json: bool) -> None:
    """List audit events (all, or one finding's), oldest first.

    Example: edi-engine audit 12
    """
    from edi_engine.outputs import audit_events
    from edi_engine.store.engine import open_store
    events = audit_events(open_store(db_url(ctx)), finding_id)
    if as_json:
        click.echo(json.dumps([{"id": e.id, "finding_id": e.finding_id, "event": e.event, "actor": e.actor,
                                "at": e.at.isoformat(), "note": e.note, "details": e.details} for e in events],
                              indent=2))
        return
    for e in events:
        click.echo(f"{e.at:%Y-%m-%d %H:%M:%S}Z  {e.finding_id if e.finding_id is not None else '-':>6}  "
                   f"{e.event:<24} {e.actor:<12} {e.note}")
    click.echo(f"{len(events)} events")
