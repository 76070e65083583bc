"""The composition root: what builds the sinks, the platform clients and the chat apps from the settings, and
hands each part the narrow services it needs. Only this layer (with the CLI and `app` above it) knows every
part; each platform's SDK is imported here only when that platform is configured, so a command that needs no
platform (`paperboy search`) never loads discord.py, slack_bolt or aiohttp.
"""
