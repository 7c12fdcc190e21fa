"""verify: prove on a live host, over one pinned SSH session, that every role's control is in force."""
