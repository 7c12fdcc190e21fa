"""Exchange API key audit: refuse keys that can move funds out or edit keys; prove the IP allowlist."""
