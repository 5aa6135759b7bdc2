"""Adapter for Microsoft Teams (botbuilder).

With dialogs/, the only package that imports botbuilder.
"""
