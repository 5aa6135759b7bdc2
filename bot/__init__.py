"""Adapter for Microsoft Teams (botbuilder). The only package besides dialogs/ that imports botbuilder."""
