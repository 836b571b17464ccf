"""``python -m moodtune``: the ``moodtune`` command, for an environment whose scripts are not on the PATH."""

from moodtune.cli import main

main()
