"""Shared core: configuration, schemas, prompt formats, privacy and the Hotwire rules.

Imports nothing from the server, training or evaluation rooms; they all import it.
"""
