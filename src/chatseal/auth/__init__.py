"""Authentication: ChatSeal's EdDSA access tokens, OAuth2 clients, external OIDC issuers, mTLS."""

from chatseal.auth.authenticator import Authenticator, token_service, token_settings
from chatseal.auth.clients import ClientInfo, Clients
from chatseal.auth.mtls import certificate_principal, server_context
from chatseal.auth.oidc import OidcIssuer, OidcVerifier
from chatseal.auth.signing import SigningKeys
from chatseal.auth.tokens import TokenService, TokenSettings

__all__ = [
    "Authenticator",
    "ClientInfo",
    "Clients",
    "OidcIssuer",
    "OidcVerifier",
    "SigningKeys",
    "TokenService",
    "TokenSettings",
    "certificate_principal",
    "server_context",
    "token_service",
    "token_settings",
]
