from django.urls import path

from inbox import live_views, macro_views, notification_views, views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("away/", views.toggle_away, name="away"),
    path("workload/", views.workload, name="workload"),
    path("bulk/", macro_views.bulk_action, name="bulk"),
    path("macros/", macro_views.macro_list, name="macros"),
    path("macros/new/", macro_views.macro_new, name="macro_new"),
    path("macros/<int:pk>/", macro_views.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", macro_views.macro_delete, name="macro_delete"),
    path(
        "conversations/<int:pk>/macros/<int:macro_id>/run/",
        macro_views.run_macro,
        name="run_macro",
    ),
    path("live/", live_views.inbox_stream, name="live"),
    path("notifications/", notification_views.notification_page, name="notifications"),
    path("notifications/count/", notification_views.bell_count, name="notification_count"),
    path("notifications/recent/", notification_views.bell_recent, name="notification_recent"),
    path("notifications/live/", live_views.notification_stream, name="notification_live"),
    path("notifications/read/", notification_views.mark_all_read, name="notifications_read_all"),
    path(
        "notifications/<int:pk>/open/",
        notification_views.open_notification,
        name="notification_open",
    ),
    path("mentions/", notification_views.mention_suggestions, name="mention_suggestions"),
    path("conversations/<int:pk>/live/", live_views.conversation_stream, name="conversation_live"),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation"),
    path("conversations/<int:pk>/reply/", views.reply, name="reply"),
    path("conversations/<int:pk>/assign/", views.assign, name="assign"),
    path("conversations/<int:pk>/tags/", views.add_tag, name="add_tag"),
    path("conversations/<int:pk>/tags/<path:name>/remove/", views.remove_tag, name="remove_tag"),
    path("conversations/<int:pk>/priority/", views.set_priority, name="priority"),
    path("conversations/<int:pk>/snooze/", views.snooze, name="snooze"),
    path("conversations/<int:pk>/sla/", views.apply_sla, name="sla"),
    path("conversations/<int:pk>/close/", views.change_state, {"state": "close"}, name="close"),
    path("conversations/<int:pk>/reopen/", views.change_state, {"state": "reopen"}, name="reopen"),
]
