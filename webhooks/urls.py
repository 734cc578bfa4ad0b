from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.WebhookListView.as_view(), name="list"),
    path("<int:pk>/", views.WebhookDetailView.as_view(), name="detail"),
    path("<int:pk>/test/", views.WebhookTestView.as_view(), name="test"),
    path("<int:pk>/delete/", views.WebhookDeleteView.as_view(), name="delete"),
    path(
        "<int:pk>/deliveries/<uuid:delivery_id>/redeliver/",
        views.WebhookRedeliverView.as_view(),
        name="redeliver",
    ),
]
