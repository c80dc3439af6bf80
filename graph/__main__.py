"""`python -m graph` runs the same CLI as the `linkgraph` command."""

from graph.cli import main

if __name__ == "__main__":
    main()
