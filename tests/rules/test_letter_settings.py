"""The rule pack's letter settings: [provider] letterhead fields and [letters] (signer, each payer's
refund address) read as written, and a setting the pack does not know refused, not ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_engine.errors import UsageError
from edi_engine.rules.pack import PayerLetterRules, load_pack


def test_letter_settings_are_read(tmp_path: Path) -> None:
    rules = tmp_path / "office.toml"
    rules.write_text('[provider]\nname = "Riverside"\naddress = "120 River Road"\ncity = "Springfield"\n'
                     'postal_code = "62701"\nphone = "2175550147"\nphone_extension = "2"\n'
                     '[letters]\nsigner_name = "Ana Ruiz"\nsigner_title = "Billing"\n'
                     '[letters.payers.NSB02]\nrefund_address = ["PO Box 1", "Springfield, IL 62794"]\n', "utf-8")
    pack = load_pack(rules)
    assert (pack.provider.address, pack.provider.city, pack.provider.phone_extension) == (
        ("120 River Road",), "Springfield", "2")
    assert (pack.letters.signer_name, pack.letters.signer_title) == ("Ana Ruiz", "Billing")
    assert pack.letters.payers == {"NSB02": PayerLetterRules(("PO Box 1", "Springfield, IL 62794"), "")}
    assert load_pack().letters.payers == {} and load_pack().letters.signer_name == ""


@pytest.mark.parametrize("text", [
    '[letters]\nsigner = "Ana"\n',
    '[letters.payers.NSB02]\nrefund_adress = ["PO Box 1"]\n',
    '[letters.payers.NSB02]\nrefund_address = [1, 2]\n',
    '[letters.payers]\nNSB02 = "PO Box 1"\n',
])
def test_a_letter_setting_the_pack_does_not_know_is_refused(tmp_path: Path, text: str) -> None:
    rules = tmp_path / "office.toml"
    rules.write_text(text, "utf-8")
    with pytest.raises(UsageError, match="letters"):
        load_pack(rules)
