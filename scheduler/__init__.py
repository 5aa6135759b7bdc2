"""APScheduler wiring: a clock that asks the domain what is due and hands it to the notifier."""
