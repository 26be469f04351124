"""An OAuth 2.0 / OpenID Connect issuer simulator on the kernel (``genai-demo sim identity``, port 12116).

Roles: ``provider.py`` composes; ``urls.py`` the paths; ``responses.py`` the discovery, JWKS and token
handlers; ``validation.py`` the token request and control bodies; ``models.py`` users, clients and token
issuance; ``models_keys.py`` the signing keys and their rotation; ``resources.py`` the JSON documents;
``exceptions.py`` RFC 6749 errors; ``magic.py`` the demo identities; ``control.py`` the ``/_sim/identity``
controls; ``wiring.py`` what ``genai-demo up`` does with it.
"""

from simulators.identity.provider import IdentityProvider

__all__ = ["IdentityProvider"]
