"""Fake services on 127.0.0.1 for tests: real HTTP servers that the real clients talk to via base URLs."""
