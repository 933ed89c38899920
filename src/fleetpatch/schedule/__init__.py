"""Cadence, the pure part: when buckets may be patched, what is announced, and what a window holds.

`windows` (openings of cron/RRULE windows minus blackouts), `buckets` (a bucket's openings under
the policy), `announcements` (which are due, to whom), `ical` (the RFC 5545 feed), `steps`
(a strategy's steps and their expected durations), `plan` (waves under concurrency,
anti-affinity and canaries), `simulator` (discrete-event model of a run over the windows) and
`forecast` (when a bucket is fully patched; from fix published to fleet patched).
"""
