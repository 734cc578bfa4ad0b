from django.urls import path

from inbox import live_views
from inbox import messenger_views as views

app_name = "messenger"

urlpatterns = [
    path("", views.home, name="home"),
    path("pick/", views.pick_contact, name="pick"),
    path("switch/", views.switch, name="switch"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation"),
    path("conversations/<int:pk>/timeline/", views.conversation_timeline, name="timeline"),
    path("conversations/<int:pk>/live/", live_views.messenger_stream, name="live"),
]
