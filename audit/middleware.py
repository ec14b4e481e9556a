from django.utils.cache import patch_cache_control

from audit import log


class AuditMiddleware:
    """Makes the request available to the audit trail, records refused accesses
    (404/403 to a logged-in user), and marks every page `Cache-Control: no-store`
    so no browser or proxy keeps a copy of client data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with log.request_context(request):
            response = self.get_response(request)
            if response.status_code in (403, 404) and request.user.is_authenticated:
                log.record(log.Action.DENIED, changes={"status": response.status_code})
        patch_cache_control(response, no_store=True, no_cache=True, must_revalidate=True, private=True)
        return response
