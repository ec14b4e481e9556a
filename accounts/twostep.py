"""Two-step sign-in: who needs it, the codes, and the state between the two steps.

- Codes are TOTP (RFC 6238: SHA-1, six digits, 30-second steps) computed by
  pyotp, so any authenticator app works. A code is accepted for the current
  step or one either side (clock drift), and only for a step later than the
  last one accepted (`SecondFactor.last_step`, claimed in one UPDATE): a code
  works once.
- Recovery codes: ten at enrolment, twelve letters and digits each (about 59
  bits), stored as an HMAC-SHA256 keyed with SECRET_KEY (fallback keys are
  tried too), each claimed in one UPDATE so it works once.
- Between the password and the code the user is NOT logged in: the session
  holds only PENDING (who, since when, where to go, which backend, and the
  user's count of resets). login() happens after the second step, and cycles
  the session key; the session is then marked PASSED (with the count of
  resets), and accounts.middleware.SecondStepMiddleware logs out any session of
  a user who needs the second step and lacks that mark (promoted, the
  organisation setting turned on, a session from before, a reset since).
"""

import hmac
import secrets
import time
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import SESSION_KEY, login
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import signals
from accounts.models import RecoveryCode, SecondFactor, User

PENDING = "alliance_two_step_pending"
PASSED = "alliance_two_step_passed"  # the user's second_factor_resets when they passed
PENDING_SECONDS = 5 * 60  # to type the code from the app
ENROL_SECONDS = 15 * 60  # to install an app, scan the QR code and type its code
CANDIDATE_SECONDS = 60 * 60  # a secret shown but not confirmed is offered again for this long
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_LENGTH = 12
_HASH_SALT = "accounts.twostep.recovery-code"
_CANDIDATE_SALT = "accounts.twostep.candidate"


def required_for(user) -> bool:
    """Supervisors, administrators and anyone with admin access must use a second factor;
    clinicians too when the organisation sets MFA_FOR_CLINICIANS. Reads only fields of the
    user row (the middleware asks on every request, with no query of its own)."""
    return (
        user.role in (User.Role.SUPERVISOR, User.Role.ADMINISTRATOR)
        or user.is_staff
        or user.is_superuser
        or settings.MFA_FOR_CLINICIANS
    )


def factor_of(user):
    """The user's confirmed second factor, or None."""
    return SecondFactor.objects.filter(user=user, confirmed=True).first()


def candidate_proof(secret) -> str:
    """What the enrolling browser keeps (a cookie) to be shown the same candidate again: a
    keyed hash of the secret, never the secret."""
    return salted_hmac(_CANDIDATE_SALT, secret, algorithm="sha256").hexdigest()


def candidate_secret(user, proof=""):
    """The secret to show at enrolment. The candidate shown before, if it is less than
    CANDIDATE_SECONDS old and `proof` (from the browser it was shown in) matches it: the
    user's app may hold it already. Otherwise a new one, replacing it, so someone else with
    the password never sees the secret the user is about to confirm. None if the user has a
    confirmed factor."""
    cutoff = timezone.now() - timedelta(seconds=CANDIDATE_SECONDS)
    row = SecondFactor.objects.filter(user=user).first()
    if row is not None and row.confirmed:
        return None
    if row is not None and row.enrolled_at >= cutoff and hmac.compare_digest(str(proof), candidate_proof(row.secret)):
        return row.secret
    with transaction.atomic():
        SecondFactor.objects.filter(user=user, confirmed=False).delete()
        row, _ = SecondFactor.objects.get_or_create(user=user, defaults={"secret": new_secret(), "confirmed": False})
    return None if row.confirmed else row.secret


# --- Time-based codes -----------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, RFC 4226's recommendation


def provisioning_uri(secret, user) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=settings.MFA_ISSUER)


def _clean_digits(code) -> str:
    return "".join(str(code or "").split())


def matching_step(secret, code, after=0, now=None):
    """The time step (current, one before or one after) whose code is `code` and that is
    later than `after`; None if there is none."""
    code = _clean_digits(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(time.time() if now is None else now) // totp.interval
    for step in (current - 1, current, current + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def use_code(factor, code) -> bool:
    """True if `code` is valid now and its step was never used: the step is claimed in one
    UPDATE, so two requests with the same code cannot both pass."""
    step = matching_step(factor.secret, code, after=factor.last_step)
    if step is None:
        return False
    return SecondFactor.objects.filter(pk=factor.pk, last_step__lt=step).update(last_step=step) == 1


# --- Recovery codes -------------------------------------------------------------------


def normalise_recovery_code(code) -> str:
    return "".join(ch for ch in str(code or "").lower() if ch.isalnum())


def code_hashes(user, code) -> list[str]:
    """The code's keyed hash under SECRET_KEY and every SECRET_KEY_FALLBACKS key."""
    value = f"{user.pk}:{normalise_recovery_code(code)}"
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [salted_hmac(_HASH_SALT, value, secret=key, algorithm="sha256").hexdigest() for key in keys]


def _random_code():
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))


