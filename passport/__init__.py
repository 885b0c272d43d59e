"""Credentials, verification and the passport shared across Trusts."""
