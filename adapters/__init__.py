"""Platform adapters: thin translators between a platform's payloads and the neutral core."""