def new_recovery_codes(user) -> list[str]:
    """Ten fresh codes for `user`, replacing (voiding) any they had; returns them for showing once."""
    codes = [_random_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=code_hashes(user, c)[0]) for c in codes)
    return [f"{c[:4]}-{c[4:8]}-{c[8:]}" for c in codes]


def use_recovery_code(user, code) -> bool:
    """True if `code` is one of the user's unused recovery codes; it is used up."""
    if len(normalise_recovery_code(code)) != RECOVERY_LENGTH:
        return False
    found = RecoveryCode.objects.filter(user=user, used_at=None, code_hash__in=code_hashes(user, code)).first()
    if found is None:
        return False
    return RecoveryCode.objects.filter(pk=found.pk, used_at=None).update(used_at=timezone.now()) == 1


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at=None).count()


def enrol(user, secret, step) -> list[str]:
    """Store `secret` as the user's confirmed second factor (the confirming code's step
    counts as used) and make the recovery codes; returns the codes to show once. For the
    demo and tests; the enrolment page confirms the candidate with confirm_candidate."""
    with transaction.atomic():
        SecondFactor.objects.update_or_create(
            user=user, defaults={"secret": secret, "last_step": step, "confirmed": True, "enrolled_at": timezone.now()}
        )
        return new_recovery_codes(user)


def confirm_candidate(user, secret, step):
    """Confirm the candidate `secret` (a code for `step` matched it); the recovery codes to
    show once, or None if the candidate is gone meanwhile (a reset, or replaced)."""
    with transaction.atomic():
        confirmed = SecondFactor.objects.filter(user=user, confirmed=False, secret=secret).update(
            confirmed=True, last_step=step, enrolled_at=timezone.now()
        )
        return new_recovery_codes(user) if confirmed == 1 else None


def reset(user):
    """Remove the user's second factor (or candidate) and recovery codes, and end their open
    sessions and pending logins (the phone may be in someone else's hands): they enrol again
    at their next login. The count of resets goes up, so a pending login or a passed mark
    written by a request still under way is refused too."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(second_factor_resets=F("second_factor_resets") + 1)
        SecondFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        end_sessions(user)


def end_sessions(user):
    """Delete every unexpired session of `user`, logged in or with a login pending (the
    database session store: each row is decoded, fine for a clinic's few hundred sessions)."""
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        pending = data.get(PENDING)
        pending_pk = pending.get("user") if isinstance(pending, dict) else None
        if str(user.pk) in (str(data.get(SESSION_KEY)), str(pending_pk)):
            session.delete()


# --- Between the password and the code ------------------------------------------------


def begin(request, user, next_url, backend=None):
    """The password was right: remember who, in a new session key, without logging in."""
    request.session.cycle_key()  # a session planted before the password gains nothing
    request.session[PENDING] = {
        "user": user.pk,
        "at": time.time(),
        "then": next_url,
        "backend": backend or user.backend,
        "resets": user.second_factor_resets,
    }


def pending_user(request, seconds=PENDING_SECONDS):
    """The user who gave their password in this session in the last `seconds`, if any, and
    if their second factor was not reset since."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > seconds:
        return None
    resets = pending.get("resets")
    if not isinstance(resets, int):
        return None
    return User.objects.filter(pk=pending.get("user"), is_active=True, second_factor_resets=resets).first()


def pending_next(request):
    return (request.session.get(PENDING) or {}).get("then", "")


def finish(request, user, signed_in_with):
    """The second step passed: log in for real (a new session key, the login audited, saying
    how (`signed_in_with`, one of accounts.signals.WITH_*), and the failure counter reset by
    the usual user_logged_in receivers), and mark the session as having passed it."""
    pending = request.session.pop(PENDING, None) or {}
    setattr(request, signals.SIGNED_IN_WITH, signed_in_with)
    login(request, user, backend=pending.get("backend") or settings.AUTHENTICATION_BACKENDS[-1])
    mark_passed(request, user)


def mark_passed(request, user):
    request.session[PASSED] = user.second_factor_resets


def has_passed(request, user) -> bool:
    """True if this session passed the second step since the user's last reset (no query:
    the session is loaded already and the count is on the user row)."""
    return request.session.get(PASSED) == user.second_factor_resets
