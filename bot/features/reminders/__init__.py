"""Chasing and reminders from the bot's side: `chase`, what is overdue or due, snoozing."""
