"""The moodtune web service: the FastAPI app (``app``), its JSON API (``api``), the page
(``static/``), and the pieces each request goes through (listener cookie, rate limit, bounded
analysis pool, uploads read in memory, one error shape, Prometheus metrics)."""
