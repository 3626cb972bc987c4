"""What a parse yields: the typed union of the items of the stream, for every guide we model.

`parse_file` and each guide's walker yield, per transaction set, a TransactionStart (with the
guide's header), the claims as each completes (835 ClaimPayment, 837 Claim837) and a
TransactionEnd (with the guide's trailer); a set of a kind no guide here reads comes, when asked
for, as one UnmodelledSet. Consumers match on these types; a new guide adds its
header, claim and trailer models here, so the type checker shows every consumer that must learn it.
"""

from __future__ import annotations

from typing import TypeAlias

from edi_engine.parsers.transaction import TransactionEnd, TransactionStart, UnmodelledSet
from edi_engine.parsers.x221a1_835_models import ClaimPayment, RemittanceHeader, RemittanceTrailer
from edi_engine.parsers.x837_models import Claim837, ClaimsHeader837, ClaimsTrailer837

__all__ = ["ParseItem", "TransactionHeader", "TransactionTrailer"]

TransactionHeader: TypeAlias = RemittanceHeader | ClaimsHeader837
TransactionTrailer: TypeAlias = RemittanceTrailer | ClaimsTrailer837
ParseItem: TypeAlias = TransactionStart | ClaimPayment | Claim837 | TransactionEnd | UnmodelledSet
