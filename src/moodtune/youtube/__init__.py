"""YouTube: how a song plays in the page (``play``), and the YouTube Data API behind it.

``api`` is the client (``quota`` counts its daily units), ``match`` decides which video is a song,
``resolve`` finds and re-checks songs' videos with a cache in the database, ``oauth`` and
``playlists`` save playlists to a listener's account, ``service`` builds all of it from ``Settings``
for the web service and ``cli`` (``moodtune youtube``).
"""
