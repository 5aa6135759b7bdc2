"""The `inspection-bot` command line. Each module adds its sub-commands with `register`."""
