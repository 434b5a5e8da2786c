"""The policy table's house rules, read from the table itself (server/auth/policy.py)."""

from __future__ import annotations

import pytest

from models.enums import Role
from server.auth.policy import AREAS, POLICY, Access, Action, Area, Resource, access, may_enter


def test_every_kind_names_every_role() -> None:
    assert set(POLICY) == set(Resource)
    for resource, row in POLICY.items():
        assert set(row) == set(Role), resource


def test_a_worker_sees_only_their_own() -> None:
    """Beyond their project's record (and giving or withdrawing their own consent), a worker
    account reaches nothing but its own rows: no project-wide list of any kind."""
    for resource in Resource:
        reach = access(Role.WORKER, resource)
        if resource is Resource.PROJECT:
            assert reach is Access.READ
        else:
            assert reach in (Access.NONE, Access.OWN, Access.OWN_WRITE), resource
    assert [r for r in Resource if access(Role.WORKER, r) is Access.OWN_WRITE] == [
        Resource.CONSENT,
        Resource.WAGE_LINES,
        Resource.OBJECTIONS,  # their own objections to their days or pay
        Resource.COMPLAINTS,  # their own complaints (欠薪线索) to the regulator
    ]


def test_inspectors_read_and_only_act_on_findings() -> None:
    writes = {r for r in Resource if access(Role.INSPECTOR, r).allows(Action.WRITE)}
    # …and on complaints (欠薪线索): the regulator enters, owns and moves them
    assert writes == {
        Resource.FINDINGS, Resource.FINDING_WAIVER, Resource.COMPLAINTS,
        Resource.COMPLAINT_HANDLING,
    }  # fmt: skip


def test_a_site_manager_may_not_waive_a_finding_nor_manage_accounts() -> None:
    assert not access(Role.SITE_MANAGER, Resource.FINDING_WAIVER).allows(Action.WRITE)
    assert access(Role.SITE_MANAGER, Resource.USERS) is Access.NONE
    assert access(Role.SITE_MANAGER, Resource.NEW_PROJECT) is Access.NONE


def test_admins_reach_every_kind() -> None:
    assert all(access(Role.ADMIN, r) in (Access.READ, Access.WRITE) for r in Resource)


@pytest.mark.parametrize(
    ("reach", "read", "write"),
    [
        (Access.NONE, False, False),
        (Access.OWN, True, False),
        (Access.OWN_WRITE, True, True),
        (Access.READ, True, False),
        (Access.WRITE, True, True),
    ],
)
def test_what_each_reach_allows(reach: Access, read: bool, write: bool) -> None:
    assert reach.allows(Action.READ) is read
    assert reach.allows(Action.WRITE) is write
    assert reach.own_only is (reach in (Access.OWN, Access.OWN_WRITE))


def test_page_areas() -> None:
    assert may_enter(Role.WORKER, Area.ME)
    assert not may_enter(Role.ADMIN, Area.ME)  # an admin has no worker record of their own
    assert AREAS[Area.ANY] == frozenset(Role)
    assert {r for r in Role if may_enter(r, Area.ADMIN)} == {Role.ADMIN}
