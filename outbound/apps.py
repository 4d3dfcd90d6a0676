from django.apps import AppConfig


class OutboundConfig(AppConfig):
    """The project itself, installed as an app for its top-level commands (the demo)."""

    name = "outbound"
