"""The background worker: moves clocks on time, one process at a time."""
