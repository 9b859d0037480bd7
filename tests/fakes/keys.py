"""Throwaway service-account keys for tests: generated at test time, never committed."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_CLIENT_EMAIL = "sheetsync-test@sheetsync-test.iam.gserviceaccount.com"


def make_service_account_key(
    path: Path, token_uri: str, client_email: str = DEFAULT_CLIENT_EMAIL
) -> Path:
    """Write a service-account JSON key with every field Google puts in one; returns ``path``.

    The private key is a fresh RSA-2048 key; ``token_uri`` should be the fake's token endpoint.
    """
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")
    project_id = client_email.split("@", 1)[1].split(".", 1)[0]
    info = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": client_email,
        "client_id": str(secrets.randbelow(10**21 - 10**20) + 10**20),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": (
            "https://www.googleapis.com/robot/v1/metadata/x509/" + quote(client_email, safe="")
        ),
        "universe_domain": "googleapis.com",
    }
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
