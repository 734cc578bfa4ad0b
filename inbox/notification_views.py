"""The inbox's bell: the unread count, the latest notifications, the full list, opening
one (marks it read) and "mark all read"; and the note composer's `@name` suggestions.

The words are workflows/vocabulary.py's; the notifications are conversations/'s.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from conversations import notifications
from conversations.models import Notification, Teammate
from workflows import vocabulary

# The bell's drop-down shows the latest few; the page the latest this many.
BELL_ROWS = 8
PAGE_ROWS = 50
# `@name` suggestions: at most this many, for at most this long a prefix.
SUGGESTIONS = 8
SUGGESTION_QUERY_LENGTH = 150


def notification_rows(teammate, limit: int) -> list[dict]:
    rows = notifications.for_teammate(teammate).select_related("conversation__contact")[:limit]
    return [
        {
            "id": row.pk,
            "words": vocabulary.notification_words(
                row.kind, row.actor_name, row.conversation.contact
            ),
            "created_at": row.created_at,
            "read": row.read_at is not None,
            "open_url": reverse("inbox:notification_open", args=[row.pk]),
        }
        for row in rows
    ]


def list_context(request, limit: int) -> dict:
    return {
        "rows": notification_rows(request.user, limit),
        "heading": vocabulary.NOTIFICATIONS_HEADING,
        "empty": vocabulary.NO_NOTIFICATIONS,
        "mark_all": vocabulary.MARK_ALL_READ,
        "see_all": vocabulary.SEE_ALL_NOTIFICATIONS,
    }


@login_required
@require_GET
def bell_count(request):
    """The bell's count; an open inbox page asks for it every 20 s (and on each live
    change), which is how the e-mails know the teammate is here."""
    notifications.teammate_seen(request.user)
    unread = notifications.unread_count(request.user)
    context = {"unread": unread, "label": vocabulary.unread_words(unread)}
    return render(request, "inbox/_bell_count.html", context)


@login_required
@require_GET
def bell_recent(request):
    return render(request, "inbox/_bell_list.html", list_context(request, BELL_ROWS))


@login_required
@require_GET
def notification_page(request):
    context = {**list_context(request, PAGE_ROWS), "page": True}
    return render(request, "inbox/notifications.html", context)


@login_required
@require_POST
def open_notification(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.mark_read(request.user, [notification.pk])
    return redirect("inbox:conversation", notification.conversation_id)


@login_required
@require_POST
def mark_all_read(request):
    notifications.mark_read(request.user)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("inbox:notifications")
    return redirect(target)


@login_required
@require_GET
def mention_suggestions(request):
    """Active teammates whose username or name starts with `q` (the composer's `@q`)."""
    query = request.GET.get("q", "").strip().lstrip("@")[:SUGGESTION_QUERY_LENGTH]
    if not query:
        return JsonResponse({"teammates": []})
    matches = (
        Teammate.objects.filter(is_active=True)
        .filter(
            Q(username__istartswith=query)
            | Q(first_name__istartswith=query)
            | Q(last_name__istartswith=query)
        )
        .order_by("username")[:SUGGESTIONS]
    )
    return JsonResponse(
        {"teammates": [{"username": t.username, "name": t.display_name} for t in matches]}
    )
