"""Dates and phone numbers as street offices write them, read into plain values; what cannot
be read is refused with the reason."""

from datetime import date, datetime

import pytest

from services.rosters.cells import CellError, read_date, read_phone, text_of

OFFICE_DATES = [
    ("2019年6月", date(2019, 6, 1)),
    ("2019年6月3日", date(2019, 6, 3)),
    ("2019 年 06 月 03 号", date(2019, 6, 3)),
    ("２０１９年６月", date(2019, 6, 1)),
    ("2022/12/30", date(2022, 12, 30)),
    ("2022/1/5", date(2022, 1, 5)),
    ("2022.12.30", date(2022, 12, 30)),
    ("2022-12-30", date(2022, 12, 30)),
    (" 2022-12-30 ", date(2022, 12, 30)),
    ("20221230", date(2022, 12, 30)),
    (20221230, date(2022, 12, 30)),
    (44925, date(2022, 12, 30)),
    (44925.0, date(2022, 12, 30)),
    (44925.75, date(2022, 12, 30)),
    ("44925", date(2022, 12, 30)),
    (datetime(2022, 12, 30, 8, 30), date(2022, 12, 30)),
    (date(2022, 12, 30), date(2022, 12, 30)),
]
NOT_DATES = [
    ("2022-13-01", "no such day"),
    ("2022年2月30日", "no such day"),
    ("2022-12/30", "not a date"),
    ("明年", "not a date"),
    ("2019", "five digits"),
    (123, "five digits"),
    ("20221330", "no such day"),
]
OFFICE_PHONES = [
    ("13807310011", "13807310011"),
    ("138 0731 0011", "13807310011"),
    ("138-0731-0011", "13807310011"),
    ("１３８０７３１００１１", "13807310011"),
    ("+86 138 0731 0011", "13807310011"),
    ("+86-13807310011", "13807310011"),
    ("8613807310011", "13807310011"),
    ("008613807310011", "13807310011"),
    ("(+86)13807310011", "13807310011"),
    ("13807310011　", "13807310011"),
    (13807310011, "13807310011"),
    (13807310011.0, "13807310011"),
]
NOT_PHONES = ["1380731", "23807310011", "0731-85550101", "+8713807310011", "138073100111", "电话13807310011", ""]


@pytest.mark.parametrize(("written", "meant"), OFFICE_DATES, ids=[repr(w) for w, _ in OFFICE_DATES])
def test_a_date_is_read_as_offices_write_it(written, meant):
    assert read_date(written) == meant


@pytest.mark.parametrize(("written", "reason"), NOT_DATES, ids=[repr(w) for w, _ in NOT_DATES])
def test_what_is_not_a_date_is_refused_saying_why(written, reason):
    with pytest.raises(CellError) as refused:
        read_date(written)

    assert reason in str(refused.value)


@pytest.mark.parametrize(("written", "meant"), OFFICE_PHONES, ids=[repr(w) for w, _ in OFFICE_PHONES])
def test_a_mobile_number_is_read_as_offices_write_it(written, meant):
    assert read_phone(written) == meant


@pytest.mark.parametrize("written", NOT_PHONES)
def test_what_is_not_a_mainland_mobile_number_is_refused(written):
    with pytest.raises(CellError, match="11-digit mainland mobile number"):
        read_phone(written)


def test_cells_become_trimmed_text_with_whole_numbers_booleans_and_dates_as_an_office_reads_them():
    assert [text_of(c) for c in (None, " 金昌花园 ", 2.0, 2.5, True, False, datetime(2024, 3, 1, 9), "２栋")] == [
        "", "金昌花园", "2", "2.5", "是", "否", "2024-03-01", "2栋"]
