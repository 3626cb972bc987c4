"""What a parse yields: the typed union of the items of the stream, for every guide we model.

`parse_file` and each guide's walker yield, per transaction set, a TransactionStart (with the
guide's header), the claims as each completes (835 ClaimPayment, 837 Claim837; 999 SetAck999 per
AK2 loop; 277CA StatusLevel277 per batch status and ClaimStatus277 per claim) and a
TransactionEnd (with the guide's trailer); a set of a kind no guide here reads comes, when asked
for, as one UnmodelledSet; a TA1 comes as one InterchangeAck wherever it sits. Consumers match on
these types; a new guide adds its header, claim and trailer models here, so the type checker shows
every consumer that must learn it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from edi_engine.parsers.transaction import InterchangeAck, TransactionEnd, TransactionStart, UnmodelledSet
from edi_engine.parsers.x221a1_835_models import ClaimPayment, RemittanceHeader, RemittanceTrailer
from edi_engine.parsers.x837_models import Claim837, ClaimsHeader837, ClaimsTrailer837

if TYPE_CHECKING:  # the acknowledgment walkers import ParseItem from here
    from edi_engine.parsers.x214_277ca import ClaimAckHeader277, ClaimAckTrailer277, ClaimStatus277, StatusLevel277
    from edi_engine.parsers.x231a1_999 import AckHeader999, AckTrailer999, SetAck999

__all__ = ["ParseItem", "TransactionHeader", "TransactionTrailer"]

TransactionHeader: TypeAlias = "RemittanceHeader | ClaimsHeader837 | AckHeader999 | ClaimAckHeader277"
TransactionTrailer: TypeAlias = "RemittanceTrailer | ClaimsTrailer837 | AckTrailer999 | ClaimAckTrailer277"
ParseItem: TypeAlias = ("TransactionStart | ClaimPayment | Claim837 | TransactionEnd | UnmodelledSet | SetAck999 "
                        "| InterchangeAck | ClaimStatus277 | StatusLevel277")
