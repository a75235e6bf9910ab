"""Background jobs. ``jobs.queue`` makes the Huey instance; ``jobs.main`` loads
every task module for ``huey_consumer jobs.main.huey``."""
