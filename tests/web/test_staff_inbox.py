"""The inbox: newest first, filters, free-text and reference search, counts, masked personnummer, and
keyset pagination that neither skips nor repeats a case when many share the same received time.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from conftest import REFERENCE, Staff, copy_submissions, reread
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Submission, User

PARKING = "parkeringstillstand-rorelsehindrade"
FAULT = "felanmalan-gata-park-belysning"


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


def rows(staff: Staff) -> list[str]:
    """The references in the inbox table, top to bottom."""
    body = staff.html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'href="/staff/cases/(GRU-[^"]+)"', body)


def counts(staff: Staff) -> dict[str, int]:
    listed = staff.html.split('class="status-counts"', 1)[1].split("</ul>", 1)[0]
    return {state: int(n) for state, n in re.findall(r"status=(\w+)[^>]*>[^<]*?(\d+)</a>", listed)}


def inbox(staff: Staff, **params: str) -> list[str]:
    staff.get("/staff/?" + urlencode(params))
    assert staff.page.status_code == 200
    return rows(staff)


def submission(db: Session, reference: str) -> Submission:
    found = db.scalar(select(Submission).where(Submission.reference == reference))
    assert found is not None
    return found


def test_newest_first_and_oldest_first(db: Session, login_as, make_submission) -> None:
    filed = [make_submission(handling=f"Handling {n}")[0] for n in range(3)]
    officer = login_as("staff", "kommunledning")
    assert inbox(officer) == filed[::-1]
    assert inbox(officer, order="asc") == filed
    assert re.search(r'<p role="status">3 ', officer.html)  # "3 cases"


def test_filters_by_e_service_status_and_assignment(db: Session, login_as, make_submission) -> None:
    document, _ = make_submission()
    fault, _ = make_submission(FAULT)
    third, _ = make_submission()
    officer = login_as("staff", ["kommunledning", "samhallsbyggnad"])
    colleague = User(email="x@grums.se", name="X", password_hash="x")  # never signs in
    db.add(colleague)
    db.commit()
    reread(db)
    submission(db, fault).status = "in_progress"
    submission(db, fault).assigned_to_id = officer.user.id
    submission(db, third).assigned_to = db.scalar(select(User).where(User.email == "x@grums.se"))
    db.commit()

    assert inbox(officer, eservice=FAULT) == [fault]
    assert inbox(officer, eservice="begaran-om-allman-handling") == [third, document]
    assert inbox(officer, status="in_progress") == [fault]
    assert inbox(officer, status="received") == [third, document]
    assert inbox(officer, status="closed") == []
    assert inbox(officer, assigned="me") == [fault]
    assert inbox(officer, assigned="none") == [document]
    assert inbox(officer, assigned="any") == [third, fault, document]
    assert inbox(officer, status="received", assigned="none") == [document]
    # Unknown values are ignored rather than failing.
    assert inbox(officer, status="nonsense", assigned="whoever", order="sideways") == [third, fault, document]


def test_received_between_dates_counts_swedish_days(db: Session, login_as, make_submission) -> None:
    early, _ = make_submission()
    late_evening, _ = make_submission()
    reread(db)
    submission(db, early).submitted_at = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    # 23:30 UTC on 10 March is 00:30 on 11 March in Sweden (CET, UTC+1).
    submission(db, late_evening).submitted_at = datetime(2025, 3, 10, 23, 30, tzinfo=UTC)
    db.commit()
    officer = login_as("staff", "kommunledning")
    assert inbox(officer, **{"from": "2025-03-11", "to": "2025-03-11"}) == [late_evening]
    assert inbox(officer, to="2025-03-10") == [early]
    assert inbox(officer, **{"from": "2025-03-10"}) == [late_evening, early]
    assert inbox(officer, **{"from": "2025-03-12"}) == []
    assert inbox(officer, **{"from": "not-a-date"}) == [late_evening, early]


def test_free_text_search_ignores_case_and_diacritics(db: Session, login_as, make_submission) -> None:
    minutes, _ = make_submission(handling="Protokoll från KS oktober", diarienummer="KS 2025/123")
    contract, _ = make_submission(handling="Avtal om snöröjning")
    officer = login_as("staff", "kommunledning")
    assert inbox(officer, q="protokoll") == [minutes]
    assert inbox(officer, q="PROTOKOLL fran") == [minutes]
    assert inbox(officer, q="snoröjning") == [contract]
    assert inbox(officer, q="Snöröjning") == [contract]
    assert inbox(officer, q="2025/123") == [minutes]
    assert inbox(officer, q="protokoll avtal") == []  # every word must match
    assert inbox(officer, q="100%") == []
    assert inbox(officer, q="namn@example.se") == [contract, minutes]  # the sample email address


def test_search_by_reference_and_a_mistyped_reference(db: Session, login_as, make_submission) -> None:
    first, _ = make_submission()
    second, _ = make_submission()
    officer = login_as("staff", "kommunledning")
    assert inbox(officer, q=first) == [first]
    assert inbox(officer, q=f"  {second.lower()} ") == [second]
    assert 'class="error-summary"' not in officer.html

    # One digit changed: the check letter no longer fits, and the page says so instead of showing nothing.
    digits = first[-2]
    mistyped = first[:-2] + str((int(digits) + 1) % 10) + first[-1]
    assert inbox(officer, q=mistyped) == []
    assert 'class="error-summary" role="alert"' in officer.html
    assert html.escape(mistyped) in officer.html.split('class="error-summary"', 1)[1]
    officer.get("/staff/?" + urlencode({"q": mistyped, "lang": "en"}))
    assert "There is no case with the reference number" in officer.html
    assert rows(officer) == []


def test_counts_per_status_follow_the_other_filters(db: Session, login_as, make_submission) -> None:
    filed = [make_submission()[0] for _ in range(4)]
    fault, _ = make_submission(FAULT)
    reread(db)
    submission(db, filed[0]).status = "in_progress"
    submission(db, filed[1]).status = "in_progress"
    submission(db, filed[2]).status = "closed"
    db.commit()
    officer = login_as("staff", "kommunledning")
    inbox(officer)
    assert counts(officer) == {"received": 1, "in_progress": 2, "waiting": 0, "decided": 0, "closed": 1}
    # The status filter narrows the list, not the counts; the counts never include other units' cases.
    assert inbox(officer, status="in_progress") == [filed[1], filed[0]]
    assert counts(officer)["received"] == 1 and counts(officer)["in_progress"] == 2
    assert fault not in officer.html


def test_personnummer_is_masked_in_the_list_and_full_on_the_case_page(db: Session, login_as, make_submission) -> None:
    reference, _ = make_submission(PARKING, personnummer="19811218-9876")
    officer = login_as("staff", "socialforvaltningen")
    assert inbox(officer) == [reference]
    assert "19811218-****" in officer.html
    assert "9876" not in officer.html
    officer.get(f"/staff/cases/{reference}")
    assert "19811218-9876" in officer.html


def test_a_new_answer_from_the_resident_is_marked_as_news(db: Session, login_as, make_submission) -> None:
    quiet, _ = make_submission()
    news, _ = make_submission()
    reread(db)
    submission(db, news).has_news = True
    db.commit()
    officer = login_as("staff", "kommunledning")
    inbox(officer)
    marked = re.findall(r'href="/staff/cases/(GRU-[^"]+)"[^<]*</a>\s*<span class="badge badge--news">', officer.html)
    assert marked == [news]
    assert quiet in rows(officer)


# --- keyset pagination --------------------------------------------------------------------------------

SAME_MOMENT = datetime(2025, 6, 2, 8, 15, 30, 123456, tzinfo=UTC)


def pager_link(staff: Staff, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', staff.html)
    return html.unescape(match.group(1)) if match else None


def test_pages_of_equal_timestamps_are_walked_forth_and_back_without_gaps_or_repeats(
    db: Session, login_as, make_submission
) -> None:
    first, _ = make_submission()
    reread(db)
    original = submission(db, first)
    original.submitted_at = SAME_MOMENT
    copy_submissions(db, original, SAME_MOMENT, 119)
    db.commit()
    expected = list(db.scalars(select(Submission.reference).order_by(Submission.id.desc())))
    assert len(expected) == 120

    officer = login_as("staff", "kommunledning")
    pages = [inbox(officer)]
    assert pager_link(officer, "prev") is None
    while (following := pager_link(officer, "next")) is not None:
        officer.get(following)
        pages.append(rows(officer))
    assert [len(page) for page in pages] == [50, 50, 20]
    walked = [reference for page in pages for reference in page]
    assert walked == expected  # every case once, in a stable order (by id within the same moment)
    assert len(set(walked)) == 120

    back = []
    while (preceding := pager_link(officer, "prev")) is not None:
        officer.get(preceding)
        back.append(rows(officer))
    assert back == [pages[1], pages[0]]
    assert pager_link(officer, "next") is not None


def test_pagination_keeps_the_filters_and_works_oldest_first(db: Session, login_as, make_submission) -> None:
    first, _ = make_submission()
    fault, _ = make_submission(FAULT)
    reread(db)
    original = submission(db, first)
    original.submitted_at = SAME_MOMENT
    copy_submissions(db, original, SAME_MOMENT, 59)
    submission(db, fault).submitted_at = SAME_MOMENT
    db.commit()
    expected = list(
        db.scalars(select(Submission.reference).where(Submission.reference != fault).order_by(Submission.id.asc()))
    )
    officer = login_as("staff", ["kommunledning", "samhallsbyggnad"])
    walked = inbox(officer, order="asc", eservice="begaran-om-allman-handling")
    following = pager_link(officer, "next")
    assert following is not None and "eservice=begaran-om-allman-handling" in following and "order=asc" in following
    officer.get(following)
    walked += rows(officer)
    assert pager_link(officer, "next") is None
    assert walked == expected and fault not in walked


def test_a_broken_cursor_starts_from_the_top(db: Session, login_as, make_submission) -> None:
    reference, _ = make_submission()
    officer = login_as("staff", "kommunledning")
    assert inbox(officer, after="not-a-cursor") == [reference]
    assert inbox(officer, before="%%%") == [reference]


def test_a_later_case_after_the_first_page_was_read_does_not_shift_the_next_page(
    db: Session, login_as, make_submission
) -> None:
    first, _ = make_submission()
    reread(db)
    original = submission(db, first)
    original.submitted_at = SAME_MOMENT
    copy_submissions(db, original, SAME_MOMENT, 59)
    db.commit()
    officer = login_as("staff", "kommunledning")
    page_one = inbox(officer)
    following = pager_link(officer, "next")
    newer, _ = make_submission()  # arrives while the officer reads page one
    reread(db)
    assert submission(db, newer).submitted_at > SAME_MOMENT + timedelta(seconds=1)
    officer.get(following)
    page_two = rows(officer)
    assert len(page_one) == 50 and len(page_two) == 10
    assert not set(page_one) & set(page_two)
    assert newer not in page_two
    assert all(REFERENCE.fullmatch(r) for r in page_one + page_two)
