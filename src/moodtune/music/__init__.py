"""Music: the song catalog (``catalog``), how its rows are read and merged (``build``), the
normalisation that gives every song a stable id (``normalize``), the ``moodtune catalog``
commands (``cli``), and the audio-features-to-mood model (``mood_model``).

The catalog ships in the package (``data/catalog.csv.gz``, sources and terms in ``data/DATA.md``)
because Spotify no longer serves audio features to new apps: the features have to be kept, they
cannot be fetched per request (see ``shared/data/music/SOURCE.md``).
"""
