"""One inspection: setting it up with its channel, its status, timeline and welcome card, and
re-planning its dates."""
