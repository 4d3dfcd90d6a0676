from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from campaigns import api as campaigns_api
from campaigns import dnc_api
from dialer import api as dialer_api
from outbound import health, metrics
from reporting import api as reporting_api

api = "api/v1/"
urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz),
    path("readyz", health.readyz),
    path("metrics", metrics.metrics),
    path(f"{api}contacts/", campaigns_api.ContactListView.as_view(), name="contacts"),
    path(f"{api}contacts/<str:pk>/", campaigns_api.ContactDetailView.as_view(), name="contact-detail"),
    path(f"{api}campaigns/", campaigns_api.CampaignListView.as_view(), name="campaigns"),
    path(f"{api}campaigns/<str:campaign_id>/", campaigns_api.CampaignDetailView.as_view(), name="campaign-detail"),
    path(f"{api}campaigns/<str:campaign_id>/start/", campaigns_api.StartCampaignView.as_view(), name="campaign-start"),
    path(f"{api}campaigns/<str:campaign_id>/stop/", campaigns_api.StopCampaignView.as_view(), name="campaign-stop"),
    path(f"{api}campaigns/<str:campaign_id>/purge/", campaigns_api.PurgeCampaignView.as_view(), name="campaign-purge"),
    path(
        f"{api}campaigns/<str:campaign_id>/unload/", campaigns_api.UnloadCampaignView.as_view(), name="campaign-unload"
    ),
    path(f"{api}dnc/", dnc_api.DncListView.as_view(), name="dnc"),
    path(f"{api}dnc/<str:customer_number>/", dnc_api.DncEntryView.as_view(), name="dnc-entry"),
    path(f"{api}dialer/status/", dialer_api.DialerStatusView.as_view(), name="dialer-status"),
    path(f"{api}switches/", dialer_api.SwitchListView.as_view(), name="switches"),
    path(
        f"{api}voice-connector/agent-reservations/",
        dialer_api.AgentReservationView.as_view(),
        name="agent-reservations",
    ),
    path(
        f"{api}voice-connector/agent-states/",
        dialer_api.AgentStatesView.as_view(),
        name="agent-states",
    ),
    path(f"{api}agent-updates/", reporting_api.AgentUpdateView.as_view(), name="agent-updates"),
    path(f"{api}schema/", SpectacularAPIView.as_view(), name="schema"),
    path(f"{api}docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
