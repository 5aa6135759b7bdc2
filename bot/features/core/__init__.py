"""Help, the "Did you mean ...?" buttons, and choosing which inspection a chat is about."""
