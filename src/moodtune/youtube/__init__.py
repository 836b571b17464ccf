"""YouTube: how a song plays in the page (``play``), and later the Data API client and resolver."""
