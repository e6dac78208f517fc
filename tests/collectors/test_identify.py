import pytest

from agent.lab.device import model_slug, parse_snmprec
from collectors.identify import Recognition, mismatch, recognise
from collectors.profiles import load_profiles


def _system(model: str) -> tuple[str, str]:
    from importlib import resources

    text = resources.files("agent.lab").joinpath(f"recordings/{model_slug(model)}.snmprec")
    values = parse_snmprec(text.read_text(encoding="utf-8"))
    descr = values[(1, 3, 6, 1, 2, 1, 1, 1, 0)].value
    oid = values[(1, 3, 6, 1, 2, 1, 1, 2, 0)].value
    assert isinstance(descr, bytes) and isinstance(oid, str)
    return oid, descr.decode()


@pytest.mark.parametrize(
    ("vendor", "model"),
    [(v, m) for v, p in load_profiles().items() for m in p.models],
)
def test_every_lab_model_is_recognised_as_itself(vendor: str, model: str) -> None:
    oid, descr = _system(model)
    assert recognise(oid, descr) == Recognition(vendor, model)
    assert mismatch(vendor, model, recognise(oid, descr)) is None


def test_unknown_box_is_a_mismatch_not_an_error() -> None:
    seen = recognise("1.3.6.1.4.1.9.1.1", "Cisco IOS Software")
    assert seen == Recognition(None, None)
    assert "not recognised" in (mismatch("h3c", "S5500", seen) or "")


def test_wrong_model_in_inventory_is_named() -> None:
    oid, descr = _system("S3600")
    message = mismatch("h3c", "S5500", recognise(oid, descr))
    assert message == "looks like a S3600, inventory says S5500"


def test_wrong_vendor_in_inventory_is_named() -> None:
    oid, descr = _system("S5700")
    assert mismatch("h3c", "S5500", recognise(oid, descr)) == (
        "looks like a huawei box, inventory says h3c"
    )
