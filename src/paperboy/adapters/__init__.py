"""Adapters turn a platform-neutral `Digest` into a platform's messages and send them (each implements
`paperboy.sinks.Sink`), and answer the platform's commands through the narrow services of `services.py`.
They never touch SQL: no adapter imports `paperboy.store`."""
