# Review notes are clinical records: they are not edited in the admin.
