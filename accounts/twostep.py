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
  holds only PENDING (who, since when, where to go, which backend). login()
  happens after the second step, and cycles the session key.
"""

import hmac
import secrets
import time

import pyotp
from django.conf import settings
from django.contrib.auth import SESSION_KEY, login
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import RecoveryCode, SecondFactor, User

PENDING = "alliance_two_step_pending"
CANDIDATE = "alliance_two_step_candidate"  # the secret being enrolled, until confirmed
PENDING_SECONDS = 5 * 60
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_LENGTH = 12
_HASH_SALT = "accounts.twostep.recovery-code"


def required_for(user) -> bool:
    """Supervisors, administrators and anyone with admin access must use a second factor;
    clinicians too when the organisation sets MFA_FOR_CLINICIANS."""
    return (
        user.role in (User.Role.SUPERVISOR, User.Role.ADMINISTRATOR)
        or user.is_staff
        or user.is_superuser
        or settings.MFA_FOR_CLINICIANS
    )


def factor_of(user):
    return SecondFactor.objects.filter(user=user).first()


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
    """Store the confirmed secret (the confirming code's step counts as used) and make the
    recovery codes; returns the codes to show once."""
    with transaction.atomic():
        SecondFactor.objects.update_or_create(user=user, defaults={"secret": secret, "last_step": step})
        return new_recovery_codes(user)


def reset(user):
    """Remove the user's second factor and recovery codes and end their open sessions (the
    phone may be in someone else's hands): they enrol again at their next login."""
    with transaction.atomic():
        SecondFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        end_sessions(user)


def end_sessions(user):
    """Delete every unexpired login session of `user` (the database session store: each row is
    decoded, fine for a clinic's few hundred sessions)."""
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
            session.delete()


# --- Between the password and the code ------------------------------------------------


def begin(request, user, next_url):
    """The password was right: remember who, in a new session key, without logging in."""
    request.session.cycle_key()  # a session planted before the password gains nothing
    request.session.pop(CANDIDATE, None)
    request.session[PENDING] = {"user": user.pk, "at": time.time(), "then": next_url, "backend": user.backend}


def pending_user(request):
    """The user who gave their password in this session in the last PENDING_SECONDS, if any."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=pending.get("user"), is_active=True).first()


def pending_next(request):
    return (request.session.get(PENDING) or {}).get("then", "")


def finish(request, user):
    """The second step passed: log in for real (a new session key, the login audited and the
    failure counter reset by the usual user_logged_in receivers)."""
    pending = request.session.pop(PENDING, None) or {}
    request.session.pop(CANDIDATE, None)
    login(request, user, backend=pending.get("backend") or settings.AUTHENTICATION_BACKENDS[-1])
