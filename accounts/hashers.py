"""Password hashing: Argon2id at OWASP's recommended cost.

OWASP's Password Storage Cheat Sheet recommends, as its first Argon2id
configuration, 19 MiB of memory, 2 iterations and 1 degree of parallelism.
Django's own defaults (100 MiB, 2 iterations, 8 lanes) cost about a second
of CPU and 100 MB per login on our two-core servers, so a burst of logins
starved the pages (docs/performance.md).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id, m=19456 KiB, t=2, p=1.

    It keeps Django's algorithm name ("argon2"), so a hash made with other
    parameters still verifies, and `must_update` (which compares the
    parameters stored in the hash with these) makes Django re-hash the
    password at that user's next successful login.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB: 19 MiB
    parallelism = 1
