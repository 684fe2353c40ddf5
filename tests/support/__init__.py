"""Test support: real servers and helpers the tests run against (no mocks of our own system)."""
