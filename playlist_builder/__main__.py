"""`python -m playlist_builder` runs the command line."""

from playlist_builder.cli import main

if __name__ == "__main__":
    main()
