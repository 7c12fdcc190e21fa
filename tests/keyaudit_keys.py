"""Key material for the key-audit tests: a realistic secret per exchange (Coinbase: real EC/Ed25519 keys)."""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

EXCHANGES = ("binance", "bybit", "okx", "kraken", "kucoin", "bitget", "gate", "coinbase")
PASSPHRASE = "Pass-Phrase-Sentinel-7d1c"


def _ec_pem(seed: str) -> str:
    scalar = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big") % (2**255)
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def _ed25519_b64(seed: str) -> str:
    raw = hashlib.sha256(seed.encode()).digest()
    public = (
        ed25519.Ed25519PrivateKey.from_private_bytes(raw)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw + public).decode()


def _ed25519_pem(seed: str) -> str:
    """A PKCS#8 Ed25519 key, as Binance's key generator and `openssl genpkey -algorithm ed25519` write it."""
    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@functools.cache
def _rsa_pem(seed: str, pkcs8: bool = True) -> str:
    """A 2048-bit RSA key (random, but the same for the whole test run)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    layout = serialization.PrivateFormat.PKCS8 if pkcs8 else serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, layout, serialization.NoEncryption()).decode()


# Key types beside HMAC that ccxt signs too (Bitget's RSA keys are checked by the fake only)
ASYMMETRIC = {"binance": ("ed25519", "rsa"), "bybit": ("rsa", "rsa-pkcs1")}


def key_for(exchange: str) -> str:
    """A recognisable API key (Coinbase: a CDP key name)."""
    if exchange == "coinbase":
        return "organizations/0f8a/apiKeys/KEY-SENTINEL-4b9e"
    return f"KEY-SENTINEL-{exchange}-4b9e"


def secret_for(exchange: str, variant: str = "") -> str:
    """A recognisable secret in the exchange's own format."""
    if exchange == "kraken":
        return base64.b64encode(b"SECRET-SENTINEL-kraken-" + b"x" * 41 + variant.encode()).decode()
    if exchange == "coinbase":
        return _ed25519_b64("coinbase" + variant) if variant == "ed25519" else _ec_pem("coinbase" + variant)
    if variant.startswith("ed25519"):
        return _ed25519_pem(exchange + variant)
    if variant.startswith("rsa"):
        return _rsa_pem(exchange + variant, pkcs8="pkcs1" not in variant)
    return f"SECRET-SENTINEL-{exchange}-{variant}-93f0a7"


def passphrase_for(exchange: str) -> str:
    """The passphrase for OKX, KuCoin and Bitget; empty elsewhere."""
    return PASSPHRASE if exchange in ("okx", "kucoin", "bitget") else ""
