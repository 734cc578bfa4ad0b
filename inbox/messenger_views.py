"""The customer Messenger (DESIGN.md §8): a contact opens conversations, writes, sees
teammates' replies and bot messages, and answers reply buttons and questions.

Contacts are not Django users: the contact is kept in the session under
`messenger_contact_id`, set by the link carrying its messenger token (or, in demos, by
picking a contact). The link's token is exchanged for the session on the first visit and
the page redirects to itself without it, so the token is in one access-log line at most
and never in a Referer (every page also sends `Referrer-Policy: same-origin`). The
session remembers a digest of the token that opened it: rotating the token signs those
sessions out. A visitor signed in as one contact who follows another contact's link is
asked before switching. Every page checks the conversation belongs to that contact, and
every change is one call to a conversation service acting as the contact.
"""

from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Left
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import Throttled

from conversations import services, validation
from conversations.actors import Actor
from conversations.api import CONTACT_VISIBLE_PARTS
from conversations.api_auth import contact_by_token, count_failed_token
from conversations.models import Contact, Conversation, Event, EventType, Part, PartType
from inbox.messenger_forms import MessageForm
from workflows.models import WorkflowRun

SESSION_KEY = "messenger_contact_id"
# The digest of the token that signed the session in; a rotated token voids the session.
SESSION_TOKEN_KEY = "messenger_token_digest"
# Another contact's link, followed while signed in: waits for the visitor's yes or no.
SESSION_SWITCH_KEY = "messenger_switch_to"
# same-origin rather than no-referrer: with no-referrer browsers send `Origin: null` on
# form posts, which Django's CSRF check refuses. The token never stays in our own URLs,
# so a same-origin Referer cannot carry it; other sites get no Referer at all.
REFERRER_POLICY = "same-origin"
# The Messenger shows the newest conversations and the latest parts of one conversation.
MAX_CONVERSATIONS = 50
MAX_PARTS = 200
MAX_DEMO_CONTACTS = 50
PREVIEW_LENGTH = 140
# A conversation is named after its first message, cut to this many characters.
TITLE_LENGTH = 60


def title_from(text: str) -> str:
    """The first message on one line, cut at a word to TITLE_LENGTH characters ("…")."""
    line = " ".join(text.split())
    if len(line) <= TITLE_LENGTH:
        return line
    cut = line[: TITLE_LENGTH - 1]
    if line[len(cut)] != " " and " " in cut:
        cut = cut[: cut.rindex(" ")]  # not half a word
    return cut.rstrip(" ,.;:-") + "…"


# --- who is the customer ----------------------------------------------------------------


def token_digest(token: str) -> str:
    return salted_hmac("inbox.messenger.session", token).hexdigest()


def holds_current_token(contact: Contact, digest) -> bool:
    return isinstance(digest, str) and constant_time_compare(
        digest, token_digest(contact.messenger_token)
    )


def session_contact(request) -> Contact | None:
    """The contact signed in to the Messenger in this session, if any (still there, and
    still holding the token that signed it in)."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    contact = Contact.objects.filter(pk=pk).first()
    if contact is None or not holds_current_token(contact, request.session.get(SESSION_TOKEN_KEY)):
        sign_out_contact(request)
        return None
    return contact


def sign_in(request, contact: Contact) -> None:
    # A new session key on every sign-in: a key planted before it is worth nothing after.
    request.session.cycle_key()
    request.session[SESSION_KEY] = contact.pk
    request.session[SESSION_TOKEN_KEY] = token_digest(contact.messenger_token)
    request.session.pop(SESSION_SWITCH_KEY, None)


def sign_out_contact(request) -> None:
    # Only the Messenger's keys: a teammate signed in in the same browser stays signed in.
    for key in (SESSION_KEY, SESSION_TOKEN_KEY, SESSION_SWITCH_KEY):
        request.session.pop(key, None)


def same_origin_referrer(view):
    """Messenger pages never tell other sites where the visitor came from (Django's
    SecurityMiddleware default, made explicit here so a settings change cannot undo it)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = REFERRER_POLICY
        return response

    return wrapper


def own_conversation(request, pk: int) -> tuple[Contact, Conversation]:
    """The signed-in contact and its conversation `pk`; anything else is a 404."""
    contact = session_contact(request)
    if contact is None:
        raise Http404("No contact is signed in to the Messenger.")
    conversation = get_object_or_404(Conversation, pk=pk, contact=contact)
    return contact, conversation


def page(request, template: str, context: dict, status: int = 200):
    context = {"demo_picker": settings.MESSENGER_DEMO_PICKER, **context}
    return render(request, template, context, status=status)


# --- pages ------------------------------------------------------------------------------


