"""The document checklist in Teams (7.2): the live card, the questions about files, waivers."""
