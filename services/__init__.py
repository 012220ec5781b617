"""Use cases: what a patient or staff member can do, with its rules.

A service takes the update's session and plain values (ids, `now`), applies the
clinic's rules (clinic/), reads and writes through the queries (db/), queues the
messages that follow (services.outbox), and returns a result the handler renders. No
Telegram here: a handler parses the update, calls one service, renders its result.
"""
