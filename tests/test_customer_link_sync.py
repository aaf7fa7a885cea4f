"""Rule customer_link_sync: a call's customer-link columns follow calls.customer_id."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dbguard.errors import GenericRuleViolation, VocabularyViolation

from .plugins.calls import alerts, call, insert, new_call, update

RULE = "customer_link_sync"


@pytest.fixture
def customer(conn) -> int:
    return insert(conn, "customers", name="Ada", phone="+100")


def _link(row: dict) -> tuple:
    return (row["customer_link_status"], row["customer_linked_at"] is not None, row["customer_link_method"],
            row["customer_link_confidence"])


def test_customer_set_on_insert_links_with_phone_match_defaults_silently(conn, customer):
    row = call(conn, new_call(conn, customer_id=customer))
    assert _link(row) == ("linked", True, "phone_match", Decimal("100.00"))
    assert alerts(conn, RULE) == []


def test_given_method_and_confidence_are_kept(conn, customer):
    row = call(conn, new_call(conn, customer_id=customer, customer_link_method="name_match",
                              customer_link_confidence=Decimal("62.5")))
    assert _link(row) == ("linked", True, "name_match", Decimal("62.50"))


def test_customer_set_later_links_and_changing_it_relinks_with_defaults(conn, customer):
    call_id = new_call(conn)
    assert _link(call(conn, call_id)) == ("unlinked", False, None, None)
    update(conn, "calls", call_id, customer_id=customer, customer_link_method="manual", customer_link_confidence=80)
    assert _link(call(conn, call_id)) == ("linked", True, "manual", Decimal("80.00"))

    other = insert(conn, "customers", name="Bob")
    update(conn, "calls", call_id, customer_id=other)
    assert _link(call(conn, call_id)) == ("linked", True, "phone_match", Decimal("100.00"))


def test_clearing_the_customer_unlinks_and_clears_the_link_details(conn, customer):
    call_id = new_call(conn, customer_id=customer)
    update(conn, "calls", call_id, customer_id=None)
    assert _link(call(conn, call_id)) == ("unlinked", False, None, None)
    assert alerts(conn, RULE) == []


def test_creation_failed_is_kept_for_a_call_without_customer(conn):
    call_id = new_call(conn, customer_link_status="creation_failed")
    assert call(conn, call_id)["customer_link_status"] == "creation_failed"
    update(conn, "calls", call_id, customer_link_status="unlinked")
    update(conn, "calls", call_id, customer_link_status="creation_failed")
    assert call(conn, call_id)["customer_link_status"] == "creation_failed"


def test_off_mode_changes_nothing(conn, set_mode, customer):
    set_mode(RULE, "off")
    row = call(conn, new_call(conn, customer_id=customer))
    assert _link(row) == ("unlinked", False, None, None)
    assert alerts(conn) == []


def test_alert_mode_leaves_the_row_and_is_silent_about_derived_link_columns(conn, set_mode, customer):
    set_mode(RULE, "alert")
    call_id = new_call(conn, customer_id=customer)
    assert _link(call(conn, call_id)) == ("unlinked", False, None, None)
    assert alerts(conn, RULE) == []


def test_alert_mode_records_a_contradiction_and_leaves_the_row(conn, set_mode):
    set_mode(RULE, "alert")
    call_id = new_call(conn, customer_link_status="linked")
    assert call(conn, call_id)["customer_link_status"] == "linked"
    [alert] = alerts(conn, RULE)
    assert (alert["alert_type"], alert["auto_corrected"]) == ("customer_link_mismatch", False)
    assert alert["details"]["expected"]["customer_link_status"] == "unlinked"


def test_correct_mode_repairs_a_link_claimed_without_customer_and_records_it(conn):
    call_id = new_call(conn, customer_link_status="linked")
    assert call(conn, call_id)["customer_link_status"] == "unlinked"
    [alert] = alerts(conn, RULE)
    assert (alert["alert_type"], alert["severity"], alert["auto_corrected"]) == ("customer_link_mismatch", "warning", True)


def test_correct_mode_repairs_a_status_moved_away_from_linked(conn, customer):
    call_id = new_call(conn, customer_id=customer)
    update(conn, "calls", call_id, customer_link_status="unlinked")
    assert call(conn, call_id)["customer_link_status"] == "linked"
    assert [a["auto_corrected"] for a in alerts(conn, RULE)] == [True]


def test_enforce_mode_refuses_a_contradictory_status(conn, set_mode, customer):
    set_mode(RULE, "enforce")
    call_id = new_call(conn, customer_id=customer)   # maintenance is not refused
    assert call(conn, call_id)["customer_link_status"] == "linked"
    with pytest.raises(GenericRuleViolation) as err:
        update(conn, "calls", call_id, customer_link_status="unlinked")
    assert f"public.calls row {call_id}" in err.value.diag.message_primary
    assert err.value.diag.message_detail and err.value.diag.message_hint


@pytest.mark.parametrize("column, vocabulary_values", [
    ("customer_link_status", "creation_failed, linked, unlinked"),
    ("customer_link_method", "created, email_match, manual, name_match, phone_match"),
])
def test_enforce_mode_refuses_unknown_values_naming_column_and_allowed_values(conn, set_mode, customer, column,
                                                                              vocabulary_values):
    set_mode(RULE, "enforce")
    with pytest.raises(VocabularyViolation) as err:
        new_call(conn, customer_id=customer, **{column: "bogus"})
    assert f"public.calls.{column}" in err.value.diag.message_primary
    assert vocabulary_values in err.value.diag.message_detail


def test_correct_mode_normalises_case_variants_and_refuses_unknown_values(conn, customer):
    row = call(conn, new_call(conn, customer_id=customer, customer_link_status=" LINKED",
                              customer_link_method="Email_Match"))
    assert (row["customer_link_status"], row["customer_link_method"]) == ("linked", "email_match")
    assert sorted(a["details"]["column"] for a in alerts(conn, RULE) if a["alert_type"] == "vocabulary_violation") \
        == ["customer_link_method", "customer_link_status"]
    with pytest.raises(VocabularyViolation) as err:
        new_call(conn, customer_id=customer, customer_link_status="LINKED?")
    assert err.value.diag.column_name == "customer_link_status"
    conn.rollback()


def test_nulls_everywhere_do_not_break_the_rule(conn, customer):
    call_id = new_call(conn, customer_id=None, customer_link_status=None, customer_linked_at=None,
                       customer_link_method=None, customer_link_confidence=None)
    assert call(conn, call_id)["customer_link_status"] == "unlinked"
    update(conn, "calls", call_id, customer_link_status=None, customer_link_method=None)
    assert call(conn, call_id)["customer_link_status"] == "unlinked"
    update(conn, "calls", call_id, customer_id=customer, customer_link_status=None)
    assert call(conn, call_id)["customer_link_status"] == "linked"