@same_origin_referrer
@require_http_methods(["GET", "POST"])
def home(request):
    """Sign in by token, pick a demo contact, or list the contact's conversations."""
    if "token" in request.GET:
        return follow_link(request, request.GET["token"].strip())

    contact = session_contact(request)
    if contact is None:
        if request.method == "POST":
            return redirect("messenger:home")
        if settings.MESSENGER_DEMO_PICKER:
            contacts = Contact.objects.select_related("company").order_by("name", "id")
            return page(
                request, "messenger/picker.html", {"contacts": contacts[:MAX_DEMO_CONTACTS]}
            )
        return page(request, "messenger/signed_out.html", {"invalid_link": False})

    form = MessageForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            conversation = services.conversation_open(
                contact=contact,
                body=form.cleaned_data["body"],
                title=title_from(form.cleaned_data["body"]),
                acting=Actor.contact(contact),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("messenger:conversation", pk=conversation.pk)
    status = 400 if form.is_bound else 200
    context = {"contact": contact, "form": form, "conversations": conversation_list(contact)}
    return page(request, "messenger/home.html", context, status=status)


def follow_link(request, token: str):
    """Exchange the link's token for the session, then drop it from the address.

    1. An unknown or malformed token: the "link not valid" page.
    2. Nobody signed in, or the same contact: sign in (a new session key).
    3. Signed in as another contact: remember the offer and ask (`switch`); a link
       someone else sent must not silently change who the visitor writes as.
    """
    contact = contact_by_token(token)
    if contact is None:
        try:  # guessing links is throttled like guessing API tokens (per address)
            count_failed_token(request)
        except Throttled:
            return page(request, "messenger/signed_out.html", {"invalid_link": True}, status=429)
        return page(request, "messenger/signed_out.html", {"invalid_link": True}, status=404)
    current = session_contact(request)
    if current is not None and current.pk != contact.pk:
        request.session[SESSION_SWITCH_KEY] = {
            "contact": contact.pk,
            "token": token_digest(contact.messenger_token),
        }
        return redirect("messenger:switch")  # the token leaves the address bar here too
    sign_in(request, contact)
    return redirect("messenger:home")


def switch_offer(request) -> Contact | None:
    """The contact of the link followed while signed in, if its token is still current."""
    offer = request.session.get(SESSION_SWITCH_KEY)
    if not isinstance(offer, dict) or not isinstance(offer.get("contact"), int):
        return None
    contact = Contact.objects.filter(pk=offer["contact"]).first()
    if contact is None or not holds_current_token(contact, offer.get("token")):
        return None
    return contact


@same_origin_referrer
@require_http_methods(["GET", "POST"])
def switch(request):
    """Asks a visitor signed in as one contact whether to switch to the link's contact."""
    current, offered = session_contact(request), switch_offer(request)
    if current is None or offered is None:
        request.session.pop(SESSION_SWITCH_KEY, None)
        if offered is not None and request.method == "POST":
            sign_in(request, offered)  # nobody to switch from any more: just sign in
        return redirect("messenger:home")
    if request.method == "GET":
        return page(request, "messenger/switch.html", {"contact": current, "offered": offered})
    if request.POST.get("choice") == "switch":
        sign_in(request, offered)
    else:
        request.session.pop(SESSION_SWITCH_KEY, None)
    return redirect("messenger:home")


def conversation_list(contact: Contact) -> list[Conversation]:
    """The contact's conversations with their latest visible message, newest first."""
    latest = Part.objects.filter(
        conversation=OuterRef("pk"), part_type__in=CONTACT_VISIBLE_PARTS
    ).order_by("-created_at", "-id")
    first = Part.objects.filter(
        conversation=OuterRef("pk"), part_type=PartType.CUSTOMER_MESSAGE
    ).order_by("created_at", "id")
    conversations = contact.conversations.annotate(
        first_text=Subquery(first.annotate(text=Left("body", 200)).values("text")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
        last_type=Subquery(latest.values("part_type")[:1]),
        last_preview=Subquery(
            latest.annotate(preview=Left("body", PREVIEW_LENGTH + 1)).values("preview")[:1]
        ),
    ).order_by(F("last_at").desc(nulls_last=True), "-created_at", "-id")
    conversations = list(conversations[:MAX_CONVERSATIONS])
    for conversation in conversations:
        conversation.display_title = display_title(conversation, conversation.first_text)
    return conversations


def display_title(conversation: Conversation, first_text: str | None = None) -> str:
    """The conversation's title; without one (older conversations, or opened by the API),
    its first message's, as a new conversation gets it."""
    if conversation.title:
        return conversation.title
    if first_text is None:
        first_text = (
            conversation.parts.filter(part_type=PartType.CUSTOMER_MESSAGE)
            .order_by("created_at", "id")
            .values_list("body", flat=True)
            .first()
        )
    return title_from(first_text) if first_text and first_text.strip() else "New conversation"


@same_origin_referrer
@require_POST
def pick_contact(request):
    """Demo only: sign in as the contact picked from the list."""
    if not settings.MESSENGER_DEMO_PICKER:
        raise Http404("Picking a contact is switched off.")
    raw = request.POST.get("contact", "")
    contact = (
        Contact.objects.filter(pk=int(raw)).first()
        if validation.is_digits(raw) and len(raw) < 16
        else None
    )
    if contact is None:
        raise Http404("No such contact.")
    sign_in(request, contact)
    return redirect("messenger:home")


@same_origin_referrer
@require_POST
def sign_out(request):
    sign_out_contact(request)
    return redirect("messenger:home")


@same_origin_referrer
@require_http_methods(["GET", "POST"])
def conversation_detail(request, pk):
    """The conversation as the customer sees it, and the customer's next message."""
    if request.method == "GET" and session_contact(request) is None:
        return redirect("messenger:home")
    contact, conversation = own_conversation(request, pk)
    form = MessageForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.conversation_customer_message(
                conversation=conversation,
                body=form.cleaned_data["body"],
                acting=Actor.contact(contact),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if not request.headers.get("HX-Request"):
                return redirect("messenger:conversation", pk=conversation.pk)
            # htmx swaps the panel from this answer: no redirect and second request.
            form = MessageForm()
    if request.method == "POST":
        conversation.refresh_from_db()
    context = {
        "contact": contact,
        "conversation": conversation,
        "form": form,
        "title": display_title(conversation),
    }
    context.update(live_context(conversation))
    status = 400 if form.is_bound else 200
    return page(request, "messenger/conversation.html", context, status=status)


@same_origin_referrer
@require_GET
def conversation_timeline(request, pk):
    """The polled part of the conversation: its timeline and any reply buttons.

    `?v=` carries the version the page shows; when nothing changed the answer is 204 and
    htmx leaves the page alone (a button under the customer's finger stays put).
    """
    _, conversation = own_conversation(request, pk)
    # Read once, for the version and then the fragment: this answers every live push.
    typing, choice = workflows_typing(conversation), awaits_choice(conversation)
    if request.GET.get("v") and request.GET["v"] == version_of(
        conversation, typing=typing, choice=choice
    ):
        return HttpResponse(status=204)
    return render(
        request, "messenger/_live.html", live_context(conversation, typing=typing, choice=choice)
    )


# --- the timeline -----------------------------------------------------------------------


def visible_parts(conversation: Conversation):
    return conversation.parts.filter(part_type__in=CONTACT_VISIBLE_PARTS)


def version_of(
    conversation: Conversation,
    last_part_id: int | None = None,
    typing: bool | None = None,
    choice: bool | None = None,
) -> str:
    """Changes when a visible part is added, the conversation's state changes, buttons
    come or go, or the "…" starts or ends."""
    if last_part_id is None:
        last_part_id = (
            visible_parts(conversation).order_by("-created_at", "-id").values_list("id", flat=True)
        ).first()
    if typing is None:
        typing = workflows_typing(conversation)
    if choice is None:
        choice = awaits_choice(conversation)
    return f"{last_part_id or 0}-{conversation.state}-{int(choice)}-{int(typing)}"


def workflows_typing(conversation: Conversation) -> bool:
    """Whether a customer's message still waits for the workflows (its event is not
    processed yet): the Messenger shows "…" meanwhile, as if someone were typing. Only
    for LIVE_TYPING_SECONDS: a stopped worker must not leave it typing for ever."""
    since = timezone.now() - timedelta(seconds=settings.LIVE_TYPING_SECONDS)
    return Event.objects.filter(
        conversation=conversation,
        processed_at__isnull=True,
        event_type=EventType.CUSTOMER_MESSAGE,
        created_at__gte=since,
    ).exists()


def awaits_choice(conversation: Conversation) -> bool:
    """Buttons are offered only while a workflow run still waits for the choice (a
    teammate may have interrupted it since the bot asked)."""
    return WorkflowRun.objects.filter(
        conversation=conversation, status=WorkflowRun.Status.WAITING, waiting_for="reply_buttons"
    ).exists()


def live_context(
    conversation: Conversation, *, typing: bool | None = None, choice: bool | None = None
) -> dict:
    """The Messenger's live fragment; `typing` and `choice` when already read."""
    if choice is None:
        choice = awaits_choice(conversation)
    latest = list(visible_parts(conversation).order_by("-created_at", "-id")[: MAX_PARTS + 1])
    earlier_hidden = len(latest) > MAX_PARTS
    parts = latest[:MAX_PARTS][::-1]
    last = parts[-1] if parts else None
    buttons, question = [], None
    if last is not None and last.part_type == PartType.BOT_MESSAGE:
        details = last.details if isinstance(last.details, dict) else {}
        labels = details.get("buttons")
        if isinstance(labels, list) and choice:
            buttons = [label for label in labels if isinstance(label, str) and label.strip()]
        if isinstance(details.get("collect"), str):
            question = details["collect"]
    if typing is None:
        typing = workflows_typing(conversation)
    return {
        "conversation": conversation,
        "parts": parts,
        "earlier_hidden": earlier_hidden,
        "buttons": buttons,
        "question": question,
        "typing": typing,
        "version": version_of(conversation, last.pk if last else 0, typing, choice),
    }
