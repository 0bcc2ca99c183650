"""Requests released together from threads, to show what the database does with a race."""

from __future__ import annotations

import threading


def race(app, requests):
    """Run the requests in threads released together; return their responses."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def run(index, send):
        client = app.test_client()
        barrier.wait()
        responses[index] = send(client)

    threads = [threading.Thread(target=run, args=(i, send)) for i, send in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses
