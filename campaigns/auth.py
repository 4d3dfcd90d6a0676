"""Token authentication and the three API roles (SPEC.md section 6).

``Authorization: Token <t>`` and ``Authorization: Bearer <t>`` are both accepted,
because voice connectors are usually configured with bearer tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from campaigns.choices import ApiRole
from campaigns.models import ApiClient

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView

TOKEN_PREFIX = "ob_"
_SCHEMES = {b"token", b"bearer"}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_client(*, name: str, role: str) -> tuple[ApiClient, str]:
    """Create a client and return it with its token, which is shown only this once."""
    # The prefix names the token for secret scanners and keeps it from starting with "-" (read as an option
    # when passed to a command such as voice_connector_simulator --token).
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient.objects.create(name=name, role=role, token_digest=token_digest(token))
    return client, token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiClient, str] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in _SCHEMES:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be '<Token|Bearer> <token>'.")
        token = parts[1].decode("latin-1")
        client = ApiClient.objects.filter(token_digest=token_digest(token), is_active=True).first()
        if client is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return client, token

    def authenticate_header(self, request: Request) -> str:
        return "Token"


def client_name(request: Request) -> str:
    """The API client behind ``request`` as the campaigns' audit trail names it (``api:<client name>``).

    The name, not the token: tokens are never stored, and a client keeps its name when its token is replaced.
    """
    client = request.user
    return f"api:{client.name}" if isinstance(client, ApiClient) else "api:unauthenticated"


def _role(request: Request) -> str | None:
    client = request.user
    return client.role if isinstance(client, ApiClient) else None


class IsApiClient(permissions.BasePermission):
    """Any authenticated client may read; views narrow writes with the classes below."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        role = _role(request)
        if role is None:
            return False
        if role == ApiRole.VOICE_CONNECTOR:
            # The voice connector only posts reservations (its own permission class allows it).
            return False
        return request.method in permissions.SAFE_METHODS or role == ApiRole.CAMPAIGN_MANAGER


class IsVoiceConnector(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return _role(request) == ApiRole.VOICE_CONNECTOR
