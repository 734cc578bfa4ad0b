from django.urls import path

from workflows import (
    views,
    views_editor,
    views_preview,
    views_replay,
    views_reports,
    views_versions,
)

app_name = "workflows"

urlpatterns = [
    path("", views.WorkflowListView.as_view(), name="list"),
    path("reorder/", views.WorkflowReorderView.as_view(), name="reorder"),
    path("new/", views_editor.WorkflowCreateView.as_view(), name="new"),
    path("builder/fragment/", views_editor.FragmentView.as_view(), name="fragment"),
    path("preview/", views_preview.WorkflowPreviewView.as_view(), name="preview_new"),
    path("<int:pk>/preview/", views_preview.WorkflowPreviewView.as_view(), name="preview"),
    path("<int:pk>/edit/", views_editor.WorkflowEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.WorkflowStatusView.as_view(), name="status"),
    path("<int:pk>/duplicate/", views.WorkflowDuplicateView.as_view(), name="duplicate"),
    path("<int:pk>/delete/", views.WorkflowDeleteView.as_view(), name="delete"),
    path("<int:pk>/test/", views_reports.WorkflowTestRunView.as_view(), name="test"),
    path("<int:pk>/history/", views_versions.WorkflowHistoryView.as_view(), name="history"),
    path("<int:pk>/publish/", views_versions.WorkflowPublishView.as_view(), name="publish"),
    path(
        "<int:pk>/draft/discard/",
        views_versions.WorkflowDiscardDraftView.as_view(),
        name="discard_draft",
    ),
    path(
        "<int:pk>/versions/<int:number>/restore/",
        views_versions.WorkflowRestoreView.as_view(),
        name="restore",
    ),
    path("<int:pk>/replay/", views_replay.ReplayView.as_view(), name="replay"),
    path(
        "<int:pk>/replay/<int:job_id>/",
        views_replay.ReplayProgressView.as_view(),
        name="replay_progress",
    ),
    path("<int:pk>/report/", views_reports.WorkflowReportView.as_view(), name="report"),
]
