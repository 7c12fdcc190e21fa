"""Exchange API key audit: refuse withdrawal-enabled keys and prove the IP whitelist from the host itself."""
