"""Generate the platform's secrets: database and admin passwords, Fernet key, JWT RSA key pair.

Passwords are alphanumeric on purpose: they travel through ``.env``, YAML and the server's
``adminPrincipals`` list (``name:password``), where ``:`` ``,`` ``]`` or ``$`` would break parsing.
"""

from __future__ import annotations

import secrets
import string
import uuid
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .envfile import atomic_write

_ALPHABET = string.ascii_letters + string.digits

# .env keys holding secrets the wizard generates once and then keeps: changing a database
# password after the first start would lock the server out of its existing volume.
SECRET_KEYS = (
    "POSTGRES_PASSWORD",
    "OPENMETADATA_DB_PASSWORD",
    "OPENMETADATA_ADMIN_PASSWORD",
    "FERNET_KEY",
    "JWT_KEY_ID",
    # The platform Airflow (docker-compose.airflow.yml): its metadata DB, admin login (also the
    # OpenMetadata server's pipeline service client login), Fernet key, API and JWT secrets,
    # and pagila's read-only role.
    "AIRFLOW_DB_PASSWORD",
    "AIRFLOW_ADMIN_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_JWT_SECRET",
    "PAGILA_DB_PASSWORD",
)


def password(length: int = 32) -> str:
    """Return a random alphanumeric password (``length`` characters, ~190 bits for 32)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def generate_secrets() -> dict[str, str]:
    """Return a fresh value for every key in :data:`SECRET_KEYS`."""
    return {
        "POSTGRES_PASSWORD": password(),
        "OPENMETADATA_DB_PASSWORD": password(),
        "OPENMETADATA_ADMIN_PASSWORD": password(24),
        "FERNET_KEY": Fernet.generate_key().decode(),
        "JWT_KEY_ID": str(uuid.uuid4()),
        "AIRFLOW_DB_PASSWORD": password(),
        "AIRFLOW_ADMIN_PASSWORD": password(24),
        "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW_API_SECRET_KEY": password(48),
        "AIRFLOW_JWT_SECRET": password(48),
        "PAGILA_DB_PASSWORD": password(),
    }


def merge_secrets(existing: dict[str, str]) -> dict[str, str]:
    """Keep every secret already present and non-empty in ``existing``; generate the others."""
    fresh = generate_secrets()
    return {key: existing.get(key) or fresh[key] for key in SECRET_KEYS}


def jwt_key_files(secrets_dir: Path) -> tuple[Path, Path]:
    """Return ``(private_key.der, public_key.der)`` paths under ``secrets_dir/jwt``."""
    jwt_dir = Path(secrets_dir) / "jwt"
    return jwt_dir / "private_key.der", jwt_dir / "public_key.der"


def ensure_jwt_keys(secrets_dir: Path) -> bool:
    """Create the RSA key pair the server signs its JWTs with, unless it already exists.

    Format as the server's ``jwtTokenConfiguration`` expects: PKCS#8 DER private key and
    X.509 SubjectPublicKeyInfo DER public key. Fixed keys mean tokens (the ingestion bot's
    too) stay valid across container restarts. ``secrets/`` is 0700 so other host users
    cannot read the key; ``secrets/jwt`` and the files are world-readable because the
    server container runs as its own user and sees only the bind-mounted ``jwt`` directory.

    Returns:
        True when new keys were written, False when both files were already there.
    """
    private_path, public_path = jwt_key_files(secrets_dir)
    if private_path.exists() and public_path.exists():
        return False
    Path(secrets_dir).mkdir(mode=0o700, exist_ok=True)
    Path(secrets_dir).chmod(0o700)
    private_path.parent.mkdir(mode=0o755, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    atomic_write(public_path, public_der, mode=0o644)
    atomic_write(private_path, private_der, mode=0o644)
    return True
