"""Who may read the audit trail: members of one explicit group, nobody else.

Being staff or a superuser is not enough: the trail shows every client record
anyone opened and every rating anyone changed. An administrator grants the
role by adding a user to the group in the admin (audited as a change of that
user's groups). The group is made by audit migration 0002.
"""

AUDIT_READERS = "Privacy officers"


def can_read_audit(user):
    return bool(
        user.is_authenticated and user.is_active and user.is_staff and user.groups.filter(name=AUDIT_READERS).exists()
    )
