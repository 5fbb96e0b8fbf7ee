"""The in-process scheduler: APScheduler runs the mail jobs on the one instance elected to."""
